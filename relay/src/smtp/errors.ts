/**
 * The engine's one error type, and the one place where a failure becomes an API.md error code.
 *
 * @module
 */
import type { ErrorCode } from '../../../src/lib/contract/api.ts'
import type { Reply, SmtpErrorInfo, Stage, TranscriptLine } from './types.ts'

/**
 * What went wrong, independent of where: `reply` a server refusal, `unavailable` a missing
 * extension (STARTTLS, an AUTH mechanism) or a limit the server advertised, `timeout` a named
 * timeout, `socket` a network error or an early close, `tls` a handshake or certificate failure,
 * `protocol` a malformed or oversized reply or an unsafe server move (STARTTLS injection),
 * `aborted` the caller's signal, `local` a refusal by the engine itself (bad input).
 */
export type FailureKind =
  | 'reply'
  | 'unavailable'
  | 'timeout'
  | 'socket'
  | 'tls'
  | 'protocol'
  | 'aborted'
  | 'local'

/** The contract's code for a failure at `stage`. The only mapping in the engine. */
export function apiCodeFor(stage: Stage, kind: FailureKind, reply?: Reply): ErrorCode {
  switch (kind) {
    case 'timeout':
      return 'TIMEOUT'
    case 'aborted':
      return 'TIMEOUT'
    case 'protocol':
      // Data injected after the STARTTLS 220: TLS could not be set up safely.
      return stage === 'starttls' ? 'TLS_FAILED' : 'INTERNAL'
    case 'local':
      return 'INTERNAL'
    case 'tls':
      return 'TLS_FAILED'
    case 'socket':
      return stage === 'tls' ? 'TLS_FAILED' : 'CONNECTION_FAILED'
    case 'unavailable':
      if (stage === 'starttls') return 'STARTTLS_UNAVAILABLE'
      if (stage === 'auth') return 'AUTH_MECHANISM_UNAVAILABLE'
      return 'MESSAGE_REJECTED'
    case 'reply':
      switch (stage) {
        case 'connect':
        case 'greeting':
        case 'ehlo':
          return 'CONNECTION_FAILED'
        case 'tls':
          return 'TLS_FAILED'
        case 'starttls':
          return 'STARTTLS_UNAVAILABLE'
        case 'auth':
          // RFC 4954 §6: 504 = mechanism not supported; everything else is a refusal.
          return reply?.code === 504 ? 'AUTH_MECHANISM_UNAVAILABLE' : 'AUTH_FAILED'
        case 'mail':
          return 'SENDER_REJECTED'
        case 'rcpt':
          return 'RECIPIENT_REJECTED'
        case 'data':
          return 'MESSAGE_REJECTED'
        case 'quit':
          return 'INTERNAL'
      }
  }
}

export interface SmtpErrorInit {
  stage: Stage
  kind: FailureKind
  message: string
  command?: string
  reply?: Reply
  saslChallenge?: unknown
  /** Which named timeout fired, for `kind: 'timeout'`. */
  timeout?: string
  transcript?: TranscriptLine[]
  cause?: unknown
}

/**
 * Every failure of `sendMail`. `message` is English and never holds a token or password; the
 * server's reply, when one caused the failure, is in `reply`.
 */
export class SmtpError extends Error implements SmtpErrorInfo {
  readonly stage: Stage
  readonly apiCode: ErrorCode
  readonly kind: FailureKind
  readonly command?: string
  readonly reply?: Reply
  readonly saslChallenge?: unknown
  readonly timeout?: string
  transcript: TranscriptLine[]

  constructor(init: SmtpErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = 'SmtpError'
    this.stage = init.stage
    this.kind = init.kind
    this.apiCode = apiCodeFor(init.stage, init.kind, init.reply)
    if (init.command !== undefined) this.command = init.command
    if (init.reply !== undefined) this.reply = init.reply
    if (init.saslChallenge !== undefined) this.saslChallenge = init.saslChallenge
    if (init.timeout !== undefined) this.timeout = init.timeout
    this.transcript = init.transcript ?? []
  }
}

/** `550 5.7.60 Client does not have permissions…`: a reply as one line of text. */
export function formatReply(reply: Reply): string {
  const head = reply.enhanced ? `${reply.code} ${reply.enhanced}` : String(reply.code)
  const text = reply.lines.join(' ').trim()
  return text ? `${head} ${text}` : head
}
