import fc from 'fast-check'
import { simpleParser, type AddressObject } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { buildMessage } from './index.ts'

/** Characters that stress the encoder: ASCII specials, spaces, Japanese, astral, controls. */
const unit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(' ', '  ', '\t', '"', '\\', '=?', '?=', '<', '>', ',', ';', '('),
  },
  { weight: 3, arbitrary: fc.constantFrom('日本語', 'テスト', 'ｶﾅ', '　', '😀', '👨‍👩‍👧', 'é', 'ß') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('x'.repeat(80), 'あ'.repeat(40), '\x01', '\x7f', '=?UTF-8?Q?x?='),
  },
  { weight: 1, arbitrary: fc.constant('=?utf-8?B?5pel?=') }
)

/** Header text as the contract accepts it: anything but CR, LF and NUL. */
const headerText = (maxLength: number) =>
  fc.string({ unit, maxLength: 40 }).map((s) => s.replace(/[\r\n\0]/gu, '').slice(0, maxLength))

/**
 * What a reader gets back from an unstructured header: RFC 5322 §3.2.2 makes runs of
 * whitespace one space for display, and parsers trim; the text itself must not change.
 */
const asRead = (s: string) => s.replace(/[ \t]+/gu, ' ').trim()

function first(field: AddressObject | AddressObject[] | undefined) {
  return (Array.isArray(field) ? field[0] : field)?.value[0]
}

describe('buildMessage properties', () => {
  it('any subject survives encoding and parsing', async () => {
    await fc.assert(
      fc.asyncProperty(headerText(998), async (subject) => {
        const built = await buildMessage({ from: 'a@example.com', to: ['b@example.com'], subject })
        const mail = await simpleParser(Buffer.from(built.raw))
        expect(asRead(mail.subject ?? '')).toBe(asRead(subject))
      }),
      { numRuns: 300 }
    )
  })

  // A printable-ASCII name that contains a whole encoded word goes out as a quoted-string, where
  // RFC 2047 §5 (3) says it is literal text; lenient readers (mailparser among them) decode it
  // anyway. The composer cannot be told to encode ASCII names, so such names are left out here
  // and the RFC form is pinned in index.test.ts.
  const ENCODED_WORD = /=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=/u

  it('any display name survives encoding and parsing', async () => {
    await fc.assert(
      fc.asyncProperty(headerText(200).filter((n) => !ENCODED_WORD.test(n)), async (name) => {
        const quoted = `"${name.replace(/["\\]/gu, '\\$&')}" <a@example.com>`
        const cc = [`${name.replace(/[<>"]/gu, '')} <c@example.com>`]
        const built = await buildMessage({ from: quoted, to: [quoted], cc })
        const mail = await simpleParser(Buffer.from(built.raw))
        const from = first(mail.from)
        expect(from?.address).toBe('a@example.com')
        expect(asRead(from?.name ?? '')).toBe(asRead(name))
        expect(asRead(first(mail.to)?.name ?? '')).toBe(asRead(name))
        expect(asRead(first(mail.cc)?.name ?? '')).toBe(asRead(name.replace(/[<>"]/gu, '')))
      }),
      { numRuns: 300 }
    )
  })

  it('never writes a line over 998 octets, nor a bare CR or LF', async () => {
    const breaks = fc.constantFrom('\n', '\r', '\r\n', '.', 'y'.repeat(500))
    const body = fc.string({ unit: fc.oneof(unit, breaks), maxLength: 60 })
    await fc.assert(
      fc.asyncProperty(headerText(998), headerText(200), body, fc.option(body), async (...args) => {
        const [subject, name, text, html] = args
        const from = `"${name.replace(/["\\]/gu, '\\$&')}" <a@example.com>`
        const built = await buildMessage({
          from,
          to: ['b@example.com'],
          subject,
          text,
          html: html ?? undefined,
          attachments: [
            { filename: `${name || 'x'}.txt`, contentBase64: Buffer.from(text).toString('base64') },
          ],
        })
        const raw = Buffer.from(built.raw).toString('latin1')
        expect(raw).not.toMatch(/\r(?!\n)|(?<!\r)\n/u)
        for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998)
      }),
      { numRuns: 200 }
    )
  })
})
