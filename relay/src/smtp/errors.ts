/**
 * The engine's one error type. It states SMTP facts only (stage, kind, reply, transient or
 * permanent, whether the message may have been accepted); what they mean to an HTTP client is
 * decided outside the engine (relay/src/http/smtp-errors.ts), and a retry policy reads the same
 * facts (`isTransient`, `maybeAccepted`).
 *
 * @module
 */
import type { FailureKind, Reply, SmtpErrorInfo, Stage, TranscriptLine } from './types.ts'

export type { FailureKind }

/**
 * Whether a failure of `kind` (with the server's `reply`, for `kind: 'reply'`) may pass if the
 * same send is tried again later. RFC 5321 §4.2.1: a 4yz reply is a transient negative
 * completion, a 5yz reply a permanent one; 421 is the server closing the channel for a
 * temporary reason (§3.8). Below the replies: timeouts, network failures and the caller's abort
 * are transient (§4.5.4.1 retries on connection failure); a missing extension, a certificate
 * the client will not trust, a server that breaks the grammar and the engine's own refusals
 * will be the same next time.
 */
export function isTransientFailure(kind: FailureKind, reply?: Reply): boolean {
  switch (kind) {
    case 'reply':
      return reply !== undefined && reply.code >= 400 && reply.code < 500
    case 'timeout':
    case 'socket':
    case 'aborted':
      return true
    case 'unavailable':
    case 'tls':
    case 'protocol':
    case 'local':
      return false
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
  /** The whole message was on the wire without a verdict read (see `SmtpErrorInfo`). */
  maybeAccepted?: boolean
  transcript?: TranscriptLine[]
  cause?: unknown
}

/**
 * Every failure of `sendMail`. `message` is English and never holds a token or password; the
 * server's reply, when one caused the failure, is in `reply`.
 */
export class SmtpError extends Error implements SmtpErrorInfo {
  readonly stage: Stage
  readonly kind: FailureKind
  readonly transient: boolean
  readonly maybeAccepted: boolean
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
    this.transient = isTransientFailure(init.kind, init.reply)
    // A refusal is a verdict: a server that answered the message with a reply did not take it.
    this.maybeAccepted = init.maybeAccepted === true && init.kind !== 'reply'
    if (init.command !== undefined) this.command = init.command
    if (init.reply !== undefined) this.reply = init.reply
    if (init.saslChallenge !== undefined) this.saslChallenge = init.saslChallenge
    if (init.timeout !== undefined) this.timeout = init.timeout
    this.transcript = init.transcript ?? []
  }
}

/** True for an `SmtpError` that may pass if the same send is tried again later. */
export function isTransient(err: unknown): boolean {
  return err instanceof SmtpError && err.transient
}

/** True for an `SmtpError` after which the server may hold the message already. */
export function maybeAccepted(err: unknown): boolean {
  return err instanceof SmtpError && err.maybeAccepted
}

/** `550 5.7.60 Client does not have permissions…`: a reply as one line of text. */
export function formatReply(reply: Reply): string {
  const head = reply.enhanced ? `${reply.code} ${reply.enhanced}` : String(reply.code)
  const text = reply.lines.join(' ').trim()
  return text ? `${head} ${text}` : head
}
