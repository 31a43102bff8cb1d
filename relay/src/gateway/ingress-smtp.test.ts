import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toCrlf } from './ingress-smtp.ts'

/** The reference: every LF not preceded by CR becomes CRLF (latin1 keeps bytes as chars). */
const reference = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1')
const bytes = fc.array(fc.constantFrom(0x0a, 0x0d, 0x2e, 0x41, 0xff), { maxLength: 200 }).map((a) => Buffer.from(a))

describe('toCrlf', () => {
  it('turns bare LF into CRLF and leaves CRLF, lone CR and 8-bit bytes alone', () => {
    expect(toCrlf(Buffer.from('a\nb\r\nc\rd\n.\n')).toString()).toBe('a\r\nb\r\nc\rd\r\n.\r\n')
    const same = Buffer.from('x\r\ny\r\n')
    expect(toCrlf(same)).toBe(same)
    expect(toCrlf(Buffer.from([0x83, 0x0a]))).toEqual(Buffer.from([0x83, 0x0d, 0x0a]))
  })

  it('matches the reference on any bytes', () => {
    fc.assert(fc.property(bytes, (b) => {
      expect(toCrlf(b)).toEqual(reference(b))
    }))
  })

  it('gives the same bytes however the input is split into chunks (a CR at a chunk end is remembered)', () => {
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(200), { maxLength: 5 }), (b, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y)
        let last = false
        let from = 0
        const out: Buffer[] = []
        for (const at of [...points, b.length]) {
          const chunk = b.subarray(from, at)
          out.push(toCrlf(chunk, last))
          if (chunk.length > 0) last = chunk[chunk.length - 1] === 0x0d
          from = at
        }
        expect(Buffer.concat(out)).toEqual(reference(b))
      }),
    )
  })
})
