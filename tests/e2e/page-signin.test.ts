/**
 * The settings page in Debian Chromium against the sandbox tenant, for each token mode:
 * Sandbox preset → sign in through the popup → test send → success → the message in the
 * sandbox inbox. No CSP violation or page error may occur on the page's origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clickSignIn,
  holdMsal,
  inbox,
  openPage,
  screenshot,
  sendTest,
  signIn,
  startPageEnv,
  USERS,
  useSandbox,
  type PageEnv,
} from './page-harness.ts'

let env: PageEnv

beforeAll(async () => {
  env = await startPageEnv()
})

afterAll(async () => {
  await env?.stop()
})

describe.each(['spa-pkce', 'web-secret', 'implicit'] as const)('token mode %s', (mode) => {
  it('signs in through the popup and sends a test message that arrives', async () => {
    const { page, context, problems } = await openPage(env)
    await useSandbox(page, mode)
    await screenshot(page, `${mode}-1-form`)
    await signIn(page, USERS.works)
    const status = page.locator('#signin-status')
    expect(await status.getAttribute('data-state')).toBe('signedIn')
    expect(await status.textContent()).toContain(`${USERS.works.upn} としてサインインしています`)
    expect(await status.textContent()).toContain('https://outlook.office.com/SMTP.Send')
    expect(await page.locator('#signin-countdown').textContent()).toMatch(/残り \d+ 分/)
    await screenshot(page, `${mode}-2-signed-in`)

    expect(await sendTest(page)).toBe('ok')
    const reply = await page.locator('#send-status .final-reply').textContent()
    expect(reply).toMatch(/^250 /)
    expect(await page.locator('#send-status').textContent()).toContain('送信に成功しました')
    await screenshot(page, `${mode}-3-sent`)

    // Another registration: the token held no longer applies, and the panel says so.
    const other = mode === 'implicit' ? 'spa-pkce' : 'implicit'
    await page.selectOption('#tokenMode', other)
    await page.waitForSelector('#signin-stale')
    await page.selectOption('#tokenMode', mode)
    expect(await page.locator('#signin-stale').count()).toBe(0)

    const messages = await inbox(env)
    expect(messages.some((m) => String(m.subject).startsWith('mailkey テストメール'))).toBe(true)

    // Tokens are never written to localStorage; a reload resumes the tab's session where the
    // mode can renew (MSAL's session cache, the web-secret refresh token), not for implicit.
    // The secret (and remembering it) is only there in web-secret, the one mode that uses it.
    if (mode === 'web-secret') await page.check('#rememberSecret')
    else expect(await page.locator('#rememberSecret').count()).toBe(0)
    await page.click('#save')
    await page.waitForSelector('.notice-line .box.ok')
    const local = await page.evaluate(() => JSON.stringify(localStorage))
    expect(local).not.toMatch(/eyJ[\w-]+\.eyJ/)
    await page.reload()
    await page.waitForSelector('form[aria-busy="false"] #signin')
    if (mode === 'implicit') {
      expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signedOut')
    } else {
      await page.waitForSelector('#signin-status[data-state=signedIn]')
      expect(await page.locator('#signin-status').textContent()).toContain(USERS.works.upn)
      // Sign-out forgets every token of the tab.
      await page.click('#signout')
      await page.waitForSelector('#signin-status[data-state=signedOut]')
      const session = await page.evaluate(() => JSON.stringify(sessionStorage))
      expect(session).not.toMatch(/eyJ[\w-]+\.eyJ/)
      expect(session).not.toContain('mailkey.webSecretSession')
    }
    expect(problems).toEqual([])
    await context.close()
  })
})

describe('spa-pkce when MSAL is not ready at the click', () => {
  it('opens the popup in the click and hands it to MSAL once loaded', async () => {
    const { page, context, problems } = await openPage(env)
    const msal = await holdMsal(page)
    await useSandbox(page, 'spa-pkce')
    // A click without hover or focus first: nothing warmed MSAL, and its chunks are held.
    const opened = await clickSignIn(page, () => page.dispatchEvent('#signin', 'click'))
    if (!('popup' in opened)) throw new Error(opened.status)
    const { popup } = opened
    expect(await popup.locator('p').textContent()).toContain('サインイン ページに接続しています')
    expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signingIn')
    msal.release()
    // MSAL sends the same window to the sandbox's sign-in page.
    await popup.waitForSelector('#upn')
    await popup.fill('#upn', USERS.works.upn)
    await popup.fill('#password', USERS.works.password)
    await popup.click('button[type=submit]')
    await page.waitForSelector('#signin-status:not([data-state=signingIn])')
    expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signedIn')
    expect(context.pages()).toHaveLength(1)
    expect(problems).toEqual([])
    await context.close()
  })
})
