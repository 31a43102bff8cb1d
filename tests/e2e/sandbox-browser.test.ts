/**
 * The whole path in a real browser before the page exists, in Debian Chromium:
 * - token mode web-secret: the sandbox IdP's authorize URL for the Web app (hybrid
 *   `code id_token` + PKCE), sign-in on the sandbox's login page, back on the relay's origin,
 *   the code redeemed through `POST /api/token`, a send through `POST /api/send`, the message
 *   in the sandbox inbox;
 * - token mode spa-pkce: MSAL Browser 5 (its UMD build, no bundler) on a small harness origin
 *   registered as the SPA's, `loginPopup` through the redirect bridge, a silent refresh over
 *   CORS, and a send through the relay.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile, mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasChromium, launchChromium, newContext } from '../helpers/browser.ts'
import { ROOT, type RelayProcess } from '../helpers/relay-process.ts'
import { startSandboxRelay } from '../integration/sandbox-fixture.ts'

const SCOPE = 'https://outlook.office.com/SMTP.Send openid profile offline_access'

let relay: RelayProcess
let browser: Browser
let dataDir: string
let harness: Server
let harnessOrigin: string

const MSAL_DIR = join(ROOT, 'node_modules', '@azure', 'msal-browser', 'lib')

/**
 * The SPA's stand-in: a page with MSAL loaded and the redirect bridge (served without COOP and
 * with `Cache-Control: no-store`, as MSAL 5 requires).
 */
async function startHarness(): Promise<Server> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html', '<!doctype html><meta charset="utf-8"><title>harness</title><script src="/msal.js"></script>'],
    '/msal.js': ['text/javascript', await readFile(join(MSAL_DIR, 'msal-browser.min.js'), 'utf8')],
    '/bridge.js': ['text/javascript', await readFile(join(MSAL_DIR, 'redirect-bridge', 'msal-redirect-bridge.js'), 'utf8')],
    '/redirect-bridge.html': [
      'text/html',
      '<!doctype html><meta charset="utf-8"><script src="/bridge.js"></script><script src="/bridge-run.js"></script>',
    ],
    '/bridge-run.js': ['text/javascript', 'msalRedirectBridge.broadcastResponseToMainFrame()'],
  }
  const server = createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0] ?? '/']
    if (!file) return res.writeHead(404).end()
    res.writeHead(200, { 'content-type': `${file[0]}; charset=utf-8`, 'cache-control': 'no-store' }).end(file[1])
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mailkey-sandbox-e2e-'))
  harness = await startHarness()
  harnessOrigin = `http://localhost:${(harness.address() as AddressInfo).port}`
  // The first origin is the sandbox's public origin: the SPA redirect goes to the harness.
  relay = await startSandboxRelay(dataDir, (relayPort) => ({
    RELAY_ORIGINS: `${harnessOrigin},http://localhost:${relayPort}`,
  }))
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await relay?.stop()
  await new Promise((resolve) => harness?.close(resolve))
  await rm(dataDir, { recursive: true, force: true })
})

describe.skipIf(!hasChromium())('sandbox in Chromium', () => {
  it('signs in on the sandbox IdP, redeems through the relay and sends', async () => {
    const config = (await (await fetch(`${relay.url}/api/config`)).json()) as { sandbox: Record<string, any> }
    const sandbox = config.sandbox
    // The Web app's redirect is http://localhost on any port: the relay's own origin.
    const origin = `http://localhost:${new URL(relay.url).port}`
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const authorize = `${sandbox.authorizeEndpoint}?${new URLSearchParams({
      client_id: sandbox.clientId,
      response_type: 'code id_token',
      response_mode: 'fragment',
      redirect_uri: `${origin}/`,
      scope: SCOPE,
      nonce: randomBytes(8).toString('hex'),
      state: 'e2e',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ui_locales: 'ja',
    })}`

    // The sandbox CA is not in Chromium's store here; the certificate check is waived for the
    // test context only (the relay itself verifies it against the CA).
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(authorize)
    expect(await page.locator('h1').textContent()).toBe('サインイン')
    await page.fill('#upn', 'taro@sandbox.mailkey.test')
    await page.fill('#password', 'Sandbox-Taro-2026')
    await Promise.all([page.waitForURL((url) => url.href.startsWith(`${origin}/`)), page.click('button[type=submit]')])

    const fragment = new URLSearchParams(new URL(page.url()).hash.slice(1))
    expect(fragment.get('state')).toBe('e2e')
    expect(fragment.get('id_token')).toBeTruthy()
    const code = fragment.get('code')
    expect(code).toBeTruthy()

    // From the relay's origin, as the page will do it.
    const result = await page.evaluate(
      async ({ sandbox, code, verifier, origin, scope }) => {
        const post = async (path: string, body: unknown) => {
          const res = await fetch(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
          return (await res.json()) as Record<string, any>
        }
        const token = await post('/api/token', {
          tokenEndpoint: sandbox.tokenEndpoint,
          clientId: sandbox.clientId,
          clientSecret: sandbox.clientSecret,
          scope,
          grant: { type: 'authorization_code', code, codeVerifier: verifier, redirectUri: `${origin}/` },
        })
        if (!token.ok) return { token, send: undefined }
        const send = await post('/api/send', {
          smtp: sandbox.smtp,
          auth: { type: 'xoauth2', user: 'taro@sandbox.mailkey.test', accessToken: token.accessToken },
          message: {
            from: '山田 太郎 <taro@sandbox.mailkey.test>',
            to: ['admin@sandbox.mailkey.test'],
            subject: 'ブラウザからのテスト',
            text: 'Chromium → relay → sandbox',
          },
        })
        return { token: { ok: token.ok }, send }
      },
      { sandbox, code, verifier, origin, scope: SCOPE }
    )
    expect(result.token.ok).toBe(true)
    expect(result.send).toMatchObject({ ok: true, response: expect.stringMatching(/^250 2\.0\.0 OK/) })

    const inbox = (await (await fetch(`${relay.url}/api/sandbox/messages`)).json()) as { messages: Record<string, any>[] }
    expect(inbox.messages[0]).toMatchObject({ subject: 'ブラウザからのテスト', from: '山田 太郎 <taro@sandbox.mailkey.test>' })

    // The inbox page renders in the browser under the relay's headers.
    await page.goto(`${origin}/api/sandbox/inbox?lang=ja`)
    expect(await page.locator('h2').filter({ hasText: 'ブラウザからのテスト' }).count()).toBe(1)
    // Its switch buttons are plain forms: turn one on and off again.
    const toggle = page.locator('form:has(input[name=webSecretExpired]) button')
    await Promise.all([page.waitForNavigation(), toggle.click()])
    const switches = async () =>
      ((await (await fetch(`${relay.url}/api/sandbox/switches`)).json()) as { switches: Record<string, boolean> }).switches
    expect((await switches()).webSecretExpired).toBe(true)
    expect(await page.locator('tr:has(input[name=webSecretExpired]) .badge').textContent()).toBe('オン')
    await Promise.all([page.waitForNavigation(), toggle.click()])
    expect((await switches()).webSecretExpired).toBe(false)
    await context.close()
  })
  it('MSAL 5: loginPopup through the redirect bridge, silent refresh, send through the relay', async () => {
    const config = (await (await fetch(`${relay.url}/api/config`)).json()) as { sandbox: Record<string, any> }
    const sandbox = config.sandbox
    expect(sandbox.spaRedirectUri).toBe(`${harnessOrigin}/redirect-bridge.html`)
    const context = await newContext(browser)
    const page = await context.newPage()
    await page.goto(`${harnessOrigin}/`)
    const msalConfig = {
      clientId: sandbox.spaClientId,
      authority: sandbox.authority,
      knownAuthority: new URL(sandbox.authority).host,
      redirectUri: sandbox.spaRedirectUri,
    }
    const popupOpened = context.waitForEvent('page')
    const login = page.evaluate(async (cfg) => {
      const w = window as any
      w.pca = new w.msal.PublicClientApplication({
        auth: {
          clientId: cfg.clientId,
          authority: cfg.authority,
          knownAuthorities: [cfg.knownAuthority],
          redirectUri: cfg.redirectUri,
        },
        cache: { cacheLocation: 'sessionStorage' },
      })
      await w.pca.initialize()
      const result = await w.pca.loginPopup({ scopes: ['https://outlook.office.com/SMTP.Send'] })
      w.pca.setActiveAccount(result.account)
      return { username: result.account.username, name: result.account.name, homeAccountId: result.account.homeAccountId }
    }, msalConfig)
    const popup = await popupOpened
    await popup.waitForSelector('#upn')
    await popup.fill('#upn', 'taro@sandbox.mailkey.test')
    await popup.fill('#password', 'Sandbox-Taro-2026')
    await popup.click('button[type=submit]')
    const account = await login
    expect(account).toMatchObject({ username: 'taro@sandbox.mailkey.test', name: '山田 太郎' })
    // client_info's uid.utid is MSAL's home account ID.
    expect(account.homeAccountId).toBe(`11111111-2222-4333-8444-555555555501.${sandbox.tenantId}`)

    const sent = await page.evaluate(
      async ({ relayUrl, smtp }) => {
        const w = window as any
        const silent = await w.pca.acquireTokenSilent({
          scopes: ['https://outlook.office.com/SMTP.Send'],
          forceRefresh: true,
        })
        const res = await fetch(`${relayUrl}/api/send`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            smtp,
            auth: { type: 'xoauth2', user: silent.account.username, accessToken: silent.accessToken },
            message: { from: silent.account.username, to: ['admin@sandbox.mailkey.test'], subject: 'MSAL から', text: 'spa-pkce' },
          }),
        })
        return { fromCache: silent.fromCache, scopes: silent.scopes, send: await res.json() }
      },
      { relayUrl: relay.url, smtp: sandbox.smtp }
    )
    expect(sent.fromCache).toBe(false)
    expect(sent.scopes).toContain('https://outlook.office.com/SMTP.Send')
    expect(sent.send).toMatchObject({ ok: true, response: expect.stringMatching(/^250 2\.0\.0 OK/) })
    await context.close()
  })
})
