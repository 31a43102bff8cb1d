import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { buildMessage, MAILER, MimeError } from './index.ts'
import type { Message } from './types.ts'

const DATE = new Date('2026-11-26T09:30:00Z')

const JAPANESE: Message = {
  from: '山田 太郎 <taro@example.jp>',
  to: ['"鈴木, 花子" <hanako@example.jp>', 'plain@example.com'],
  cc: ['佐藤 <sato@example.jp>'],
  bcc: ['hidden@example.net'],
  subject: '【テスト】mailkey からの送信確認メールです 😀',
  text: 'こんにちは。\nこれはテストです。\n',
  html: '<p>こんにちは。<b>テスト</b>です。</p>',
  attachments: [
    { filename: '請求書 2026年11月.pdf', contentType: 'application/pdf', contentBase64: 'JVBERi0xLjQK' },
    { filename: 'notes.txt', contentBase64: Buffer.from('line 1\nline 2\n').toString('base64') },
  ],
}

async function parse(raw: Uint8Array): Promise<ParsedMail> {
  return simpleParser(Buffer.from(raw))
}

function addresses(field: AddressObject | AddressObject[] | undefined) {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field]
  return list.flatMap((o) => o.value.map(({ name, address }) => ({ name, address })))
}

function lines(raw: Uint8Array): Buffer[] {
  const out: Buffer[] = []
  const buf = Buffer.from(raw)
  let start = 0
  for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n', start)) {
    out.push(buf.subarray(start, i))
    start = i + 2
  }
  out.push(buf.subarray(start))
  return out
}

describe('buildMessage', () => {
  it('writes Japanese headers, alternatives and attachments that a parser reads back', async () => {
    const built = await buildMessage(JAPANESE, { date: DATE })
    const mail = await parse(built.raw)

    expect(mail.subject).toBe(JAPANESE.subject)
    expect(addresses(mail.from)).toEqual([{ name: '山田 太郎', address: 'taro@example.jp' }])
    expect(addresses(mail.to)).toEqual([
      { name: '鈴木, 花子', address: 'hanako@example.jp' },
      { name: '', address: 'plain@example.com' },
    ])
    expect(addresses(mail.cc)).toEqual([{ name: '佐藤', address: 'sato@example.jp' }])
    expect(mail.bcc).toBeUndefined()
    expect(mail.text).toBe('こんにちは。\nこれはテストです。\n')
    expect(mail.html).toBe('<p>こんにちは。<b>テスト</b>です。</p>')
    expect(mail.date?.toISOString()).toBe(DATE.toISOString())
    expect(mail.messageId).toBe(built.messageId)
    expect(mail.headers.get('mime-version')).toBe('1.0')
    expect(mail.headers.get('x-mailer')).toBe(MAILER)

    const files = mail.attachments.map((a) => [
      a.filename,
      a.contentType,
      a.content.toString('base64'),
    ])
    expect(files).toEqual([
      ['請求書 2026年11月.pdf', 'application/pdf', 'JVBERi0xLjQK'],
      ['notes.txt', 'text/plain', Buffer.from('line 1\nline 2\n').toString('base64')],
    ])
  })

  it('never writes Bcc, and puts every recipient on the envelope once', async () => {
    const built = await buildMessage(
      {
        ...JAPANESE,
        to: [...JAPANESE.to, 'Dup <plain@EXAMPLE.com>'],
        bcc: ['hidden@example.net', 'taro@example.jp'],
      },
      { date: DATE }
    )
    expect(Buffer.from(built.raw).toString('latin1')).not.toMatch(/^bcc:/imu)
    expect(Buffer.from(built.raw).toString('latin1')).not.toContain('hidden@example.net')
    expect(built.envelope).toEqual({
      from: 'taro@example.jp',
      to: [
        'hanako@example.jp',
        'plain@example.com',
        'sato@example.jp',
        'hidden@example.net',
        'taro@example.jp',
      ],
    })
  })

  it('chooses the multipart structure from the content', async () => {
    const type = async (m: Partial<Message>) => {
      const built = await buildMessage({ from: 'a@example.com', to: ['b@example.com'], ...m })
      return ((await parse(built.raw)).headers.get('content-type') as { value: string }).value
    }
    const attachments = [{ filename: 'a.bin', contentBase64: 'AAEC' }]
    expect(await type({ text: 'hi' })).toBe('text/plain')
    expect(await type({})).toBe('text/plain')
    expect(await type({ html: '<p>hi</p>' })).toBe('text/html')
    expect(await type({ text: 'hi', html: '<p>hi</p>' })).toBe('multipart/alternative')
    expect(await type({ text: 'hi', attachments })).toBe('multipart/mixed')
    expect(await type({ text: 'hi', html: '<p>hi</p>', attachments })).toBe('multipart/mixed')
  })

  it('puts the Message-ID on the sender domain, in ASCII', async () => {
    const built = await buildMessage({ from: 'ich@Bücher.example', to: ['b@example.com'] })
    expect(built.messageId).toMatch(/^<[0-9a-f-]{36}@xn--bcher-kva\.example>$/u)
    expect(built.envelope.from).toBe('ich@xn--bcher-kva.example')
    expect(built.smtpUtf8).toBe(false)
  })

  it('uses CRLF only, keeps lines within 998 octets and stays 7-bit for UTF-8 text', async () => {
    const built = await buildMessage({
      from: 'a@example.com',
      to: ['b@example.com'],
      subject: 'x'.repeat(998),
      text: 'y'.repeat(5000) + '\rbare CR\nbare LF\r\n' + 'あ'.repeat(3000),
      html: `<p>${'z'.repeat(4000)}</p>`,
    })
    const text = Buffer.from(built.raw).toString('latin1')
    expect(text).not.toMatch(/\r(?!\n)|(?<!\r)\n/u)
    expect(Math.max(...lines(built.raw).map((l) => l.length))).toBeLessThanOrEqual(998)
    expect(built.eightBit).toBe(false)
    const mail = await parse(built.raw)
    expect(mail.subject).toBe('x'.repeat(998))
    expect(mail.text).toBe('y'.repeat(5000) + '\nbare CR\nbare LF\n' + 'あ'.repeat(3000))
  })

  it('keeps text that looks like an encoded word literal', async () => {
    const subject = '=?UTF-8?Q?not_encoded?= 本当'
    const built = await buildMessage({ from: 'a@example.com', to: ['b@example.com'], subject })
    const mail = await parse(built.raw)
    expect(mail.subject).toBe(subject)
  })

  it('writes a name that looks like an encoded word as a quoted-string (RFC 2047 §5)', async () => {
    const from = '"=?utf-8?B?5pel?=" <a@example.com>'
    const built = await buildMessage({ from, to: ['b@example.com'] })
    expect(Buffer.from(built.raw).toString()).toContain(`From: ${from}\r\n`)
  })

  it('refuses a display name no folding can fit in 998 octets', async () => {
    // unquoted in the request, each backslash becomes a quoted-pair: 1,802 octets unbroken
    const from = `${'\\'.repeat(900)} <a@example.com>`
    await expect(buildMessage({ from, to: ['b@example.com'] })).rejects.toBeInstanceOf(MimeError)
  })

  it('flags UTF-8 addresses for SMTPUTF8 and 8BITMIME', async () => {
    const built = await buildMessage({ from: 'a@example.com', to: ['用户@例子.广告'] })
    expect(built.envelope.to).toEqual(['用户@例子.广告'])
    expect(built.smtpUtf8).toBe(true)
    expect(built.eightBit).toBe(true)
    expect(addresses((await parse(built.raw)).to)).toEqual([{ name: '', address: '用户@例子.广告' }])
  })
})
