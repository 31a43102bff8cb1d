/**
 * The settings themselves in the browser: save → reload keeps the values (the client secret only
 * when remembered, never a token), export → import round trip, the language switch and
 * `?lang=en`, and the layout at 360 px.
 */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPage, screenshot, startPageEnv, useSandbox, type PageEnv } from './page-harness.ts'

let env: PageEnv

beforeAll(async () => {
  env = await startPageEnv()
})

afterAll(async () => {
  await env?.stop()
})

const CUSTOM = {
  host: 'smtp.office365.com',
  port: '587',
  clientId: '11111111-2222-3333-4444-555555555555',
  to: 'admin@contoso.example',
  from: 'sender@contoso.example',
}

describe('first run with a sandbox', () => {
  it('says a local sandbox tenant runs, offers its preset, its inbox and the CA, until saved', async () => {
    const config = (await (await fetch(`${env.origin}/api/config`)).json()) as {
      sandbox: { idpOrigin: string; caUrl: string; inboxUrl: string; smtp: { host: string } }
    }
    const { page, context, problems } = await openPage(env)
    const notice = page.locator('#sandbox-notice')
    await notice.waitFor()
    expect(await notice.locator('h2').textContent()).toBe('ローカルのサンドボックス テナントが動いています')
    expect(await notice.locator('#sandbox-notice-inbox').getAttribute('href')).toBe(`${config.sandbox.inboxUrl}?lang=ja`)
    const ca = notice.locator('#sandbox-notice-ca')
    expect(await ca.textContent()).toContain(`${config.sandbox.idpOrigin} から、ローカルの CA`)
    expect(await ca.locator('a').getAttribute('href')).toBe(config.sandbox.caUrl)
    // The CA link serves the certificate (PEM).
    expect(await (await fetch(`${env.origin}${config.sandbox.caUrl}`)).text()).toContain('BEGIN CERTIFICATE')
    expect(await page.locator('#send-inbox').count()).toBe(0)
    await screenshot(page, 'first-run-notice')

    await page.click('#sandbox-use')
    expect(await page.inputValue('#preset')).toBe('sandbox')
    // The sandbox users, described in the page's language.
    await page.click('.sandbox-users summary')
    expect(await page.locator('.sandbox-users').textContent()).toContain('正常: SMTP AUTH が有効')
    expect(await page.inputValue('#host')).toBe(config.sandbox.smtp.host)
    await page.waitForSelector('#sandbox-notice-using')
    expect(await page.locator('#sandbox-use').count()).toBe(0)
    // The inbox next to [メール送信テスト] while the Sandbox preset is chosen.
    const inboxLink = page.locator('#send-inbox')
    expect(await inboxLink.getAttribute('href')).toBe(`${config.sandbox.inboxUrl}?lang=ja`)
    const [inboxPage] = await Promise.all([context.waitForEvent('page'), inboxLink.click()])
    await inboxPage.waitForLoadState()
    expect(inboxPage.url()).toBe(`${env.origin}${config.sandbox.inboxUrl}?lang=ja`)
    await inboxPage.close()

    await page.click('#save')
    await page.waitForSelector('.notice-line .box.ok')
    expect(await notice.count()).toBe(0)
    await page.reload()
    await page.waitForSelector('form[aria-busy="false"][data-config="loaded"] #send')
    expect(await page.locator('#sandbox-notice').count()).toBe(0)
    expect(await page.locator('#send-inbox').count()).toBe(1)
    await page.selectOption('#preset', 'm365')
    expect(await page.locator('#send-inbox').count()).toBe(0)
    expect(problems).toEqual([])
    await context.close()
  })

  it('in English with ?lang=en', async () => {
    const { page, context, problems } = await openPage(env, '/?lang=en')
    const notice = page.locator('#sandbox-notice')
    await page.waitForFunction(() => document.querySelector('#sandbox-notice h2')?.textContent === 'A local sandbox tenant is running')
    expect(await notice.locator('#sandbox-use').textContent()).toBe('Use the Sandbox preset')
    expect(await notice.locator('#sandbox-notice-inbox').getAttribute('href')).toMatch(/\?lang=en$/)
    expect(await notice.locator('#sandbox-notice-ca').textContent()).toContain('trust that CA once, or proceed past the warning')
    await page.click('#sandbox-use')
    await page.click('.sandbox-users summary')
    expect(await page.locator('.sandbox-users').textContent()).toContain('Works: SMTP AUTH on')
    expect(problems).toEqual([])
    await context.close()
  })
})

describe('settings', () => {
  it('save → reload brings the values back; the secret only when remembered', async () => {
    const { page, context, problems } = await openPage(env)
    await page.selectOption('#preset', 'm365')
    await page.fill('#tenantId', '72f988bf-86f1-41af-91ab-2d7cd011db47')
    expect(await page.inputValue('#authorizeEndpoint')).toBe(
      'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/V2.0/authorize'
    )
    await page.fill('#clientId', CUSTOM.clientId)
    await page.selectOption('#tokenMode', 'web-secret')
    await page.fill('#clientSecret', 'abc~Secret.Value_123')
    await page.fill('#to', CUSTOM.to)
    await page.fill('#from', CUSTOM.from)
    await page.click('#save')
    await page.waitForSelector('.notice-line .box.ok')
    const stored = await page.evaluate(() => localStorage.getItem('mailkey.settings') ?? '')
    expect(stored).not.toContain('abc~Secret')
    await page.reload()
    await page.waitForSelector('form[aria-busy="false"]')
    expect(await page.inputValue('#clientId')).toBe(CUSTOM.clientId)
    expect(await page.inputValue('#to')).toBe(CUSTOM.to)
    expect(await page.inputValue('#tokenEndpoint')).toContain('72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/V2.0/token')
    expect(await page.inputValue('#clientSecret')).toBe('')

    await page.fill('#clientSecret', 'abc~Secret.Value_123')
    await page.check('#rememberSecret')
    await page.click('#save')
    await page.waitForSelector('.notice-line .box.ok')
    await page.reload()
    await page.waitForSelector('form[aria-busy="false"]')
    expect(await page.inputValue('#clientSecret')).toBe('abc~Secret.Value_123')
    expect(problems).toEqual([])
    await context.close()
  })

  it('shows errors next to their fields and refuses to save them', async () => {
    const { page, context } = await openPage(env)
    await page.fill('#port', '99999')
    await page.fill('#to', 'not an address')
    await page.click('#save')
    expect(await page.locator('#port-error').textContent()).toContain('1〜65535')
    expect(await page.locator('#to-error').textContent()).toContain('メールアドレスの形式ではありません')
    expect(await page.getAttribute('#port', 'aria-invalid')).toBe('true')
    expect(await page.locator('.notice-line').textContent()).toContain('保存していません')
    await page.click('#send')
    const summary = await page.locator('#send-status').textContent()
    expect(summary).toContain('SMTPポート')
    expect(summary).toContain('送信先メールアドレス')
    expect(summary).not.toContain('認可エンドポイント')
    await screenshot(page, 'settings-errors')
    await context.close()
  })

  it('exports without secrets unless asked, and imports the file back', async () => {
    const { page, context, problems } = await openPage(env)
    await useSandbox(page, 'web-secret')
    await page.fill('#to', CUSTOM.to)
    const secret = await page.inputValue('#clientSecret')
    expect(secret.length).toBeGreaterThan(10)
    const [plain] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
    const plainText = await readFile((await plain.path()) as string, 'utf8')
    expect(plainText).not.toContain(secret)
    expect(JSON.parse(plainText)).toMatchObject({ kind: 'mailkey-settings', settings: { to: CUSTOM.to } })
    await page.check('#exportSecrets')
    const [full] = await Promise.all([page.waitForEvent('download'), page.click('#export')])
    const fullPath = (await full.path()) as string
    expect(await readFile(fullPath, 'utf8')).toContain(secret)

    page.once('dialog', (d) => void d.accept())
    await page.click('#reset')
    await page.waitForFunction(() => (document.querySelector('#to') as HTMLInputElement).value === '')
    await page.setInputFiles('#import-file', fullPath)
    await page.waitForFunction((to) => (document.querySelector('#to') as HTMLInputElement).value === to, CUSTOM.to)
    expect(await page.inputValue('#clientSecret')).toBe(secret)
    expect(await page.inputValue('#tokenMode')).toBe('web-secret')
    expect(await page.locator('.notice-line').textContent()).toContain('インポートしました')
    expect(problems).toEqual([])
    await context.close()
  })

  it('switches language, remembers it, and honours ?lang=', async () => {
    const { page, context, problems } = await openPage(env)
    expect(await page.locator('label[for=host]').textContent()).toBe('SMTPサーバー')
    expect(await page.getAttribute('html', 'lang')).toBe('ja')
    await page.click('.lang button[lang=en]')
    await page.waitForFunction(() => document.querySelector('label[for=host]')?.textContent === 'SMTP server')
    expect(await page.locator('#send').textContent()).toBe('Send test email')
    expect(await page.getAttribute('html', 'lang')).toBe('en')
    await page.reload()
    await page.waitForFunction(() => document.querySelector('label[for=host]')?.textContent === 'SMTP server')
    await page.goto(`${env.origin}/?lang=ja`)
    await page.waitForFunction(() => document.querySelector('label[for=host]')?.textContent === 'SMTPサーバー')
    await page.goto(`${env.origin}/guide?lang=en`)
    await page.waitForSelector('#step-register-app')
    expect(await page.locator('h1').textContent()).toBe('Admin setup guide')
    await screenshot(page, 'guide-en')
    expect(problems).toEqual([])
    await context.close()
  })

  it('is usable at 360 px: no horizontal scrolling, every control reachable', async () => {
    const { page, context, problems } = await openPage(env, '/', { width: 360, height: 740 })
    await useSandbox(page, 'spa-pkce')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await screenshot(page, 'narrow-360')
    // Keyboard: Tab reaches [認証] and Enter-free focus does not throw.
    await page.focus('#signin')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('signin')
    expect(problems).toEqual([])
    await context.close()
  })
})
