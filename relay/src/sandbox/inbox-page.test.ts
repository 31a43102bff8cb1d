import { describe, expect, it } from 'vitest'
import type { StoredMessage } from './inbox.ts'
import { inboxPage } from './inbox-page.ts'
import { defaultSwitches } from './switches.ts'

const hostile: StoredMessage = {
  id: 'abc',
  receivedAt: '2026-11-26T12:00:00.000Z',
  envelope: { from: 'a@x', to: ['b@x'], user: 'a@x' },
  subject: '<script>alert(1)</script>件名',
  from: '"Evil" <a@x>',
  to: ['<b@x>'],
  cc: [],
  text: 'line & <tag>',
  html: '<img src=x onerror="alert(1)">',
  attachments: [{ index: 0, filename: '"><svg onload=alert(1)>.pdf', contentType: 'application/pdf', size: 2048 }],
  size: 4096,
}

describe('inboxPage', () => {
  it('escapes every value and carries no script', () => {
    const html = inboxPage('ja', [hostile], defaultSwitches())
    expect(html).not.toMatch(/<script|<svg|<img/i)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;件名')
    expect(html).toContain('line &amp; &lt;tag&gt;')
    // The HTML body only appears inside a sandboxed srcdoc frame (escaped) and as source text.
    expect(html).toContain('<iframe class="html" sandbox srcdoc="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"')
    expect(html).not.toMatch(/\sstyle=/)
  })

  it('shows the envelope recipients, where Bcc recipients appear', () => {
    const bcc = { ...hostile, envelope: { from: 'a@x', to: ['b@x', 'hidden@x'], user: 'a@x' } }
    expect(inboxPage('en', [bcc], defaultSwitches())).toContain(
      '<tr><th>Envelope recipients (RCPT TO, Bcc included)</th><td>b@x, hidden@x</td></tr>'
    )
  })

  it('shows the switches with buttons, in the chosen language', () => {
    const en = inboxPage('en', [], { ...defaultSwitches(), consentMissing: true })
    expect(en).toContain('<html lang="en">')
    expect(en).toContain('No admin consent for SMTP.Send')
    expect(en).toContain('name="consentMissing" value="false"')
    expect(en).toContain('name="webSecretExpired" value="true"')
    expect(inboxPage('ja', [], defaultSwitches())).toContain('まだメールはありません')
    const ja = inboxPage('ja', [], { ...defaultSwitches(), smtpDown: true })
    for (const name of ['refreshTokenRevoked', 'servicePrincipalMissing', 'mailboxPermissionMissing', 'smtpBusy']) {
      expect(ja).toContain(`name="${name}" value="true"`)
    }
    expect(ja).toContain('name="smtpDown" value="false"')
    expect(ja).toContain('SMTP サーバーが停止している')
  })

  it('shows dates with time and zone in the one format of the settings page, and a way back', () => {
    const dated = { ...hostile, date: '2026-11-26T11:59:58.000Z' }
    const ja = inboxPage('ja', [dated], defaultSwitches())
    expect(ja).toContain('<time datetime="2026-11-26T12:00:00.000Z">')
    expect(ja).toMatch(/<time datetime="2026-11-26T11:59:58.000Z">2026\/11\/2[67] \d{1,2}:59:58 [^<]+<\/time>/)
    // No ISO string shown as text.
    expect(ja.replace(/datetime="[^"]*"/g, '')).not.toContain('T12:00:00')
    expect(ja).toContain('<a id="back" href="/?lang=ja">メール設定に戻る</a>')
    const en = inboxPage('en', [dated], defaultSwitches())
    expect(en).toMatch(/<time datetime="2026-11-26T12:00:00.000Z">2[67] Nov 2026, \d{2}:00:00 [^<]+<\/time>/)
    expect(en).toContain('<a id="back" href="/?lang=en">Back to the mail settings</a>')
  })
})
