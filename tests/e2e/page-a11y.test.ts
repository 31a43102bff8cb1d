/**
 * Keyboard-only use and labelling: every control of the form has a label, and the whole flow
 * (preset, token mode, [認証], [メール送信テスト]) works from the keyboard, with the outcomes
 * announced in role="status" regions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPage, screenshot, startPageEnv, USERS, type PageEnv } from './page-harness.ts'

let env: PageEnv

beforeAll(async () => {
  env = await startPageEnv()
})

afterAll(async () => {
  await env?.stop()
})

describe('accessibility', () => {
  it('labels every form control', async () => {
    const { page, context } = await openPage(env)
    await page.selectOption('#authType', 'password')
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => {
          const e = el as HTMLInputElement
          return !e.hidden && e.labels?.length === 0 && !e.getAttribute('aria-label')
        })
        .map((el) => el.id || el.outerHTML)
    )
    expect(unlabelled).toEqual([])
    expect(await page.locator('[role=status]').count()).toBeGreaterThanOrEqual(2)
    await context.close()
  })

  it('signs in and sends with the keyboard only', async () => {
    const { page, context, problems } = await openPage(env)
    await page.focus('#preset')
    await page.keyboard.press('ArrowDown') // Microsoft 365 → サンドボックス
    await page.waitForFunction(() => (document.querySelector('#tokenMode') as HTMLSelectElement | null) !== null)
    expect(await page.inputValue('#preset')).toBe('sandbox')
    await page.waitForFunction(() => (document.querySelector('#host') as HTMLInputElement).value === 'localhost')
    // Tab forward to [認証] from the token mode select.
    await page.focus('#tokenMode')
    let guard = 0
    while ((await page.evaluate(() => document.activeElement?.id)) !== 'signin' && guard++ < 10) {
      await page.keyboard.press('Tab')
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('signin')
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.keyboard.press('Enter')])
    await popup.waitForSelector('#upn')
    await popup.fill('#upn', USERS.works.upn)
    await popup.fill('#password', USERS.works.password)
    await popup.keyboard.press('Enter')
    await page.waitForSelector('#signin-status[data-state=signedIn]')
    await page.focus('#send')
    await page.keyboard.press('Enter')
    await page.waitForSelector('#send-status[data-phase=ok]')
    expect(await page.locator('#send-status').getAttribute('role')).toBe('status')
    await screenshot(page, 'keyboard-sent')
    expect(problems).toEqual([])
    await context.close()
  })
})
