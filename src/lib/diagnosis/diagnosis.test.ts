import { describe, expect, it } from 'vitest'
import { ERROR_CODES, type ErrorBody } from '../contract/api.ts'
import { M365_EXPLANATIONS, SEED_STEPS } from '../contract/m365.ts'
import { AuthFailure, BROWSER_FAILURES } from '../auth/errors.ts'
import { RelayError, RelayUnreachable } from '../relay/client.ts'
import { CAUSES } from './catalogue.ts'
import { diagnose, PageProblem, shownCodes } from './diagnose.ts'

const body = (error: ErrorBody['error'], transcript?: ErrorBody['transcript']): ErrorBody => ({
  ok: false,
  error,
  ...(transcript ? { transcript } : {}),
})

describe('catalogue', () => {
  it('has at least 15 causes with unique ids and text in both languages', () => {
    expect(CAUSES.length).toBeGreaterThanOrEqual(15)
    expect(new Set(CAUSES.map((c) => c.id)).size).toBe(CAUSES.length)
    for (const c of CAUSES) {
      for (const t of [c.what, c.cause, c.fix]) {
        expect(t.ja.trim(), c.id).not.toBe('')
        expect(t.en.trim(), c.id).not.toBe('')
        expect(t.ja, c.id).not.toBe(t.en)
      }
      expect(SEED_STEPS).toContain(c.step)
    }
  })

  it('explains every entry of the Microsoft 365 table, every relay code and browser failure', () => {
    const m365 = new Set(CAUSES.flatMap((c) => c.m365 ?? []))
    for (const e of M365_EXPLANATIONS) {
      expect(m365.has(e.id), `translate ${e.id}: add it to a cause in causes-m365.ts`).toBe(true)
    }
    const relay = new Set(CAUSES.flatMap((c) => c.relay ?? []))
    for (const code of ERROR_CODES) expect(relay.has(code), code).toBe(true)
    const browser = new Set(CAUSES.flatMap((c) => c.browser ?? []))
    for (const code of BROWSER_FAILURES) expect(browser.has(code), code).toBe(true)
  })

  it('maps each m365 id, relay code and browser failure to exactly one cause', () => {
    const all = CAUSES.flatMap((c) => [...(c.m365 ?? []), ...(c.relay ?? []), ...(c.browser ?? [])])
    expect(new Set(all).size).toBe(all.length)
  })
})

describe('diagnose', () => {
  it('SMTP AUTH disabled: 535 5.7.139 → smtp-auth step, codes visible', () => {
    const d = diagnose(
      new RelayError(
        body(
          {
            code: 'AUTH_FAILED',
            message: 'Authentication failed',
            smtp: {
              code: 535,
              enhanced: '5.7.139',
              text: 'Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox',
            },
          },
          [{ dir: 'C', line: 'AUTH XOAUTH2 ****' }]
        )
      )
    )
    expect(d.cause.id).toBe('smtp-auth-disabled')
    expect(d.cause.step).toBe('smtp-auth')
    expect(d.codes).toEqual(['535 5.7.139', 'AUTH_FAILED'])
    expect(d.transcript).toHaveLength(1)
  })

  it('an outcome the relay could not learn (maybeDelivered): says the message may have arrived, not "check the server"', () => {
    for (const code of ['TIMEOUT', 'PROTOCOL_ERROR'] as const) {
      const d = diagnose(new RelayError(body({ code, message: 'x', maybeDelivered: true })))
      expect(d.cause.id).toBe('maybe-delivered')
      expect(d.cause.what.ja).toContain('届いている可能性')
      expect(d.cause.fix.en).toMatch(/Check the recipient's inbox first/)
    }
    // Without the flag a timeout is still a connection problem.
    expect(diagnose(new RelayError(body({ code: 'TIMEOUT', message: 'x' }))).cause.id).toBe('connection-failed')
  })

  it('send as another address: 554 5.2.252 → send-as-denied', () => {
    const d = diagnose(
      new RelayError(
        body({
          code: 'SENDER_REJECTED',
          message: 'x',
          smtp: { code: 554, enhanced: '5.2.252', text: 'SendAsDenied; a not allowed to send as b' },
        })
      )
    )
    expect(d.cause.id).toBe('send-as-denied')
    expect(d.codes[0]).toBe('554 5.2.252')
  })

  it('token endpoint errors by AADSTS code: expired secret, secret ID as value', () => {
    const expired = diagnose(new RelayError(body({ code: 'TOKEN_ENDPOINT_ERROR', message: 'x', aadsts: 'AADSTS7000222' })))
    expect([expired.cause.id, expired.cause.step, expired.codes[0]]).toEqual(['secret-expired', 'client-secret', 'AADSTS7000222'])
    const idAsValue = diagnose(new RelayError(body({ code: 'TOKEN_ENDPOINT_ERROR', message: 'x', aadsts: 'AADSTS7000215' })))
    expect(idAsValue.cause.id).toBe('secret-invalid')
    const unknown = diagnose(new RelayError(body({ code: 'TOKEN_ENDPOINT_ERROR', message: 'x', aadsts: 'AADSTS1' })))
    expect(unknown.cause.id).toBe('token-request-incomplete')
  })

  it('browser failures, and AADSTS9002326 from MSAL in spa-pkce', () => {
    expect(diagnose(new AuthFailure('popup_blocked')).cause.id).toBe('popup-blocked')
    expect(diagnose(new AuthFailure('popup_closed')).cause.id).toBe('popup-closed')
    // A popup that never came back names the redirect URI only when the authority was reachable.
    const timeout = diagnose(new AuthFailure('bridge_timeout'))
    expect(timeout.cause.id).toBe('bridge-timeout-unverified')
    expect(timeout.cause.cause.ja).not.toContain('リダイレクト URI')
    const reached = diagnose(new AuthFailure('bridge_timeout', { authorityReachable: true }))
    expect(reached.cause.id).toBe('bridge-timeout')
    expect(reached.cause.fix.ja).toContain('リダイレクト URI')
    // [Cancel] is not "you closed the popup".
    expect(diagnose(new AuthFailure('popup_closed', { detail: 'cancelled' })).cause.id).toBe('signin-cancelled')
    expect(diagnose(new AuthFailure('authority_insecure', { detail: 'authority_uri_insecure' })).codes).toEqual([
      'authority_insecure',
    ])
    const web = diagnose(new AuthFailure('authorize_error', { aadsts: 'AADSTS9002326' }))
    expect([web.cause.id, web.cause.step]).toEqual(['web-registration-spa-mode', 'authentication'])
    expect(web.codes).toContain('AADSTS9002326')
  })

  it('an unreachable authority: its own diagnosis naming the host, in both languages', () => {
    const d = diagnose(new AuthFailure('authority_unreachable', { detail: 'login.microsoftonline.com' }))
    expect(d.cause.id).toBe('authority-unreachable')
    expect(d.cause.what.ja).toBe('このパソコンのブラウザーから login.microsoftonline.com に接続できません。')
    expect(d.cause.what.en).toBe("This PC's browser cannot reach login.microsoftonline.com.")
    expect(d.cause.fix.ja).toContain('プロキシ')
    expect(d.cause.fix.en).toContain('https://login.microsoftonline.com/')
    expect(d.detail).toBeUndefined()
    expect(shownCodes(d)).toEqual([])
  })

  it('shows SMTP, AADSTS and relay codes, not the page\'s own failure names; the English gloss apart', () => {
    expect(shownCodes(diagnose(new AuthFailure('popup_closed')))).toEqual([])
    expect(shownCodes(diagnose(new PageProblem('no_token')))).toEqual([])
    expect(shownCodes(diagnose(new AuthFailure('authorize_error', { aadsts: 'AADSTS50011' })))).toEqual(['AADSTS50011'])
    const d = diagnose(
      new RelayError(
        body({
          code: 'AUTH_FAILED',
          message: 'SMTP AUTH (Authenticated SMTP) is turned off for this mailbox.',
          smtp: { code: 535, enhanced: '5.7.139', text: 'Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox' },
        })
      )
    )
    expect(shownCodes(d)).toEqual(['535 5.7.139', 'AUTH_FAILED'])
    expect(d.detail).toBe('Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox')
    expect(d.gloss).toBe('SMTP AUTH (Authenticated SMTP) is turned off for this mailbox.')
  })

  it('relay unreachable, no token, anything else', () => {
    expect(diagnose(new RelayUnreachable(new TypeError('x'))).cause.id).toBe('relay-unreachable')
    expect(diagnose(new PageProblem('no_token')).cause.id).toBe('no-token')
    expect(diagnose(new Error('boom')).cause.id).toBe('relay-internal')
  })
})
