/**
 * The public surface of the MIME builder, fixed first so the relay and the builder can be
 * built side by side. `index.ts` implements `buildMessage`.
 *
 * @module
 */
import type { Message } from '../../../src/lib/contract/api.ts'

export type { Message }

export interface BuildOptions {
  /** Fixed date for reproducible output (tests); defaults to now. */
  date?: Date
}

export interface BuiltMessage {
  /** Headers and body with CRLF line ends; Bcc never among the headers. */
  raw: Uint8Array
  /** `<…@sender-domain>` */
  messageId: string
  /** addr-specs for MAIL FROM and RCPT TO (to + cc + bcc, duplicates removed). */
  envelope: { from: string; to: string[] }
  /** Whether the message holds bytes above 0x7F (needs 8BITMIME). */
  eightBit: boolean
  /** Whether an envelope address is not ASCII (needs SMTPUTF8). */
  smtpUtf8: boolean
}
