import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Inbox, INBOX_LIMIT } from './inbox.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

function eml(subject: string): Buffer {
  return Buffer.from(
    [
      'From: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <taro@sandbox.mailkey.test>',
      'To: admin@sandbox.mailkey.test',
      `Subject: ${subject}`,
      'Date: Thu, 26 Nov 2026 12:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'body',
      '',
    ].join('\r\n')
  )
}

describe('Inbox', () => {
  it('keeps messages newest first, as .eml files, and reloads them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailkey-inbox-'))
    dirs.push(dir)
    const inbox = new Inbox(dir)
    await inbox.load()
    await inbox.add(eml('first'), { from: 'taro@sandbox.mailkey.test', to: ['admin@sandbox.mailkey.test'], user: 'taro@sandbox.mailkey.test' })
    const second = await inbox.add(eml('=?UTF-8?B?44OG44K544OI?='), { from: '', to: [], user: '' })
    expect(second).toMatchObject({ subject: 'テスト', from: '山田 太郎 <taro@sandbox.mailkey.test>', text: 'body\n' })
    expect(inbox.list().map((m) => m.subject)).toEqual(['テスト', 'first'])
    expect((await readdir(dir)).filter((f) => f.endsWith('.eml'))).toHaveLength(2)

    const again = new Inbox(dir)
    await again.load()
    expect(again.list().map((m) => m.subject)).toEqual(['テスト', 'first'])
    // The envelope (where Bcc recipients are) survives the reload.
    expect(again.list()[1]?.envelope).toEqual({
      from: 'taro@sandbox.mailkey.test',
      to: ['admin@sandbox.mailkey.test'],
      user: 'taro@sandbox.mailkey.test',
    })
    expect(again.get(second.id)?.raw.toString()).toContain('Subject: =?UTF-8?B?44OG44K544OI?=')
    await again.clear()
    expect(await readdir(dir)).toHaveLength(0)
  })

  it('is bounded', () => {
    expect(INBOX_LIMIT).toBeGreaterThanOrEqual(50)
  })
})
