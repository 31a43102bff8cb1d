/**
 * [メール送信テスト] with a test attachment: a file that fits arrives in the sandbox inbox with
 * its name, type and size; a file over the relay's limit (from /api/config) is refused in the
 * page with the limit named, and nothing is uploaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inbox, openPage, screenshot, sendTest, signIn, startPageEnv, useSandbox, USERS, type PageEnv } from './page-harness.ts'

/** Small enough that an over-limit file is quick to make, large enough for a real scan. */
const MAX_MESSAGE_BYTES = 2 * 1024 * 1024

let env: PageEnv

beforeAll(async () => {
  env = await startPageEnv({ RELAY_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) })
})

afterAll(async () => {
  await env?.stop()
})

describe('a test attachment', () => {
  it('that fits is sent and arrives; one over the limit is refused before upload', async () => {
    const { page, context, problems } = await openPage(env)
    await useSandbox(page, 'spa-pkce')
    await signIn(page, USERS.works)
    expect(await page.locator('#signin-status').getAttribute('data-state')).toBe('signedIn')

    const sends: number[] = []
    page.on('request', (r) => {
      if (r.url().endsWith('/api/send')) sends.push(r.postDataBuffer()?.byteLength ?? 0)
    })

    // Over the limit: 1.6 MB of file is over 2 MB once base64-encoded.
    const big = Buffer.alloc(1_600_000, 0x25)
    await page.setInputFiles('#send-attachment', { name: 'scan-big.pdf', mimeType: 'application/pdf', buffer: big })
    const note = page.locator('#send-attachment-note')
    await note.getByText('上限を超えるため送れません').waitFor()
    expect(await note.textContent()).toContain('1.5 MB')
    expect(await note.textContent()).toContain('2.0 MB')
    await page.click('#send')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('send-attachment')
    expect(sends).toEqual([])
    await screenshot(page, 'attachment-too-large')

    // A scan that fits.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(300_000, 0x41)])
    await page.setInputFiles('#send-attachment', { name: '報告書.pdf', mimeType: 'application/pdf', buffer: pdf })
    await note.getByText('報告書.pdf').waitFor()
    expect(await sendTest(page)).toBe('ok')
    expect(sends).toHaveLength(1)
    const arrived = (await inbox(env)).find((m) =>
      (m.attachments as { filename: string }[] | undefined)?.some((a) => a.filename === '報告書.pdf')
    )
    const attachment = (arrived?.attachments as { filename: string; contentType: string; size: number }[])[0]
    expect(attachment).toMatchObject({ filename: '報告書.pdf', contentType: 'application/pdf', size: pdf.byteLength })

    // Removed again: the next test send carries none.
    await page.click('#send-attachment-clear')
    expect(await page.locator('#send-attachment-note').textContent()).toBe('')
    expect(problems).toEqual([])
    await context.close()
  })
})
