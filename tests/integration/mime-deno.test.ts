import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { simpleParser } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { buildMessage } from '../../relay/src/mime/index.ts'
import type { BuiltMessage, Message } from '../../relay/src/mime/types.ts'
import { ROOT } from '../helpers/relay-process.ts'

const DENO = join(ROOT, 'node_modules', '.bin', 'deno')
const SCRIPT = 'tests/integration/mime-deno.script.ts'
const DATE = '2026-11-26T09:30:00.000Z'

const MESSAGE: Message = {
  from: '山田 太郎 <taro@example.jp>',
  to: ['"鈴木, 花子" <hanako@example.jp>', 'ich@bücher.example'],
  cc: ['佐藤 <sato@example.jp>'],
  bcc: ['hidden@example.net'],
  subject: '【テスト】Deno でも同じメール 😀 ' + 'x'.repeat(70),
  text: 'こんにちは。\n' + 'y'.repeat(1200),
  html: '<p>こんにちは。</p>',
  attachments: [
    { filename: '請求書 2026年11月.pdf', contentType: 'application/pdf', contentBase64: 'JVBERi0xLjQK' },
  ],
}

/** Message-ID and multipart boundaries are random by design; everything else must match. */
function normalise(raw: string, messageId: string): string {
  return raw.replaceAll(messageId, '<ID>').replace(/_NmP-[0-9a-f]+-Part_/gu, '_NmP-X-Part_')
}

describe('MIME builder on Deno', () => {
  it('writes the same bytes as on Node, modulo Message-ID and boundaries', async () => {
    const { stdout } = await promisify(execFile)(
      DENO,
      ['run', '--no-lock', '--allow-read', '--allow-env', '--allow-sys', SCRIPT]
        .concat([JSON.stringify(MESSAGE), DATE]),
      { cwd: ROOT, timeout: 90_000 }
    )
    const deno = JSON.parse(stdout) as Omit<BuiltMessage, 'raw'> & { raw: string }
    const node = await buildMessage(MESSAGE, { date: new Date(DATE) })

    expect(deno.messageId).toMatch(/^<[0-9a-f-]{36}@example\.jp>$/u)
    expect({ ...deno, raw: undefined, messageId: undefined }).toEqual({
      raw: undefined,
      messageId: undefined,
      envelope: node.envelope,
      eightBit: node.eightBit,
      smtpUtf8: node.smtpUtf8,
    })
    const denoRaw = Buffer.from(deno.raw, 'base64')
    expect(normalise(denoRaw.toString('latin1'), deno.messageId)).toBe(
      normalise(Buffer.from(node.raw).toString('latin1'), node.messageId)
    )
    const mail = await simpleParser(denoRaw)
    expect(mail.subject).toBe(MESSAGE.subject)
    expect(mail.attachments[0]?.filename).toBe('請求書 2026年11月.pdf')
  })
})
