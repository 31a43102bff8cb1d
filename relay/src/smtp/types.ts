/**
 * The public surface of the SMTP engine, fixed first so the relay and the engine can be built
 * side by side. The engine's `index.ts` re-exports these and implements `sendMail`.
 *
 * @module
 */
import type {
  ErrorCode,
  Security,
  SendAuth,
  Timings,
  TranscriptLine,
} from '../../../src/lib/contract/api.ts'

import type { Pool } from './pool.ts'

export type { ErrorCode, Security, SendAuth, Timings, TranscriptLine }

/** One SMTP reply, multi-line replies joined: `lines` hold the text after the code. */
export interface Reply {
  code: number
  /** RFC 3463 enhanced status code such as `5.7.139`, when the server sent one. */
  enhanced?: string
  lines: string[]
}

/** Where in the dialogue a send failed. */
export type Stage =
  | 'connect'
  | 'tls'
  | 'greeting'
  | 'ehlo'
  | 'starttls'
  | 'auth'
  | 'mail'
  | 'rcpt'
  | 'data'
  | 'quit'

export interface Timeouts {
  connectMs: number
  greetingMs: number
  commandMs: number
  dataEndMs: number
}

export interface SendOptions {
  /** The name the certificate must carry (SNI and verification). */
  host: string
  port: number
  security: Security
  /** The address to connect to, resolved and checked by the caller; defaults to `host`. */
  connectAddress?: string
  /** Extra trusted CAs (PEM). Certificates are always verified; this only adds roots. */
  ca?: string | string[]
  auth: SendAuth
  /** Allow credentials without TLS (only for hosts the relay marks plain-text allowed). */
  allowPlaintextAuth?: boolean
  /** Envelope addr-specs (no display names). */
  envelope: { from: string; to: string[] }
  /** The whole message, headers and body, as produced by the MIME builder. */
  message: Uint8Array
  /** Whether the message holds 8-bit bytes (BODY=8BITMIME) / UTF-8 addresses (SMTPUTF8). */
  eightBit?: boolean
  smtpUtf8?: boolean
  /** EHLO name; defaults to a sensible local name. */
  clientName?: string
  timeouts?: Partial<Timeouts>
  signal?: AbortSignal
  /** Reuse idle authenticated connections from this pool (see pool.ts); none by default. */
  pool?: Pool
}

export interface SendResult {
  accepted: string[]
  rejected: { address: string; reply: Reply }[]
  /** The server's final reply line to the message, e.g. `250 2.0.0 OK <…>`. */
  response: string
  transcript: TranscriptLine[]
  timings: Timings
}

/** Every failure of a send: protocol facts plus the contract's error code, mapped in one place. */
export interface SmtpErrorInfo {
  stage: Stage
  apiCode: ErrorCode
  command?: string
  reply?: Reply
  /** The decoded JSON of an XOAUTH2/OAUTHBEARER error challenge, when one came. */
  saslChallenge?: unknown
  transcript: TranscriptLine[]
}
