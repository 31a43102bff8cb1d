import { describe, expect, it } from 'vitest'
import { buildMessage } from '../../../relay/src/mime/index.ts'
import { encodedSize, largestFile, toBase64 } from './attachment.ts'

describe('test attachment sizes', () => {
  it('base64 in chunks equals the one-shot encoding', () => {
    const bytes = new Uint8Array(100_003).map((_, i) => (i * 7919) % 256)
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'))
  })

  it('never underestimates the encoded message the relay builds', async () => {
    for (const size of [0, 1, 1000, 57_000, 1_000_000, 3_000_001]) {
      const built = await buildMessage({
        from: 'a@contoso.example',
        to: ['b@contoso.example'],
        subject: 'テスト',
        text: '本文',
        attachments: [{ filename: 'scan.pdf', contentType: 'application/pdf', contentBase64: Buffer.alloc(size, 1).toString('base64') }],
      })
      expect(encodedSize(size)).toBeGreaterThanOrEqual(built.raw.byteLength)
      // …and not by much: within the headers' allowance.
      expect(encodedSize(size) - built.raw.byteLength).toBeLessThan(8 * 1024)
    }
  })

  it('the largest file fits the limit', () => {
    for (const limit of [65_536, 2 * 1024 * 1024, 26_214_400]) {
      expect(encodedSize(largestFile(limit))).toBeLessThanOrEqual(limit)
      expect(encodedSize(largestFile(limit) + 100)).toBeGreaterThan(limit)
    }
  })
})
