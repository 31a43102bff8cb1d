/**
 * Renewal in the page's sign-in session (web-secret, whose refresh goes through hybrid.ts, held
 * back here so the tests decide when it answers): one renewal at a time, none after sign-out,
 * and a renewal timer that fires late (sleep) caught up by the one-second clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Settings } from '../settings/model.ts'
import type { TokenSet } from './tokens.ts'

const refresh = vi.hoisted(() => ({
  calls: 0,
  /** Answers of the refreshes asked so far, resolved by the test. */
  pending: [] as ((t: TokenSet) => void)[],
}))

vi.mock('./hybrid.ts', () => ({
  refreshWebSecret: (_cfg: unknown, previous: TokenSet) => {
    refresh.calls++
    return new Promise<TokenSet>((resolve) => {
      refresh.pending.push((t) => resolve({ ...t, account: previous.account }))
    })
  },
}))

const { AuthSession } = await import('./session.svelte.ts')

const settings = {
  tokenMode: 'web-secret',
  clientId: '00000000-0000-4000-8000-000000000001',
  clientSecret: 'test-secret',
  tokenEndpoint: 'https://localhost:1/tenant/oauth2/v2.0/token',
  authType: 'oauth2',
} as Settings
const KEY = 'mailkey.webSecretSession'

const tokens = (n: number, lifeMs: number): TokenSet => ({
  accessToken: `access-${n}`,
  expiresAt: Date.now() + lifeMs,
  account: 'taro@sandbox.mailkey.test',
  scopes: ['https://outlook.office.com/SMTP.Send'],
  refreshToken: `refresh-${n}`,
})

/** Lets the awaited imports and promise callbacks run (fake timers included). */
const settle = () => vi.advanceTimersByTimeAsync(0)

/** A session signed in as after a reload (resume from the stored refresh token). */
async function signedIn(lifeMs: number): Promise<InstanceType<typeof AuthSession>> {
  sessionStorage.setItem(
    KEY,
    JSON.stringify({
      key: `web-secret|${settings.clientId}|${settings.tokenEndpoint}`,
      account: 'taro@sandbox.mailkey.test',
      scopes: [],
      refreshToken: 'refresh-0',
    })
  )
  const session = new AuthSession()
  const resumed = session.resume(settings)
  await settle()
  refresh.pending.shift()?.(tokens(1, lifeMs))
  await resumed
  expect(session.state.kind).toBe('signedIn')
  refresh.calls = 0
  return session
}

beforeEach(() => {
  vi.useFakeTimers()
  const store = new Map<string, string>()
  vi.stubGlobal('sessionStorage', {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
  })
  refresh.calls = 0
  refresh.pending = []
})

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('AuthSession renewal', () => {
  it('runs one renewal at a time: a send during the timed renewal waits for it', async () => {
    const session = await signedIn(20_000)
    // The timer (80 % of 20 s) starts the renewal; a test send comes while it runs.
    await vi.advanceTimersByTimeAsync(16_000)
    expect(session.state.kind).toBe('renewing')
    const forSend = session.accessToken(settings)
    const again = session.renew()
    await settle()
    expect(refresh.calls).toBe(1)
    refresh.pending.shift()?.(tokens(2, 20_000))
    await again
    expect(await forSend).toEqual({ token: 'access-2', user: 'taro@sandbox.mailkey.test' })
    expect(refresh.calls).toBe(1)
    expect(session.state.kind).toBe('signedIn')
    await session.signOut()
  })

  it('drops a renewal that answers after sign-out', async () => {
    const session = await signedIn(20_000)
    await vi.advanceTimersByTimeAsync(16_000)
    expect(session.state.kind).toBe('renewing')
    await session.signOut()
    refresh.pending.shift()?.(tokens(2, 20_000))
    await settle()
    expect(session.state.kind).toBe('signedOut')
    expect(sessionStorage.getItem(KEY)).toBeNull()
    expect(await session.accessToken(settings)).toBeUndefined()
  })

  it('renews at once when the renewal timer fired late (slept past expiry)', async () => {
    const session = await signedIn(600_000)
    // Sleep: the wall clock jumps 20 minutes, the timers do not run meanwhile.
    vi.setSystemTime(Date.now() + 20 * 60_000)
    await vi.advanceTimersByTimeAsync(1000)
    expect(refresh.calls).toBe(1)
    expect(session.state.kind).toBe('renewing')
    refresh.pending.shift()?.(tokens(2, 600_000))
    await settle()
    expect(session.state).toMatchObject({ kind: 'signedIn', expiresAt: Date.now() + 600_000 })
    expect(await session.accessToken(settings)).toEqual({
      token: 'access-2',
      user: 'taro@sandbox.mailkey.test',
    })
    await session.signOut()
  })
})
