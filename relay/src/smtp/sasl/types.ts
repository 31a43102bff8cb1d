/**
 * A SASL mechanism as a small value (RFC 4422): it produces bytes and answers challenges; the
 * session owns base64, the 334 loop, the round cap and the `*` abort (RFC 4954 §4).
 *
 * @module
 */
import { Buffer } from 'node:buffer'

export interface SaslStep {
  /** The bytes to send (the session base64-encodes them; empty = an empty line). */
  response: Uint8Array
  /** A server error carried in the challenge (XOAUTH2/OAUTHBEARER JSON), kept for the error. */
  serverError?: unknown
}

export interface SaslMechanism {
  /** The mechanism name as on the AUTH line, e.g. `XOAUTH2`. */
  readonly name: string
  /** The RFC 4954 initial response, or undefined when the mechanism starts without one. */
  initial(): Uint8Array | undefined
  /** Answers the server's challenge; throws to abort the exchange (the session sends `*`). */
  next(challenge: Uint8Array): SaslStep
  /** Strings that must never be shown (scrubbed from transcripts and messages). */
  readonly secrets: string[]
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const utf8 = (text: string): Uint8Array => encoder.encode(text)

/** RFC 4648 base64 of `bytes`, or of the UTF-8 of `text`. */
export const base64 = (data: Uint8Array | string): string =>
  Buffer.from(typeof data === 'string' ? utf8(data) : data).toString('base64')

/** Parses a challenge as JSON when it is JSON (OAuth error challenges), else keeps the text. */
export function decodeErrorChallenge(challenge: Uint8Array): unknown {
  const text = decoder.decode(challenge)
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
