/**
 * What the page's end-to-end tests share: the built page (built when missing or older than its
 * sources), the real relay with the sandbox tenant on free ports, Debian Chromium, a watch for
 * CSP violations on the page's origin, sign-in through the sandbox's login popup, and
 * screenshots into test-results/ (git-ignored).
 *
 * @module
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium, newContext } from '../helpers/browser.ts'
import { freePort } from '../helpers/ports.ts'
import { ROOT, startRelay, type RelayProcess } from '../helpers/relay-process.ts'

const SHOTS = join(ROOT, 'test-results', 'page')
const PAGE_SOURCES = ['src', 'bridge', 'svelte.config.js', 'vite.config.ts', 'package.json']

export const USERS = {
  works: { upn: 'taro@sandbox.mailkey.test', password: 'Sandbox-Taro-2026' },
  smtpAuthOff: { upn: 'hanako@sandbox.mailkey.test', password: 'Sandbox-Hanako-2026' },
  shared: 'shared@sandbox.mailkey.test',
} as const

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return path.endsWith('.test.ts') ? 0 : stat.mtimeMs
  let newest = 0
  for (const entry of readdirSync(path)) {
    if (entry !== 'node_modules' && !entry.startsWith('.')) newest = Math.max(newest, newestMtime(join(path, entry)))
  }
  return newest
}

/** Runs `npm run build` when build/index.html is missing or older than the page's sources. */
export function ensureBuilt(): void {
  const index = join(ROOT, 'build', 'index.html')
  const newest = Math.max(...PAGE_SOURCES.map((p) => newestMtime(join(ROOT, p))))
  if (existsSync(index) && statSync(index).mtimeMs >= newest) return
  // Vitest sets NODE_ENV=test, which would make Vite bundle Svelte's development runtime.
  const { NODE_ENV: _ignored, ...env } = process.env
  const run = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8', env })
  if (run.status !== 0) throw new Error(`the page did not build:\n${run.stdout}\n${run.stderr}`)
}

export interface PageEnv {
  relay: RelayProcess
  browser: Browser
  /** `http://localhost:PORT`: the web-secret and implicit modes need localhost. */
  origin: string
  stop(): Promise<void>
}

/** `extraEnv`: more relay variables, e.g. `RELAY_SANDBOX_TOKEN_TTL` for short-lived tokens. */
export async function startPageEnv(extraEnv: Record<string, string> = {}): Promise<PageEnv> {
  ensureBuilt()
  const dataDir = await mkdtemp(join(tmpdir(), 'mailkey-page-e2e-'))
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const relay = await startRelay({
    runtime: 'node',
    env: {
      PORT: String(port),
      RELAY_ORIGINS: origin,
      RELAY_SANDBOX: '1',
      RELAY_DATA_DIR: dataDir,
      RELAY_SANDBOX_IDP_PORT: String(await freePort()),
      RELAY_SANDBOX_SMTP_PORT: String(await freePort()),
      ...extraEnv,
    },
  })
  const browser = await launchChromium()
  return {
    relay,
    browser,
    origin,
    async stop() {
      await browser.close()
      await relay.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

export interface TestPage {
  context: BrowserContext
  page: Page
  /** CSP violations and page errors seen on the page's origin so far. */
  problems: string[]
}

/**
 * A fresh context (empty storage) and page on the relay's origin, with CSP violations and page
 * errors collected from every window of that origin (the page and its popups coming back).
 */
export async function openPage(env: PageEnv, path = '/', viewport = { width: 1440, height: 900 }): Promise<TestPage> {
  const context = await newContext(env.browser, { viewport, acceptDownloads: true })
  const problems: string[] = []
  await context.exposeBinding('__reportCsp', ({ frame }, text: string) => {
    problems.push(`CSP on ${frame.url()}: ${text}`)
  })
  await context.addInitScript((origin) => {
    if (location.origin !== origin) return
    document.addEventListener('securitypolicyviolation', (e) => {
      void (window as unknown as { __reportCsp(t: string): Promise<void> }).__reportCsp(
        `${e.violatedDirective} blocked ${e.blockedURI}`
      )
    })
  }, env.origin)
  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text()) && p.url().startsWith(env.origin)) {
        problems.push(`console on ${p.url()}: ${m.text()}`)
      }
    })
    p.on('pageerror', (e) => {
      if (p.url().startsWith(env.origin)) problems.push(`pageerror on ${p.url()}: ${e.message}`)
    })
  }
  context.on('page', watch)
  const page = await context.newPage()
  await page.goto(env.origin + path)
  // The form is ready once the validator, saved settings and /api/config (the sandbox preset's
  // values) loaded and the panels rendered.
  await page.waitForSelector(
    'form[aria-busy="false"][data-config="loaded"] #signin, form[aria-busy="false"][data-config="loaded"] #send'
  )
  return { context, page, problems }
}

/** Chooses the Sandbox preset and a token mode. */
export async function useSandbox(page: Page, mode: 'spa-pkce' | 'web-secret' | 'implicit'): Promise<void> {
  await page.selectOption('#preset', 'sandbox')
  await page.selectOption('#tokenMode', mode)
}

/**
 * Clicks [認証] (or runs `click`) and returns the sign-in popup, or, when the status region shows
 * a failure or invalid fields before any popup opened, what it says.
 */
export async function clickSignIn(
  page: Page,
  click = () => page.click('#signin')
): Promise<{ popup: Page } | { status: string }> {
  const popup = page.waitForEvent('popup')
  await click()
  const shown = page
    .waitForSelector('#signin-status[data-state=failed], #signin-status > p.box.bad')
    .then(async (el) => ({ status: `#signin-status without a popup: ${await el.textContent()}` }))
  return Promise.race([popup.then((p) => ({ popup: p })), shown])
}

/** Clicks [認証] and signs in as `user` on the sandbox's login page in the popup. */
export async function signIn(page: Page, user: { upn: string; password: string }): Promise<void> {
  const opened = await clickSignIn(page)
  // Some failures come back at once, without a sign-in page (e.g. implicit grant disabled).
  if (!('popup' in opened)) return
  const { popup } = opened
  const first = await Promise.race([
    popup.waitForSelector('#upn').then(
      () => 'login' as const,
      () => 'gone' as const
    ),
    page.waitForSelector('#signin-status[data-state=failed]').then(() => 'failed' as const),
  ])
  if (first !== 'login') {
    await page.waitForSelector('#signin-status:not([data-state=signingIn])')
    return
  }
  await popup.fill('#upn', user.upn)
  await popup.fill('#password', user.password)
  await popup.click('button[type=submit]')
  await page.waitForSelector('#signin-status:not([data-state=signingIn])')
}

/**
 * Holds back MSAL (the chunks that name PublicClientApplication: MSAL and msal.ts) until the
 * returned `release` (or fails them with `fail`), as on a machine too busy to load it by the click.
 */
export async function holdMsal(page: Page): Promise<{ release(): void; fail(): void }> {
  let decide!: (ok: boolean) => void
  const decided = new Promise<boolean>((r) => (decide = r))
  await page.route('**/_app/immutable/chunks/*.js', async (route) => {
    const res = await route.fetch()
    const body = await res.text()
    if (body.includes('PublicClientApplication') && !(await decided)) return route.abort()
    await route.fulfill({ response: res, body })
  })
  return { release: () => decide(true), fail: () => decide(false) }
}

/** Clicks [メール送信テスト] and waits for the outcome. */
export async function sendTest(page: Page): Promise<'ok' | 'failed'> {
  await page.click('#send')
  const status = await page.waitForSelector('#send-status[data-phase=ok], #send-status[data-phase=failed]')
  return (await status.getAttribute('data-phase')) as 'ok' | 'failed'
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

/** Sets sandbox failure switches through its API. */
export async function setSwitches(env: PageEnv, switches: Record<string, boolean>): Promise<void> {
  const res = await fetch(`${env.origin}/api/sandbox/switches`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(switches),
  })
  if (!res.ok) throw new Error(`switches: HTTP ${res.status} ${await res.text()}`)
}

export interface InboxMessage {
  subject?: string
  from?: string
  to?: string[] | string
  [key: string]: unknown
}

export async function inbox(env: PageEnv): Promise<InboxMessage[]> {
  const res = await fetch(`${env.origin}/api/sandbox/messages`)
  const body = (await res.json()) as { messages: InboxMessage[] }
  return body.messages
}
