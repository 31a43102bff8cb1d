/**
 * Failures the administrator meets, produced for real by the sandbox tenant, each shown by the
 * page with its Japanese diagnosis, its code and the guide step that fixes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clickSignIn,
  holdMsal,
  openPage,
  screenshot,
  sendTest,
  setSwitches,
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

async function fresh(): Promise<TestPage> {
  const t = await openPage(env)
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

describe('diagnosis of real failures', () => {
  it('SMTP AUTH disabled for the user: 535 5.7.139, the Microsoft 365 admin center step', async () => {
    const { page } = await fresh()
    await useSandbox(page, 'spa-pkce')
    await signIn(page, USERS.smtpAuthOff)
    expect(await sendTest(page)).toBe('failed')
    const d = page.locator('#send-status .diagnosis')
    expect(await d.getAttribute('data-cause')).toBe('smtp-auth-disabled')
    const text = await d.textContent()
    expect(text).toContain('535 5.7.139')
    expect(text).toContain('認証済み SMTP')
    expect(await page.locator('#send-status details.transcript summary').textContent()).toContain('SMTP のやりとり')
    await screenshot(page, 'fail-5.7.139')
    await d.locator('a[href="/guide#step-smtp-auth"]').click()
    await page.waitForSelector('#step-smtp-auth')
    expect(page.url()).toContain('/guide#step-smtp-auth')
    await page.waitForFunction(() => document.activeElement?.id === 'step-smtp-auth')
    await screenshot(page, 'fail-5.7.139-guide')
    await closeAll()
  })

  it('explains in English with ?lang=en', async () => {
    const t = await openPage(env, '/?lang=en')
    open.push(t)
    const { page } = t
    await page.waitForFunction(() => document.querySelector('#send')?.textContent === 'Send test email')
    await useSandbox(page, 'web-secret')
    await signIn(page, USERS.smtpAuthOff)
    expect(await page.locator('#signin-status').textContent()).toContain(`Signed in as ${USERS.smtpAuthOff.upn}`)
    expect(await sendTest(page)).toBe('failed')
    const d = page.locator('#send-status .diagnosis')
    expect(await d.textContent()).toContain('Microsoft 365 refused SMTP authentication for this user.')
    expect(await d.textContent()).toContain('Authenticated SMTP')
    await screenshot(page, 'fail-5.7.139-en')
    await closeAll()
  })

  it('expired client secret: AADSTS7000222, the Certificates & secrets step', async () => {
    await setSwitches(env, { webSecretExpired: true })
    try {
      const { page } = await fresh()
      await useSandbox(page, 'web-secret')
      await signIn(page, USERS.works)
      const d = page.locator('#signin-status .diagnosis')
      expect(await d.getAttribute('data-cause')).toBe('secret-expired')
      expect(await d.textContent()).toContain('AADSTS7000222')
      expect(await d.textContent()).toContain('有効期限が切れています')
      expect(await d.locator('a').getAttribute('href')).toBe('/guide#step-client-secret')
      await screenshot(page, 'fail-7000222')
    } finally {
      await setSwitches(env, { webSecretExpired: false })
    }
    await closeAll()
  })

  it('the secret ID entered as the value: warned, then AADSTS7000215', async () => {
    const config = (await (await fetch(`${env.origin}/api/config`)).json()) as {
      sandbox: { clientSecretId: string }
    }
    const { page } = await fresh()
    await useSandbox(page, 'web-secret')
    await page.fill('#clientSecret', config.sandbox.clientSecretId)
    expect(await page.locator('#clientSecret-warning').textContent()).toContain('シークレットの「ID」')
    await signIn(page, USERS.works)
    const d = page.locator('#signin-status .diagnosis')
    expect(await d.getAttribute('data-cause')).toBe('secret-invalid')
    expect(await d.textContent()).toContain('AADSTS7000215')
    await screenshot(page, 'fail-7000215')
    await closeAll()
  })

  it('sending as another address: 554 5.2.252 SendAsDenied', async () => {
    const { page } = await fresh()
    await useSandbox(page, 'spa-pkce')
    await signIn(page, USERS.works)
    await page.fill('#from', USERS.shared)
    expect(await sendTest(page)).toBe('failed')
    const d = page.locator('#send-status .diagnosis')
    expect(await d.getAttribute('data-cause')).toBe('send-as-denied')
    expect(await d.textContent()).toContain('5.2.252')
    expect(await d.textContent()).toContain('送信元アドレスとしての送信が拒否されました')
    await screenshot(page, 'fail-5.2.252')
    await closeAll()
  })

  it('implicit with "Access tokens" unticked: AADSTS700051 from the authorize endpoint', async () => {
    await setSwitches(env, { implicitAccessTokensDisabled: true })
    try {
      const { page } = await fresh()
      await useSandbox(page, 'implicit')
      await signIn(page, USERS.works)
      const d = page.locator('#signin-status .diagnosis')
      expect(await d.getAttribute('data-cause')).toBe('implicit-off')
      expect(await d.textContent()).toContain('AADSTS700051')
      expect(await d.locator('a').getAttribute('href')).toBe('/guide#step-authentication')
    } finally {
      await setSwitches(env, { implicitAccessTokensDisabled: false })
    }
    await closeAll()
  })

  it('MSAL failing to load: the popup opened for it closes and the failure shows', async () => {
    const { page, context } = await fresh()
    const msal = await holdMsal(page)
    await useSandbox(page, 'spa-pkce')
    const opened = await clickSignIn(page, () => page.dispatchEvent('#signin', 'click'))
    if (!('popup' in opened)) throw new Error(opened.status)
    msal.fail()
    await page.waitForSelector('#signin-status[data-state=failed] .diagnosis')
    expect(await page.locator('#signin-status .diagnosis').getAttribute('data-cause')).toBe('page-load-failed')
    expect(await page.locator('#signin-status').textContent()).toContain('読み込めませんでした')
    if (!opened.popup.isClosed()) await opened.popup.waitForEvent('close')
    expect(context.pages()).toHaveLength(1)
    await closeAll()
  })

  it.each(['web-secret', 'spa-pkce'] as const)('the popup closed by the user (%s)', async (mode) => {
    const { page } = await fresh()
    await useSandbox(page, mode)
    const opened = await clickSignIn(page)
    if (!('popup' in opened)) throw new Error(opened.status)
    const { popup } = opened
    await popup.waitForSelector('#upn')
    expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signingIn')
    await popup.close()
    await page.waitForSelector('#signin-status[data-state=failed] .diagnosis')
    const d = page.locator('#signin-status .diagnosis')
    expect(await d.getAttribute('data-cause')).toBe('popup-closed')
    expect(await d.textContent()).toContain('ポップアップが閉じられました')
    await screenshot(page, `fail-popup-closed-${mode}`)
    // Signing in again right away works (MSAL's interaction lock does not linger).
    await signIn(page, USERS.works)
    expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signedIn')
    await closeAll()
  })
})
