/**
 * Token renewal and expiry in Debian Chromium against a sandbox whose access tokens live 40 s
 * (RELAY_SANDBOX_TOKEN_TTL). The page renews short-lived tokens at 80 % of their life
 * (machine.ts `renewAt`), so renewal comes about 32 s after sign-in:
 * - spa-pkce (MSAL's silent renewal) and web-secret (the relay's refresh_token grant) renew on
 *   their own, without a popup, and the next test send uses the new token;
 * - implicit cannot renew: at expiry the page asks to sign in again, and a test send is refused
 *   in the page (diagnosed) without reaching the relay.
 * Nothing here asserts on timings: every wait is for a state the page shows, with room to spare.
 */
import { createHash } from 'node:crypto'
import type { Page, Request } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  openPage,
  sendTest,
  signIn,
  startPageEnv,
  USERS,
  useSandbox,
  type PageEnv,
} from './page-harness.ts'

/** Seconds: long enough to sign in and send once before renewal, short enough to wait for. */
const TOKEN_TTL_S = 40
/** Generous: renewal or expiry is due after at most TOKEN_TTL_S on a busy, shared machine. */
const WAIT_MS = 150_000
const TEST_MS = 300_000

let env: PageEnv

beforeAll(async () => {
  env = await startPageEnv({ RELAY_SANDBOX_TOKEN_TTL: String(TOKEN_TTL_S) })
})

afterAll(async () => {
  await env?.stop()
})

/** The bearer tokens of the page's POST /api/send requests, as SHA-256 digests, never in clear. */
function watchSentTokens(page: Page): string[] {
  const digests: string[] = []
  page.on('request', (r: Request) => {
    if (r.method() !== 'POST' || !r.url().endsWith('/api/send')) return
    const body = JSON.parse(r.postData() ?? '{}') as { auth?: { accessToken?: string } }
    digests.push(createHash('sha256').update(body.auth?.accessToken ?? '').digest('hex'))
  })
  return digests
}

/** The status region's text while signed in: account, "valid until" time, scopes. */
async function signedInText(page: Page): Promise<string> {
  await page.waitForSelector('#signin-status[data-state=signedIn]')
  return (await page.locator('#signin-status').textContent()) ?? ''
}

const RENEWABLE = ['spa-pkce', 'web-secret'] as const

describe.each(RENEWABLE)('token mode %s with short-lived tokens', (mode) => {
  it(
    'renews before expiry without a popup and sends with the renewed token',
    async () => {
      const { page, context, problems } = await openPage(env)
      await useSandbox(page, mode)
      await signIn(page, USERS.works)
      expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signedIn')
      const popups: Page[] = []
      context.on('page', (p) => popups.push(p))
      const sent = watchSentTokens(page)

      expect(await sendTest(page)).toBe('ok')
      // Taken after the send: should that send have renewed already (a slow machine), the timed
      // renewal awaited below is the one after it.
      const before = await signedInText(page)
      expect(before).toContain(USERS.works.upn)

      // Renewed: still signed in, valid until a later time (the text holds no other variable).
      await page.waitForFunction(
        (old) => {
          const el = document.querySelector('#signin-status')
          return el?.getAttribute('data-state') === 'signedIn' && el.textContent !== old
        },
        before,
        { timeout: WAIT_MS, polling: 500 }
      )
      expect(await signedInText(page)).toContain(USERS.works.upn)
      expect(popups).toHaveLength(0)

      expect(await sendTest(page)).toBe('ok')
      expect(await page.locator('#send-status .final-reply').textContent()).toMatch(/^250 /)
      expect(sent).toHaveLength(2)
      expect(sent[1]).not.toBe(sent[0])

      expect(popups).toHaveLength(0)
      expect(context.pages()).toHaveLength(1)
      expect(problems).toEqual([])
      await context.close()
    },
    TEST_MS
  )
})

describe('token mode implicit with short-lived tokens', () => {
  it(
    'shows the expired state at expiry, asks to sign in again, and does not send',
    async () => {
      const { page, context, problems } = await openPage(env)
      await useSandbox(page, 'implicit')
      await signIn(page, USERS.works)
      expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signedIn')
      const sent = watchSentTokens(page)

      await page.waitForSelector('#signin-status[data-state=expired]', { timeout: WAIT_MS })
      const status = page.locator('#signin-status')
      expect(await status.textContent()).toContain(
        'implicit 方式は更新できないため、もう一度 [認証] を押してください'
      )
      expect(await page.locator('#signin-countdown').count()).toBe(0)
      expect(await page.locator('#signin').isEnabled()).toBe(true)

      // A send with the expired token is refused and diagnosed in the page: no request leaves.
      expect(await sendTest(page)).toBe('failed')
      expect(await page.locator('#send-status').textContent()).toContain(
        'implicit 方式のトークンは更新できません'
      )
      expect(sent).toHaveLength(0)

      // Signing in again gives a fresh token that sends.
      await signIn(page, USERS.works)
      expect(await status.getAttribute('data-state')).toBe('signedIn')
      expect(await sendTest(page)).toBe('ok')
      expect(sent).toHaveLength(1)

      expect(problems).toEqual([])
      await context.close()
    },
    TEST_MS
  )
})
