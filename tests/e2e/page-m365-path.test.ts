/**
 * The settings page as a Japanese admin on the Microsoft 365 path meets it (issue 10): an
 * authority this browser cannot reach, the preset kept while filling it in, the one redirect URI
 * to register, the secret only where it is used, dates with time and zone, the sandbox inbox at
 * 360 px, the tenant ID asked first, and the layout at 360 and 1440 px. Real relay, real sandbox,
 * real Chromium; the unreachable authority is a closed port on this machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { freePort } from '../helpers/ports.ts'
import {
  clickSignIn,
  openPage,
  screenshot,
  sendTest,
  signIn,
  startPageEnv,
  USERS,
  useSandbox,
  type PageEnv,
  type TestPage,
} from './page-harness.ts'

let env: PageEnv
let open: TestPage[] = []

beforeAll(async () => {
  env = await startPageEnv()
})

afterAll(async () => {
  await env?.stop()
})

async function fresh(path = '/', viewport?: { width: number; height: number }): Promise<TestPage> {
  const t = await openPage(env, path, viewport)
  open.push(t)
  return t
}

async function closeAll(): Promise<void> {
  for (const t of open) {
    expect(t.problems).toEqual([])
    await t.context.close()
  }
  open = []
}

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CID = '11111111-2222-3333-4444-555555555555'
/** Date, time to the second and a zone, as the page's one format shows them in Japanese. */
const JA_DATETIME = /\d{4}\/\d{2}\/\d{2} \d{1,2}:\d{2}:\d{2} [A-Z]{2,5}([+-]\d{1,2}(:\d{2})?)?/

/** Custom endpoints on a port of this machine where nothing listens. */
async function unreachableAuthority(page: Page, mode: 'spa-pkce' | 'web-secret'): Promise<string> {
  const host = `localhost:${await freePort()}`
  await page.selectOption('#preset', 'custom')
  await page.fill('#tenantId', TID)
  await page.fill('#authorizeEndpoint', `https://${host}/${TID}/oauth2/v2.0/authorize`)
  await page.fill('#tokenEndpoint', `https://${host}/${TID}/oauth2/v2.0/token`)
  await page.fill('#clientId', CID)
  await page.selectOption('#tokenMode', mode)
  if (mode === 'web-secret') await page.fill('#clientSecret', 'abc~Secret.Value_123')
  return host
}

describe('an authority this browser cannot reach (item 1)', () => {
  it.each(['web-secret', 'spa-pkce'] as const)('is its own diagnosis at once, naming the host (%s)', async (mode) => {
    const { page, context } = await fresh()
    const host = await unreachableAuthority(page, mode)
    // Filled in: the page has already asked, and says so next to the endpoints.
    const early = page.locator('#authority-unreachable')
    await early.waitFor()
    expect(await early.textContent()).toContain(`このパソコンのブラウザーから ${host} に接続できません`)
    const opened = await clickSignIn(page)
    await page.waitForSelector('#signin-status[data-state=failed] .diagnosis')
    const d = page.locator('#signin-status .diagnosis')
    expect(await d.getAttribute('data-cause')).toBe('authority-unreachable')
    const text = (await d.textContent()) ?? ''
    expect(text).toContain(`このパソコンのブラウザーから ${host} に接続できません。`)
    expect(text).toContain('プロキシ')
    // Not a closed popup, not a timeout, not the redirect URI; no raw failure name.
    expect(text).not.toContain('ポップアップが閉じられました')
    expect(text).not.toContain('authority_unreachable')
    expect(await d.locator('a[href="/guide#step-authentication"]').count()).toBe(0)
    // The popup that could only show the browser's error page is gone.
    if ('popup' in opened && !opened.popup.isClosed()) await opened.popup.waitForEvent('close')
    expect(context.pages()).toHaveLength(1)
    await screenshot(page, `m365-unreachable-${mode}`)
    await closeAll()
  })

  it('in English too', async () => {
    const { page } = await fresh('/?lang=en')
    await page.waitForFunction(() => document.querySelector('#send')?.textContent === 'Send test email')
    const host = await unreachableAuthority(page, 'web-secret')
    await clickSignIn(page)
    await page.waitForSelector('#signin-status[data-state=failed] .diagnosis')
    expect(await page.locator('#signin-status .diagnosis').textContent()).toContain(`This PC's browser cannot reach ${host}.`)
    await closeAll()
  })

  it('a reachable authority: no warning, and [キャンセル] is a cancel, not a closed popup', async () => {
    const { page } = await fresh()
    await useSandbox(page, 'web-secret')
    const opened = await clickSignIn(page)
    if (!('popup' in opened)) throw new Error(opened.status)
    await opened.popup.waitForSelector('#upn')
    await page.click('#signin-cancel')
    await page.waitForSelector('#signin-status[data-state=failed] .diagnosis')
    const d = page.locator('#signin-status .diagnosis')
    expect(await d.getAttribute('data-cause')).toBe('signin-cancelled')
    expect(await d.textContent()).toContain('サインインをキャンセルしました')
    expect(await page.locator('#authority-unreachable').count()).toBe(0)
    await closeAll()
  })
})

describe('filling in the Microsoft 365 preset (items 2, 3, 4, 7, 9)', () => {
  it('asks for the tenant ID first when nothing is typed', async () => {
    const { page } = await fresh()
    expect(await page.inputValue('#preset')).toBe('m365')
    await page.click('#signin')
    const summary = (await page.locator('#signin-status').textContent()) ?? ''
    expect(summary).toContain('先に次の項目を正しく入力してください: ディレクトリ (テナント) ID、アプリケーション(クライアント)ID')
    expect(summary).not.toContain('エンドポイント')
    expect(await page.locator('#tenantId-error').textContent()).toBe('入力してください。')
    expect(await page.locator('#authorizeEndpoint-error').count()).toBe(0)
    expect(await page.locator('#tokenEndpoint-error').count()).toBe(0)
    await closeAll()
  })

  it('keeps the preset while the admin fills what it leaves open; a fixed value makes it custom', async () => {
    const { page } = await fresh()
    await page.selectOption('#tokenMode', 'web-secret')
    await page.fill('#tenantId', TID)
    await page.fill('#clientId', CID)
    await page.fill('#clientSecret', 'abc~Secret.Value_123')
    await page.fill('#to', 'admin@contoso.example')
    await page.fill('#from', 'scanner@contoso.example')
    expect(await page.inputValue('#preset')).toBe('m365')
    // The long endpoints show their host and tenant below the fields.
    expect(await page.locator('#authorizeEndpoint-parts').textContent()).toBe(
      `ホスト login.microsoftonline.com・テナント ${TID}`
    )
    expect(await page.locator('#tokenEndpoint-parts').textContent()).toContain(TID)
    // The sandbox notice shrank to one line with its actions.
    const notice = page.locator('#sandbox-notice')
    expect(await notice.getAttribute('data-compact')).toBe('true')
    expect(await notice.locator('h2').count()).toBe(0)
    expect(await notice.locator('#sandbox-use').count()).toBe(1)
    const box = await notice.boundingBox()
    expect(box?.height ?? 999).toBeLessThan(60)
    await screenshot(page, 'm365-filled-1440')
    await page.fill('#port', '465')
    expect(await page.inputValue('#preset')).toBe('custom')
    await closeAll()
  })

  it('shows one redirect URI to register for the Web modes, and the secret only in web-secret', async () => {
    const { page } = await fresh()
    const port = new URL(env.origin).port
    for (const mode of ['spa-pkce', 'implicit'] as const) {
      await page.selectOption('#tokenMode', mode)
      expect(await page.locator('#clientSecret').count(), mode).toBe(0)
      expect(await page.locator('#secretExpires').count(), mode).toBe(0)
    }
    expect(await page.locator('#mode-help code').textContent()).toBe('http://localhost')
    await page.selectOption('#tokenMode', 'web-secret')
    await page.locator('#clientSecret').waitFor()
    expect(await page.locator('#clientSecret').count()).toBe(1)
    expect(await page.locator('#secretExpires').count()).toBe(1)
    const help = page.locator('#mode-help')
    expect(await help.locator('code').allTextContents()).toEqual(['http://localhost'])
    // The port is explained apart from the value to register.
    const note = (await page.locator('#redirect-note').textContent()) ?? ''
    expect(note).toContain(`http://localhost:${port}/`)
    expect(note).toContain('ポート番号を無視する')
    await page.selectOption('#tokenMode', 'spa-pkce')
    expect(await help.locator('code').textContent()).toBe(`${env.origin}/redirect-bridge.html`)
    await closeAll()
  })
})

describe('dates with time and zone, one format (item 5)', () => {
  it('token expiry, secret expiry, the test mail and the inbox', async () => {
    const { page, context } = await fresh()
    await useSandbox(page, 'web-secret')
    await signIn(page, USERS.works)
    expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signedIn')
    const valid = (await page.locator('#signin-status').textContent()) ?? ''
    const shown = (/トークンの有効期限: (.+?)(許可|$)/.exec(valid)?.[1] ?? '').trim()
    expect(shown).toMatch(new RegExp(`^${JA_DATETIME.source}$`))
    // The same format as the browser's own clock would give for that moment.
    const year = new Date().getFullYear()
    expect(shown.startsWith(String(year)) || shown.startsWith(String(year + 1))).toBe(true)

    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10)
    await page.fill('#secretExpires', soon)
    const warn = (await page.locator('#secretExpires-state').textContent()) ?? ''
    expect(warn).toContain(`（${soon.replaceAll('-', '/')}）`)

    expect(await sendTest(page)).toBe('ok')
    const [inboxPage] = await Promise.all([context.waitForEvent('page'), page.click('#send-inbox')])
    await inboxPage.waitForSelector('article time')
    const times = await inboxPage.locator('article time').allTextContents()
    expect(times.length).toBeGreaterThanOrEqual(2)
    for (const t of times) expect(t).toMatch(new RegExp(`^${JA_DATETIME.source}$`))
    const subject = (await inboxPage.locator('article h2').first().textContent()) ?? ''
    expect(subject).toMatch(new RegExp(`^mailkey テストメール \\(${JA_DATETIME.source}\\)$`))
    await closeAll()
  })
})

describe('the sandbox inbox at 360 px (item 6)', () => {
  it('fits the width, its switch buttons on screen, with a way back to the settings', async () => {
    const { page, context } = await fresh()
    await useSandbox(page, 'spa-pkce')
    const inboxUrl = (await page.locator('#send-inbox').getAttribute('href')) ?? ''
    const inbox = await context.newPage()
    await inbox.setViewportSize({ width: 360, height: 740 })
    await inbox.goto(env.origin + inboxUrl)
    await inbox.waitForSelector('form button')
    expect(await inbox.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    const buttons = await inbox.locator('form button').all()
    expect(buttons.length).toBeGreaterThan(3)
    for (const b of buttons) {
      const box = await b.boundingBox()
      expect(box).not.toBeNull()
      expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? 0) <= 360).toBe(true)
    }
    await screenshot(inbox, 'inbox-360')
    // A switch still works from there.
    await inbox.locator('form:has(input[name=consentMissing]) button').click()
    await inbox.waitForSelector('form:has(input[name=consentMissing][value=false])')
    await inbox.locator('form:has(input[name=consentMissing]) button').click()
    await inbox.waitForSelector('form:has(input[name=consentMissing][value=true])')
    await inbox.click('#back')
    await inbox.waitForSelector('form[aria-busy="false"] #send')
    expect(new URL(inbox.url()).pathname).toBe('/')
    expect(await inbox.getAttribute('html', 'lang')).toBe('ja')
    await closeAll()
  })
})

describe('the sandbox sign-in popup (item 10)', () => {
  it('focuses the user name at once; no UPN wraps in the 520 px window', async () => {
    const { page } = await fresh()
    await useSandbox(page, 'web-secret')
    const opened = await clickSignIn(page)
    if (!('popup' in opened)) throw new Error(opened.status)
    const { popup } = opened
    await popup.setViewportSize({ width: 520, height: 680 })
    await popup.waitForSelector('#upn')
    expect(await popup.evaluate(() => document.activeElement?.id)).toBe('upn')
    const wrapped = await popup.$$eval('code.upn', (els) =>
      els.filter((e) => e.getClientRects().length > 1).map((e) => e.textContent)
    )
    expect(wrapped).toEqual([])
    expect(await popup.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(520)
    await screenshot(popup, 'popup-520')
    await popup.keyboard.type(USERS.works.upn)
    await popup.fill('#password', USERS.works.password)
    await popup.click('button[type=submit]')
    await page.waitForSelector('#signin-status[data-state=signedIn]')
    await closeAll()
  })
})

describe('layout (beyond fixing)', () => {
  it('uses the width at 1440 px: explanations and status beside the form; 360 px still one column', async () => {
    const wide = await fresh('/', { width: 1440, height: 900 })
    await useSandbox(wide.page, 'web-secret')
    await signIn(wide.page, USERS.works)
    const form = await wide.page.locator('#tokenMode').boundingBox()
    const help = await wide.page.locator('#mode-help').boundingBox()
    const status = await wide.page.locator('#signin-status').boundingBox()
    const button = await wide.page.locator('#signin').boundingBox()
    if (!form || !help || !status || !button) throw new Error('missing boxes')
    expect(help.x).toBeGreaterThan(form.x + form.width)
    expect(status.x).toBeGreaterThan(button.x + button.width)
    expect(Math.abs(status.y - button.y)).toBeLessThan(40)
    expect(await wide.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440)
    await screenshot(wide.page, 'layout-1440')

    const narrow = await fresh('/', { width: 360, height: 740 })
    await useSandbox(narrow.page, 'web-secret')
    await signIn(narrow.page, USERS.works)
    expect(await narrow.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    const nHelp = await narrow.page.locator('#mode-help').boundingBox()
    const nSelect = await narrow.page.locator('#tokenMode').boundingBox()
    if (!nHelp || !nSelect) throw new Error('missing boxes')
    expect(nHelp.y).toBeGreaterThan(nSelect.y)
    await screenshot(narrow.page, 'layout-360')
    await closeAll()
  })
})
