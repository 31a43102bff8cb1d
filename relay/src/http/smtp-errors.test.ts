import { describe, expect, it } from 'vitest'
import { ErrorBody } from '../../../src/lib/contract/api.ts'
import { isTransient, maybeAccepted, SmtpError } from '../smtp/index.ts'
import type { FailureKind, Reply, Stage } from '../smtp/types.ts'
import { errorBody } from './errors.ts'
import { apiCodeFor, smtpErrorToApi } from './smtp-errors.ts'

const reply = (code: number, text = 'x', enhanced?: string): Reply => ({
  code,
  lines: [text],
  ...(enhanced && { enhanced }),
})

describe('the engine’s SMTP facts in the contract’s codes (mapped only here)', () => {
  const cases: [Stage, FailureKind, Reply | undefined, string][] = [
    ['connect', 'socket', undefined, 'CONNECTION_FAILED'],
    ['connect', 'timeout', undefined, 'TIMEOUT'],
    ['connect', 'aborted', undefined, 'TIMEOUT'],
    ['tls', 'tls', undefined, 'TLS_FAILED'],
    ['tls', 'socket', undefined, 'TLS_FAILED'],
    ['greeting', 'reply', reply(554), 'CONNECTION_FAILED'],
    ['ehlo', 'reply', reply(451), 'CONNECTION_FAILED'],
    ['starttls', 'unavailable', undefined, 'STARTTLS_UNAVAILABLE'],
    ['starttls', 'reply', reply(454), 'STARTTLS_UNAVAILABLE'],
    ['starttls', 'protocol', undefined, 'TLS_FAILED'],
    ['auth', 'unavailable', undefined, 'AUTH_MECHANISM_UNAVAILABLE'],
    ['auth', 'reply', reply(504), 'AUTH_MECHANISM_UNAVAILABLE'],
    ['auth', 'reply', reply(535), 'AUTH_FAILED'],
    ['mail', 'reply', reply(550), 'SENDER_REJECTED'],
    ['mail', 'unavailable', undefined, 'MESSAGE_REJECTED'],
    ['mail', 'local', undefined, 'INTERNAL'],
    ['rcpt', 'reply', reply(550), 'RECIPIENT_REJECTED'],
    ['data', 'reply', reply(554), 'MESSAGE_REJECTED'],
    ['data', 'timeout', undefined, 'TIMEOUT'],
    // The server broke the grammar: its fault, at any stage but STARTTLS (injection).
    ['greeting', 'protocol', undefined, 'PROTOCOL_ERROR'],
    ['ehlo', 'protocol', undefined, 'PROTOCOL_ERROR'],
    ['data', 'protocol', undefined, 'PROTOCOL_ERROR'],
    // 421 anywhere: the server closed the channel (RFC 5321 §3.8), not a refusal of a field.
    ['mail', 'reply', reply(421), 'CONNECTION_FAILED'],
    ['rcpt', 'reply', reply(421), 'CONNECTION_FAILED'],
    ['auth', 'reply', reply(421), 'CONNECTION_FAILED'],
    ['data', 'reply', reply(421), 'CONNECTION_FAILED'],
  ]
  it.each(cases)('%s / %s %o → %s', (stage, kind, r, code) => {
    expect(apiCodeFor({ stage, kind, ...(r && { reply: r }) })).toBe(code)
  })

  it('answers in the contract’s shape with the reply and the transcript', () => {
    const err = new SmtpError({
      stage: 'auth',
      kind: 'reply',
      message: 'AUTH XOAUTH2 **** refused: 535 5.7.3 Authentication unsuccessful',
      reply: reply(535, 'Authentication unsuccessful', '5.7.3'),
      transcript: [{ dir: 'S', line: '535 5.7.3 Authentication unsuccessful' }],
    })
    const body = ErrorBody.parse(errorBody(smtpErrorToApi(err)))
    expect(body.error).toMatchObject({
      code: 'AUTH_FAILED',
      smtp: { code: 535, enhanced: '5.7.3', text: 'Authentication unsuccessful' },
    })
    expect(body.transcript).toHaveLength(1)
    expect(body.error.stage).toBe('auth')
  })

  it('says a message may have been accepted when its verdict was lost', () => {
    const err = new SmtpError({
      stage: 'data',
      kind: 'protocol',
      command: '.',
      message: '.: malformed reply line: "OK queued"',
      maybeAccepted: true,
    })
    const api = smtpErrorToApi(err)
    expect(api.code).toBe('PROTOCOL_ERROR')
    expect(api.message).toMatch(/"OK queued".*at the end of the message.*may have accepted it/s)
    expect(errorBody(api).error.maybeDelivered).toBe(true)
  })

  it('does not say maybeDelivered when the server refused the message in so many words', () => {
    const err = new SmtpError({ stage: 'data', kind: 'reply', message: 'm', reply: reply(554), maybeAccepted: true })
    expect(errorBody(smtpErrorToApi(err)).error).not.toHaveProperty('maybeDelivered')
  })
})

describe('the engine’s classification for a retry policy', () => {
  const error = (kind: FailureKind, r?: Reply, owed = false) =>
    new SmtpError({ stage: 'data', kind, message: 'm', ...(r && { reply: r }), maybeAccepted: owed })

  it('4yz replies are transient, 5yz permanent (RFC 5321 §4.2.1)', () => {
    expect(isTransient(error('reply', reply(421)))).toBe(true)
    expect(isTransient(error('reply', reply(451)))).toBe(true)
    expect(isTransient(error('reply', reply(550)))).toBe(false)
    expect(isTransient(error('reply', reply(554)))).toBe(false)
  })

  it('network failures and timeouts are transient; grammar, TLS and local faults are not', () => {
    expect(['timeout', 'socket', 'aborted'].map((k) => isTransient(error(k as FailureKind))))
      .toEqual([true, true, true])
    expect(
      ['protocol', 'tls', 'unavailable', 'local'].map((k) => isTransient(error(k as FailureKind))),
    ).toEqual([false, false, false, false])
    expect(isTransient(new Error('not an SmtpError'))).toBe(false)
  })

  it('a reply is a verdict: never "maybe accepted"; a lost verdict is', () => {
    expect(maybeAccepted(error('reply', reply(451), true))).toBe(false)
    expect(maybeAccepted(error('timeout', undefined, true))).toBe(true)
    expect(maybeAccepted(error('protocol', undefined, true))).toBe(true)
    expect(maybeAccepted(error('socket', undefined, false))).toBe(false)
  })
})
