import { describe, expect, it, vi } from 'vitest'
import { AuthFailure } from './errors.ts'
import { accountName, bytesToBase64Url, decodeJwt, halfHash } from './jwt.ts'
import { next, renewAt, renewIsDue, timeLeft, type Account, type AuthState } from './machine.ts'
import { fromMsalError, msalConfig } from './msal.ts'
import { authorizeUrl, canonicalEndpoint, codeChallenge, isOurAuthResponse, randomString } from './oauth.ts'
import { closedIsReliable, watchClosed } from './popup.ts'
import { redirectUriFor } from './redirect.ts'
import { idTokenProblem, scopeList } from './tokens.ts'

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const acct: Account = { account: 'a@x.example', expiresAt: 10_000, scopes: ['s'], mode: 'spa-pkce' }

function jwt(claims: object): string {
  const enc = (o: object) => bytesToBase64Url(new TextEncoder().encode(JSON.stringify(o)))
  return `${enc({ alg: 'RS256' })}.${enc(claims)}.sig`
}

describe('state machine', () => {
  it('walks signed out → signing in → signed in → renewing → signed in → signed out', () => {
    let s: AuthState = { kind: 'signedOut' }
    s = next(s, { type: 'start', mode: 'spa-pkce' })
    expect(s.kind).toBe('signingIn')
    s = next(s, { type: 'success', account: acct })
    expect(s).toEqual({ kind: 'signedIn', ...acct })
    s = next(s, { type: 'renew' })
    expect(s.kind).toBe('renewing')
    s = next(s, { type: 'success', account: { ...acct, expiresAt: 20_000 } })
    expect(s.kind === 'signedIn' && s.expiresAt).toBe(20_000)
    expect(next(s, { type: 'signOut' })).toEqual({ kind: 'signedOut' })
  })

  it('fails from signing in, expires from signed in, ignores events that do not apply', () => {
    const signing: AuthState = { kind: 'signingIn', mode: 'implicit' }
    const failed = next(signing, { type: 'fail', problem: 'x' })
    expect(failed).toEqual({ kind: 'failed', mode: 'implicit', problem: 'x' })
    const signedOut: AuthState = { kind: 'signedOut' }
    expect(next(signedOut, { type: 'success', account: acct })).toBe(signedOut)
    expect(next(signedOut, { type: 'expire' })).toBe(signedOut)
    expect(next(signing, { type: 'start', mode: 'spa-pkce' })).toBe(signing)
    const expired = next({ kind: 'signedIn', ...acct }, { type: 'expire' })
    expect(expired.kind).toBe('expired')
    expect(next(expired, { type: 'start', mode: 'spa-pkce' }).kind).toBe('signingIn')
  })

  it('renews five minutes early, or at 80 % of a short life', () => {
    expect(renewAt(3_600_000, 0)).toBe(3_300_000)
    expect(renewAt(60_000, 0)).toBe(48_000)
    expect(timeLeft(125_999, 0)).toEqual({ m: 2, s: 5 })
    expect(timeLeft(0, 5)).toEqual({ m: 0, s: 0 })
  })

  it('renews when due, also after expiry, never implicit, running or failed renewals', () => {
    expect(renewIsDue({ kind: 'signedIn', ...acct }, 8_000, 8_000)).toBe(true)
    expect(renewIsDue({ kind: 'signedIn', ...acct }, 7_999, 8_000)).toBe(false)
    expect(renewIsDue({ kind: 'expired', ...acct }, 60_000, 8_000)).toBe(true)
    expect(renewIsDue({ kind: 'renewing', ...acct }, 60_000, 8_000)).toBe(false)
    const failed: AuthState = { kind: 'failed', mode: 'web-secret', problem: 'x' }
    expect(renewIsDue(failed, 60_000, 8_000)).toBe(false)
    expect(renewIsDue({ kind: 'expired', ...acct, mode: 'implicit' }, 60_000, 8_000)).toBe(false)
  })
})

describe('oauth helpers', () => {
  it('builds the PKCE challenge of RFC 7636 appendix B', async () => {
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    )
    expect(randomString()).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('builds a hybrid authorize URL on the canonical v2.0 path', () => {
    const url = new URL(
      authorizeUrl({
        endpoint: `https://login.microsoftonline.com/${TID}/oauth2/V2.0/authorize`,
        clientId: 'cid',
        redirectUri: 'http://localhost:8787/',
        responseType: 'code id_token',
        scope: 'https://outlook.office.com/SMTP.Send offline_access openid profile',
        state: 'mk1.s',
        nonce: 'n',
        codeChallenge: 'c',
      })
    )
    expect(url.pathname).toBe(`/${TID}/oauth2/v2.0/authorize`)
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code id_token',
      response_mode: 'fragment',
      code_challenge_method: 'S256',
      redirect_uri: 'http://localhost:8787/',
      nonce: 'n',
    })
    expect(canonicalEndpoint(' https://h/t/oauth2/v2.0/token ')).toBe('https://h/t/oauth2/v2.0/token')
  })

  it('recognises only its own authorization responses', () => {
    expect(isOurAuthResponse('#code=a&id_token=b&state=mk1.xyz')).toBe(true)
    expect(isOurAuthResponse('#error=access_denied&state=mk1.xyz')).toBe(true)
    expect(isOurAuthResponse('#code=a&state=other')).toBe(false)
    expect(isOurAuthResponse('#step-consent')).toBe(false)
  })

  it('trusts a closed popup except on Microsoft sign-in pages (COOP)', () => {
    expect(closedIsReliable('https://localhost:4443/t/oauth2/v2.0/authorize')).toBe(true)
    expect(closedIsReliable('https://login.microsoftonline.com/t/oauth2/v2.0/authorize')).toBe(false)
  })

  it('gives each mode its redirect URI and the one value to register', () => {
    const loc = { origin: 'http://localhost:8787', hostname: 'localhost' }
    expect(redirectUriFor('spa-pkce', loc)).toEqual({
      uri: 'http://localhost:8787/redirect-bridge.html',
      register: 'http://localhost:8787/redirect-bridge.html',
      onServer: false,
      usable: true,
    })
    // The seed's http://localhost is registered; the port is Entra's to ignore.
    expect(redirectUriFor('web-secret', loc)).toEqual({
      uri: 'http://localhost:8787/',
      register: 'http://localhost',
      onServer: false,
      usable: true,
    })
    // The relay on a server: its own https root is registered instead; plain http cannot work.
    const server = redirectUriFor('implicit', { origin: 'https://mail.example', hostname: 'mail.example' })
    expect(server).toEqual({ uri: 'https://mail.example/', register: 'https://mail.example/', onServer: true, usable: true })
    expect(redirectUriFor('web-secret', { origin: 'http://mail.example', hostname: 'mail.example' }).usable).toBe(false)
  })
})

describe('ID tokens', () => {
  it('decodes claims (UTF-8 names included) and names the account', () => {
    const claims = decodeJwt(jwt({ name: '山田 太郎', preferred_username: 'taro@x.example' }))
    expect(claims.name).toBe('山田 太郎')
    expect(accountName(claims)).toBe('taro@x.example')
    expect(() => decodeJwt('nope')).toThrow()
  })

  it('checks nonce, audience and expiry', () => {
    const ok = { nonce: 'n', aud: 'cid', exp: 2000 }
    const expect_ = { nonce: 'n', clientId: 'cid', nowMs: 1_000_000 }
    expect(idTokenProblem(ok, expect_)).toBeUndefined()
    expect(idTokenProblem({ ...ok, nonce: 'm' }, expect_)).toBe('nonce')
    expect(idTokenProblem({ ...ok, aud: ['other'] }, expect_)).toBe('aud')
    expect(idTokenProblem({ ...ok, exp: 1 }, { ...expect_, nowMs: 10_000_000 })).toBe('exp')
  })

  it('computes c_hash as the left half of SHA-256 (OIDC Core 3.3.2.11)', async () => {
    expect(await halfHash('abc')).toBe('ungWv48Bz-pBQUDeXa4iIw')
    expect(scopeList('a b', ['x'])).toEqual(['a', 'b'])
    expect(scopeList('', ['x'])).toEqual(['x'])
  })
})

describe('MSAL wrapper', () => {
  it('derives authority and known authority from the authorize endpoint', () => {
    const c = msalConfig(
      { clientId: ' cid ', authorizeEndpoint: `https://localhost:4443/${TID}/oauth2/V2.0/authorize` },
      'http://localhost:8787'
    )
    expect(c.auth).toMatchObject({
      clientId: 'cid',
      authority: `https://localhost:4443/${TID}`,
      knownAuthorities: ['localhost:4443'],
      redirectUri: 'http://localhost:8787/redirect-bridge.html',
    })
  })

  it('maps MSAL error codes to the page failures, keeping AADSTS codes', () => {
    expect(fromMsalError({ errorCode: 'popup_window_error' }).code).toBe('popup_blocked')
    expect(fromMsalError({ errorCode: 'user_cancelled' }).code).toBe('popup_closed')
    expect(fromMsalError({ errorCode: 'timed_out', subError: 'redirect_bridge_timeout' }).code).toBe('bridge_timeout')
    expect(fromMsalError({ errorCode: 'authority_uri_insecure' }).code).toBe('authority_insecure')
    const server = fromMsalError({ errorCode: 'invalid_request', errorNo: '9002326' })
    expect([server.code, server.aadsts]).toEqual(['authorize_error', 'AADSTS9002326'])
    const own = new AuthFailure('state_mismatch')
    expect(fromMsalError(own)).toBe(own)
  })
})

describe('watchClosed', () => {
  it('rejects popup_closed after the grace period when closing is a reliable signal', async () => {
    vi.useFakeTimers()
    try {
      const win = { closed: false, close() {} } as unknown as Window
      const watch = watchClosed(() => win, { closedReliable: true })
      const outcome = watch.closed.catch((e: AuthFailure) => e.code)
      vi.advanceTimersByTime(2000)
      ;(win as { closed: boolean }).closed = true
      vi.advanceTimersByTime(2000)
      expect(await outcome).toBe('popup_closed')
    } finally {
      vi.useRealTimers()
    }
  })

  it('ignores a closed-looking window behind COOP, but honours cancel', async () => {
    vi.useFakeTimers()
    try {
      const abort = new AbortController()
      const win = { closed: true, close() {} } as unknown as Window
      const watch = watchClosed(() => win, { closedReliable: false, signal: abort.signal })
      let settled = false
      const outcome = watch.closed.catch((e: AuthFailure) => {
        settled = true
        return e.detail
      })
      vi.advanceTimersByTime(60_000)
      await Promise.resolve()
      expect(settled).toBe(false)
      abort.abort()
      expect(await outcome).toBe('cancelled')
    } finally {
      vi.useRealTimers()
    }
  })
})
