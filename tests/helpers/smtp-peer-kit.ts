/**
 * Shared pieces of the engine's transcript tests: options for a send to a scripted peer, EHLO replies.
 *
 * @module
 */
import type { SendOptions } from '../../relay/src/smtp/types.ts'

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text)

export const CLIENT = 'client.example'
export const GREETING = '220 mx.example ESMTP ready\r\n'

/** An EHLO reply offering `keywords`. */
export function ehloReply(...keywords: string[]): string {
  const lines = ['mx.example greets client.example', ...keywords]
  return lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join('')
}

/** Options for a plain, unauthenticated send to the scripted peer on `port`. */
export function options(port: number, extra: Partial<SendOptions> = {}): SendOptions {
  return {
    host: 'localhost',
    connectAddress: '127.0.0.1',
    port,
    security: 'none',
    auth: { type: 'none' },
    envelope: { from: 'from@example.com', to: ['to@example.com'] },
    message: enc('Subject: t\r\n\r\nhi\r\n'),
    clientName: CLIENT,
    ...extra,
  }
}
