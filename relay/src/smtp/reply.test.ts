import { describe, expect, it } from 'vitest'
import { Extensions } from './ehlo.ts'
import { ReplyFormatError, ReplyReader } from './reply.ts'

const bytes = (s: string) => new TextEncoder().encode(s)

describe('ReplyReader', () => {
  it('joins a multi-line reply split across chunks anywhere, even inside a UTF-8 character', () => {
    const text = '250-mx.example こんにちは\r\n250-PIPELINING\r\n250 SIZE 1000\r\n'
    const all = bytes(text)
    for (let cut = 1; cut < all.length; cut++) {
      const reader = new ReplyReader()
      const replies = [...reader.push(all.subarray(0, cut)), ...reader.push(all.subarray(cut))]
      expect(replies).toEqual([{
        code: 250,
        lines: ['mx.example こんにちは', 'PIPELINING', 'SIZE 1000'],
      }])
    }
  })

  it('splits the enhanced status code off every line', () => {
    const reader = new ReplyReader()
    expect(reader.push(bytes('550-5.7.60 Client does not have\r\n550 5.7.60 permissions\r\n')))
      .toEqual([
        { code: 550, enhanced: '5.7.60', lines: ['Client does not have', 'permissions'] },
      ])
    // A class that differs from the code's first digit is text, not an enhanced code.
    expect(reader.push(bytes('250 5.0.0 odd\r\n'))).toEqual([{ code: 250, lines: ['5.0.0 odd'] }])
  })

  it('returns several replies from one chunk, and accepts a bare code and a bare LF', () => {
    const reader = new ReplyReader()
    expect(reader.push(bytes('250\r\n354 go\n'))).toEqual([
      { code: 250, lines: [''] },
      { code: 354, lines: ['go'] },
    ])
  })

  it('reports partial input', () => {
    const reader = new ReplyReader()
    reader.push(bytes('250-a\r\n'))
    expect(reader.hasPartial).toBe(true)
    reader.push(bytes('250 b\r\n'))
    expect(reader.hasPartial).toBe(false)
  })

  it('hands every line to onLine', () => {
    const seen: string[] = []
    new ReplyReader((l) => seen.push(l)).push(bytes('220-a\r\n220 b\r\n'))
    expect(seen).toEqual(['220-a', '220 b'])
  })

  it.each([
    ['a malformed line', 'hello\r\n', /malformed/],
    ['a code outside 2xx-5xx', '199 x\r\n', /malformed/],
    ['a code change within a reply', '250-a\r\n251 b\r\n', /code changed/],
    ['a line over 4 KiB', `250 ${'x'.repeat(4100)}\r\n`, /4 KiB/],
    ['an unterminated line over 4 KiB', `250 ${'x'.repeat(4200)}`, /4 KiB/],
    ['more than 100 lines', '250-x\r\n'.repeat(100) + '250 x\r\n', /100 lines/],
  ])('refuses %s', (_, input, message) => {
    expect(() => new ReplyReader().push(bytes(input))).toThrow(ReplyFormatError)
    expect(() => new ReplyReader().push(bytes(input))).toThrow(message)
  })
})

describe('Extensions', () => {
  it('parses keywords once, folding the old AUTH= form into AUTH', () => {
    const ext = Extensions.parse({
      code: 250,
      lines: [
        'mx.example hello',
        'SIZE 157286400',
        'PIPELINING',
        'AUTH LOGIN XOAUTH2',
        'AUTH=LOGIN PLAIN',
        'starttls',
        'CHUNKING',
      ],
    })
    expect(ext.authMechanisms).toEqual(['LOGIN', 'XOAUTH2', 'PLAIN'])
    expect(ext.sizeLimit).toBe(157286400)
    expect(ext.has('STARTTLS')).toBe(true)
    expect(ext.has('8BITMIME')).toBe(false)
    expect(ext.keywords).toEqual(['SIZE', 'PIPELINING', 'AUTH', 'STARTTLS', 'CHUNKING'])
  })

  it('treats SIZE 0 or without a number as no fixed limit', () => {
    expect(Extensions.parse({ code: 250, lines: ['x', 'SIZE 0'] }).sizeLimit).toBeUndefined()
    expect(Extensions.parse({ code: 250, lines: ['x', 'SIZE'] }).sizeLimit).toBeUndefined()
  })
})
