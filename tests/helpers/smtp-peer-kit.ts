/**
 * Shared pieces of the engine's transcript tests: options for a send to a scripted peer, EHLO replies.
 *
 * @module
 */
import { sendMail } from '../../relay/src/smtp/index.ts'
import type { SendOptions } from '../../relay/src/smtp/types.ts'
import { scriptedPeer, type ScriptOutcome, type Step } from './smtp-peer-scripted.ts'

export const enc = (text: string): Uint8Array => new TextEncoder().encode(text)

export const CLIENT = 'client.example'
export const GREETING = '220 mx.example ESMTP ready\r\n'

/** An EHLO reply offering `keywords`. */
export function ehloReply(...keywords: string[]): string {
  const lines = ['mx.example greets client.example', ...keywords]
  return lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join('')
}

/** The bytes the client writes for the default `options()`: envelope lines and message. */
export const MAIL = 'MAIL FROM:<from@example.com>\r\n'
export const RCPT = 'RCPT TO:<to@example.com>\r\n'
export const BODY = 'Subject: t\r\n\r\nhi\r\n'

/** Options for a plain, unauthenticated send to the scripted peer on `port`. */
export function options(port: number, extra: Partial<SendOptions> = {}): SendOptions {
  return {
    host: 'localhost',
    connectAddress: '127.0.0.1',
    port,
    security: 'none',
    auth: { type: 'none' },
    envelope: { from: 'from@example.com', to: ['to@example.com'] },
    message: enc(BODY),
    clientName: CLIENT,
    ...extra,
  }
}

/**
 * Plays `steps` on a scripted peer, sends one message to it with `options(port, extra)`, and
 * returns what `sendMail` gave (result or error) and the peer's outcome; the peer is closed.
 */
export async function runScript(
  steps: Step[],
  extra: Partial<SendOptions> = {},
  peerOpts: Parameters<typeof scriptedPeer>[1] = {}
): Promise<{ result: unknown; outcome: ScriptOutcome }> {
  const peer = await scriptedPeer(steps, peerOpts)
  try {
    const result = await sendMail(options(peer.port, extra)).catch((e: unknown) => e)
    return { result, outcome: await peer.done }
  } finally {
    await peer.close()
  }
}
