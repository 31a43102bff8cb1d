/**
 * The From policy of a device, applied to the message bytes before they are queued.
 *
 * - `mailbox`: the envelope sender and the `From:` header become the mailbox (what Microsoft 365
 *   lets a mailbox send as without Send As rights); the device's own `From:` is kept as
 *   `Reply-To:` (unless the message has one) so answers still reach whoever scanned. A display
 *   name holding an `@` (MFDs often put their own address there, which Exchange and spam
 *   filters distrust) is replaced by the device's name.
 * - `keep`: as sent; the mailbox needs Send As on that address.
 *
 * Only header lines are touched; the body's bytes pass unchanged.
 *
 * @module
 */
import addressparser from 'nodemailer/lib/addressparser'
import libmime from 'libmime'
import { encodeWord } from 'nodemailer/lib/mime-funcs'

const decodeWords = (text: string): string => libmime.decodeWords(text)

export interface Rewritten {
  raw: Uint8Array
  envelopeFrom: string
  /** The `From:` header as it now reads (decoded), for the queue list. */
  headerFrom: string
  subject: string
}

const CRLF = '\r\n'

/** How far the header block is looked for (a longer one is taken as all header). */
const MAX_HEAD = 256 * 1024

/**
 * The header block and the rest (body with its leading blank line). Only the header block is
 * decoded: the end is found in the bytes (a native search), so a 300 KB scan costs a string of
 * its few hundred header bytes, not of the whole message.
 */
function split(raw: Uint8Array): { head: string; rest: Uint8Array } {
  const view = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, MAX_HEAD))
  const end = view.indexOf(CRLF + CRLF, 0, 'latin1')
  // Headers are 7-bit or UTF-8 (RFC 6532); latin1 keeps every byte as one char either way.
  if (end < 0) return { head: view.toString('latin1'), rest: new Uint8Array() }
  return { head: view.toString('latin1', 0, end), rest: raw.subarray(end) }
}

/** Unfolded header fields: [name, value, original lines]. */
function fields(head: string): { name: string; value: string; raw: string }[] {
  const out: { name: string; value: string; raw: string }[] = []
  for (const line of head.split(CRLF)) {
    if (/^[ \t]/.test(line) && out.length > 0) {
      const last = out[out.length - 1]!
      last.value += line
      last.raw += CRLF + line
      continue
    }
    const colon = line.indexOf(':')
    out.push({ name: colon > 0 ? line.slice(0, colon).trim() : '', value: colon > 0 ? line.slice(colon + 1).trim() : line, raw: line })
  }
  return out
}

const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8')

export interface FromHeader {
  name: string
  address: string
}

export function parseFrom(value: string): FromHeader | undefined {
  const list = addressparser(utf8(value), { flatten: true }) as { name: string; address: string }[]
  const first = list[0]
  if (!first?.address) return undefined
  return { name: decodeWords(first.name ?? ''), address: first.address }
}

/** `"Name" <address>` with the name RFC 2047-encoded when it is not plain ASCII. */
export function formatAddress(name: string, address: string): string {
  if (!name) return address
  const encoded = /^[\x20-\x7e]*$/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : encodeWord(name, 'B', 52)
  return `${encoded} <${address}>`
}

/** The message's subject and From (decoded), without changing it. */
export function summarize(raw: Uint8Array): { headerFrom: string; subject: string } {
  const fs = fields(split(raw).head)
  const from = fs.find((f) => /^from$/i.test(f.name))
  const subject = fs.find((f) => /^subject$/i.test(f.name))
  return {
    headerFrom: from ? decodeWords(utf8(from.value)).slice(0, 320) : '',
    subject: subject ? decodeWords(utf8(subject.value)).slice(0, 500) : '',
  }
}

/** Applies the `mailbox` policy: From and envelope become `mailbox`, the old From a Reply-To. */
export function asMailbox(raw: Uint8Array, mailbox: string, deviceName: string): Rewritten {
  const { head, rest } = split(raw)
  const fs = fields(head)
  const fromField = fs.find((f) => /^from$/i.test(f.name))
  const original = fromField ? parseFrom(fromField.value) : undefined
  const display = original?.name && !original.name.includes('@') ? original.name : deviceName
  const newFrom = formatAddress(display, mailbox)
  const hasReplyTo = fs.some((f) => /^reply-to$/i.test(f.name))
  const lines: string[] = []
  let placed = false
  for (const f of fs) {
    // Sender names whoever submitted: after the rewrite that is the mailbox, so it goes.
    if (/^sender$/i.test(f.name)) continue
    if (/^from$/i.test(f.name)) {
      if (placed) continue
      placed = true
      lines.push(`From: ${newFrom}`)
      if (!hasReplyTo && original && original.address.toLowerCase() !== mailbox.toLowerCase()) {
        lines.push(`Reply-To: ${formatAddress(original.name.includes('@') ? '' : original.name, original.address)}`)
      }
      continue
    }
    lines.push(f.raw)
  }
  if (!placed) lines.unshift(`From: ${newFrom}`)
  const newHead = Buffer.from(lines.join(CRLF), 'latin1')
  const out = new Uint8Array(newHead.byteLength + rest.byteLength)
  out.set(newHead, 0)
  out.set(rest, newHead.byteLength)
  const subject = fs.find((f) => /^subject$/i.test(f.name))
  return {
    raw: out,
    envelopeFrom: mailbox,
    headerFrom: `${display} <${mailbox}>`,
    subject: subject ? decodeWords(utf8(subject.value)).slice(0, 500) : '',
  }
}
