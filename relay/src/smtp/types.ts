/**
 * The public surface of the SMTP engine, fixed first so the relay and the engine can be built
 * side by side. The engine's `index.ts` re-exports these and implements `sendMail`.
 *
 * @module
 */
import type { Pool } from './pool.ts'

/**
 * How the connection is secured: STARTTLS on a plain connection (587), implicit TLS from the
 * first byte (465), or none (only where the caller allows plain text).
 */
export type Security = 'starttls' | 'tls' | 'none'

/** The credentials of AUTH (RFC 4954): a SASL mechanism and what it needs, or no AUTH. */
export type SendAuth =
  | { type: 'xoauth2'; user: string; accessToken: string }
  | { type: 'oauthbearer'; user: string; accessToken: string }
  | { type: 'plain'; user: string; password: string }
  | { type: 'login'; user: string; password: string }
  | { type: 'none' }

/** How long the steps of a send took (ms); 0 for a step that did not happen. */
export interface Timings {
  connectMs: number
  tlsMs: number
  authMs: number
  totalMs: number
}

/** One line of the session: `S` server, `C` client (redacted), `I` what the engine did. */
export interface TranscriptLine {
  dir: 'S' | 'C' | 'I'
  line: string
}

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
  /**
   * Instead of `connectAddress`: asked for the address when a new connection is opened, and
   * only then, so a send on a reused connection resolves nothing (the connection was opened to
   * an address checked at the time). What it throws reaches the caller unchanged.
   */
  resolveAddress?: () => Promise<string>
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
  /**
   * With `pool`: a new connection all the same (the whole dialogue in the transcript), closed
   * with QUIT after the message, still counted against the pool's limit per mailbox.
   */
  fresh?: boolean
}

export interface SendResult {
  accepted: string[]
  rejected: { address: string; reply: Reply }[]
  /** The server's final reply line to the message, e.g. `250 2.0.0 OK <…>`. */
  response: string
  transcript: TranscriptLine[]
  timings: Timings
}

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

/**
 * Every failure of a send, in SMTP's terms only (no HTTP, no error codes of any API): where it
 * happened, what kind of failure, the server's reply, whether trying again later may succeed
 * (RFC 5321 §4.2.1: 4yz transient, 5yz permanent) and whether the server may already have
 * accepted the message.
 */
export interface SmtpErrorInfo {
  stage: Stage
  kind: FailureKind
  /**
   * Trying the same send again later may succeed: a 4yz reply (RFC 5321 §4.2.1; 421 included,
   * the server closing the channel, §3.8), a timeout, a network failure, or the caller's abort.
   * False for 5yz replies, missing extensions, certificate failures, replies that break the
   * grammar, and the engine's own refusals.
   */
  transient: boolean
  /**
   * The whole message was sent and no verdict on it was read (the connection dropped, a timeout,
   * or a reply that broke the grammar after the end of data): the server may have accepted it
   * (RFC 5321 §4.1.1.4, §6.1; RFC 1047). Sending it again may deliver it twice.
   */
  maybeAccepted: boolean
  command?: string
  reply?: Reply
  /** The decoded JSON of an XOAUTH2/OAUTHBEARER error challenge, when one came. */
  saslChallenge?: unknown
  /** Which named timeout fired, for `kind: 'timeout'`. */
  timeout?: string
  transcript: TranscriptLine[]
}
