import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dotStuff, normalizeLineEnds } from './body.ts'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

/** What an RFC 5321 §4.5.2 server does: read lines up to "." CRLF, drop one leading dot. */
function unstuff(wire: Uint8Array): { body: Uint8Array; rest: Uint8Array } {
  const lines: Uint8Array[] = []
  let start = 0
  for (;;) {
    const lf = wire.indexOf(10, start)
    if (lf < 0 || wire[lf - 1] !== 13) throw new Error('line without CRLF')
    const line = wire.subarray(start, lf - 1)
    start = lf + 1
    if (line.length === 1 && line[0] === 46) break
    lines.push(line[0] === 46 ? line.subarray(1) : line)
  }
  const size = lines.reduce((n, l) => n + l.length + 2, 0)
  const body = new Uint8Array(size)
  let o = 0
  for (const line of lines) {
    body.set(line, o)
    body.set([13, 10], o + line.length)
    o += line.length + 2
  }
  return { body, rest: wire.subarray(start) }
}

/** The reference: every line end written CRLF, a final one added when missing. */
function reference(input: Uint8Array): Uint8Array {
  const s = Buffer.from(input).toString('latin1').replace(/\r\n|\r|\n/g, '\r\n')
  return Buffer.from(s.length && !s.endsWith('\r\n') ? s + '\r\n' : s, 'latin1')
}

describe('normalizeLineEnds and dotStuff', () => {
  it.each([
    ['', '', '.\r\n'],
    ['a', 'a\r\n', 'a\r\n.\r\n'],
    ['a\nb\rc\r\nd\r\n', 'a\r\nb\r\nc\r\nd\r\n', 'a\r\nb\r\nc\r\nd\r\n.\r\n'],
    ['.\n..\r\n.x', '.\r\n..\r\n.x\r\n', '..\r\n...\r\n..x\r\n.\r\n'],
    ['a\r\r\nb', 'a\r\n\r\nb\r\n', 'a\r\n\r\nb\r\n.\r\n'],
  ])('%j', (input, normalised, stuffed) => {
    expect(text(normalizeLineEnds(bytes(input)))).toBe(normalised)
    expect(text(dotStuff(bytes(input)))).toBe(stuffed)
  })

  it('any body survives normalisation, stuffing and the server’s un-stuffing, modulo line ends', () => {
    // Bytes biased towards the interesting ones: CR, LF and dots.
    const byte = fc.oneof(fc.constantFrom(13, 10, 46), fc.integer({ min: 0, max: 255 }))
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 300 }), (arr) => {
        const input = Uint8Array.from(arr)
        const wire = dotStuff(input)
        const { body, rest } = unstuff(wire)
        // Nothing after the terminating dot: the body cannot end the message early.
        expect(rest.length).toBe(0)
        expect(Buffer.from(body).equals(Buffer.from(reference(input)))).toBe(true)
        expect(Buffer.from(normalizeLineEnds(input)).equals(Buffer.from(reference(input)))).toBe(
          true
        )
        // No bare CR or LF reaches the wire.
        expect(Buffer.from(wire).toString('latin1')).not.toMatch(/\r(?!\n)|(?<!\r)\n/)
      }),
      { numRuns: 500 }
    )
  })

  it('gives the same bytes when the input is already CRLF throughout (the fast path)', () => {
    const lineByte = fc.oneof(fc.constant(46), fc.integer({ min: 0, max: 255 }))
    const line = fc
      .array(lineByte, { maxLength: 40 })
      .map((a) => a.filter((b) => b !== 13 && b !== 10))
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const input = Uint8Array.from(lines.flatMap((l) => [...l, 13, 10]))
        const normalised = normalizeLineEnds(input)
        expect(Buffer.from(normalised).equals(Buffer.from(reference(input)))).toBe(true)
        const { body, rest } = unstuff(dotStuff(input))
        expect(rest.length).toBe(0)
        expect(Buffer.from(body).equals(Buffer.from(input))).toBe(true)
      }),
      { numRuns: 500 }
    )
  })
})
