/**
 * Builds the RFC 5322 message the relay submits: UTF-8 headers as RFC 2047 encoded words,
 * text and HTML as multipart/alternative, attachments as multipart/mixed with RFC 2231
 * file names, CRLF line ends, no Bcc header.
 *
 * The encoding itself is Nodemailer's MailComposer (`nodemailer/lib/mail-composer`): a
 * maintained, widely deployed encoder that only needs `node:` modules, so it runs unchanged
 * on Node and Deno. This module decides what goes in (addresses already validated by the
 * contract, the envelope, the Message-ID) and checks what comes out.
 *
 * @example
 * ```ts
 * const built = await buildMessage({ from: '山田 <taro@example.jp>', to: ['b@x.jp'], subject: '件名' })
 * await sendMail({ ...target, envelope: built.envelope, message: built.raw, ...flags(built) })
 * ```
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import MailComposer from 'nodemailer/lib/mail-composer'
import { encodeWord } from 'nodemailer/lib/mime-funcs'
import type { MimeNodeHeaderMap } from 'nodemailer/lib/mime-node'
import { asciiDomain, buildEnvelope, mailbox, needsSmtpUtf8 } from './envelope.ts'
import type { BuildOptions, BuiltMessage, Message } from './types.ts'

export type { BuildOptions, BuiltMessage, Message }

/** The `X-Mailer` value naming the product. */
export const MAILER = 'mailkey'

/** RFC 5322 §2.1.1: a line is at most 998 octets, CRLF excluded. */
export const MAX_LINE_OCTETS = 998

/** A message that cannot be written within the rules (e.g. an unfoldable header line). */
export class MimeError extends Error {
  override name = 'MimeError'
}

/**
 * Builds the message. Input must already satisfy the contract's `Message` schema.
 * Throws `MimeError` only for input no valid encoding exists for: a printable-ASCII display
 * name whose quoted form is an unbroken run longer than a line, which RFC 5322 cannot fold.
 */
export async function buildMessage(
  message: Message,
  opts: BuildOptions = {}
): Promise<BuiltMessage> {
  const from = mailbox(message.from)
  const to = message.to.map(mailbox)
  const cc = (message.cc ?? []).map(mailbox)
  const bcc = (message.bcc ?? []).map(mailbox)
  const envelope = buildEnvelope(from, [...to, ...cc, ...bcc])
  const messageId = `<${crypto.randomUUID()}@${asciiDomain(from.address)}>`

  const headers: MimeNodeHeaderMap = { 'X-Mailer': MAILER }
  if (message.subject) headers['Subject'] = subjectValue(message.subject)

  const composer = new MailComposer({
    from,
    to,
    cc: cc.length > 0 ? cc : undefined,
    // Bcc is never handed to the composer: it cannot leak into the headers, and the
    // envelope above is the only place the Bcc recipients exist.
    headers,
    messageId,
    date: opts.date ?? new Date(),
    text: lineBreaks(message.text ?? (message.html === undefined ? '' : undefined)),
    html: lineBreaks(message.html),
    attachments: message.attachments?.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: Buffer.from(a.contentBase64, 'base64'),
    })),
    newline: 'windows',
    // Content only ever comes inline from the request, never from a path or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  })
  const raw = await composer.compile().build()
  const eightBit = checkLines(raw)
  return { raw, messageId, envelope, eightBit, smtpUtf8: needsSmtpUtf8(envelope) }
}

/**
 * The Subject as the composer should write it. Two inputs would not survive its default
 * (encode only the non-ASCII words): text that already looks like an encoded word, which it
 * passes through and a reader would then decode (RFC 2047 §6.1), and a run of printable
 * ASCII too long to fold. Both go out wholly as encoded words, split on whole characters.
 */
function subjectValue(subject: string): MimeNodeHeaderMap[string] {
  if (!subject.includes('=?') && !/\S{61}/u.test(subject)) return subject
  const encoding = /^[\x20-\x7e]*$/u.test(subject) ? 'Q' : 'B'
  return { prepared: true, foldLines: true, value: encodeWord(subject, encoding, 52) }
}

/** RFC 2046 §4.1.1: a line break in text is CRLF, nothing else; the composer makes LF CRLF. */
function lineBreaks(text: string | undefined): string | undefined {
  return text?.replace(/\r\n?/gu, '\n')
}

/** Checks every line's length and returns whether any octet is above 0x7F (needs 8BITMIME). */
function checkLines(raw: Uint8Array): boolean {
  let eightBit = false
  let lineStart = 0
  for (let i = 0; i < raw.length; i++) {
    const octet = raw[i] as number
    if (octet > 0x7f) eightBit = true
    if (octet === 0x0a) {
      // the CR before the LF is not part of the line
      if (i - 1 - lineStart > MAX_LINE_OCTETS) throw longLine()
      lineStart = i + 1
    }
  }
  if (raw.length - lineStart > MAX_LINE_OCTETS) throw longLine()
  return eightBit
}

function longLine(): MimeError {
  return new MimeError(
    `A line of the message would exceed ${MAX_LINE_OCTETS} octets (RFC 5322 §2.1.1)`
  )
}
