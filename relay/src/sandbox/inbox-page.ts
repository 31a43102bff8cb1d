/**
 * The inbox page (`GET /api/sandbox/inbox`): what arrived at the sandbox's SMTP server and the
 * failure switches, server-rendered in Japanese or English. Every value is escaped; there is no
 * script and no inline style (the stylesheet is served beside it), so the relay's CSP holds.
 * HTML bodies are shown in an `<iframe sandbox srcdoc>`: no script, an opaque origin.
 * The switch forms need the page's Origin on their POST (the relay's origin gate), which
 * Chromium sends as `null` under the relay's `Referrer-Policy: no-referrer`; the page's own
 * `same-origin` policy keeps it.
 *
 * @module
 */
import { formatDateTime } from '../../../src/lib/format/datetime.ts'
import { esc, type Lang } from './html.ts'
import type { StoredMessage } from './inbox.ts'
import { SWITCH_LABELS, SWITCH_NAMES, type Switches } from './switches.ts'

const T = {
  ja: {
    title: 'サンドボックスの受信箱',
    lead: 'サンドボックスの SMTP サーバーが受け付けたメール (新しい順)。',
    empty: 'まだメールはありません。設定ページで「メール送信テスト」を試してください。',
    subject: '件名',
    from: '差出人',
    to: '宛先',
    cc: 'CC',
    date: '日付',
    received: '受信',
    sender: 'SMTP 認証ユーザー',
    rcpt: 'エンベロープの宛先 (RCPT TO、BCC を含む)',
    attachments: '添付ファイル',
    raw: '元のメッセージ (.eml)',
    html: 'HTML 本文',
    htmlSource: 'HTML ソース',
    noSubject: '(件名なし)',
    switches: '障害スイッチ',
    switchesLead: '管理者がよくする設定ミスを再現します。オンにすると、対応するエラーが返ります。',
    on: 'オン',
    off: 'オフ',
    turnOn: 'オンにする',
    turnOff: 'オフにする',
    ca: 'サンドボックスの CA 証明書',
    other: 'English',
    back: 'メール設定に戻る',
  },
  en: {
    title: 'Sandbox inbox',
    lead: "Messages the sandbox's SMTP server accepted (newest first).",
    empty: 'No messages yet. Try "Send test email" on the settings page.',
    subject: 'Subject',
    from: 'From',
    to: 'To',
    cc: 'Cc',
    date: 'Date',
    received: 'Received',
    sender: 'SMTP AUTH user',
    rcpt: 'Envelope recipients (RCPT TO, Bcc included)',
    attachments: 'Attachments',
    raw: 'Original message (.eml)',
    html: 'HTML body',
    htmlSource: 'HTML source',
    noSubject: '(no subject)',
    switches: 'Failure switches',
    switchesLead:
      'Each reproduces a common admin mistake; turned on, the matching error comes back.',
    on: 'on',
    off: 'off',
    turnOn: 'Turn on',
    turnOff: 'Turn off',
    ca: "The sandbox's CA certificate",
    other: '日本語',
    back: 'Back to the mail settings',
  },
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`
}

/**
 * A moment in the one format the settings page uses too (date, time, zone in the page's locale;
 * the relay's time zone, which under `npm start` is the admin's), the exact value in `datetime`.
 */
function when(lang: Lang, iso: string): string {
  const shown = formatDateTime(iso, lang)
  return `<time datetime="${esc(iso)}">${esc(shown)}</time>`
}

function message(lang: Lang, m: StoredMessage): string {
  const t = T[lang]
  const base = `messages/${encodeURIComponent(m.id)}`
  const attachments = m.attachments.length
    ? `<p>${t.attachments}:</p><ul>${
      m.attachments
        .map(
          (a) =>
            `<li><a href="${base}/attachments/${a.index}">${
              esc(a.filename)
            }</a> <span class="note">${esc(a.contentType)}, ${size(a.size)}</span></li>`,
        )
        .join('')
    }</ul>`
    : ''
  const html = m.html
    ? `<p>${t.html}:</p><iframe class="html" sandbox srcdoc="${esc(m.html)}" title="${t.html}"></iframe><details><summary>${t.htmlSource}</summary><pre>${esc(m.html)}</pre></details>`
    : ''
  return `<article id="m-${esc(m.id)}"><h2>${esc(m.subject || t.noSubject)}</h2>
<table><tr><th>${t.from}</th><td>${esc(m.from)}</td></tr>
<tr><th>${t.to}</th><td>${esc(m.to.join(', '))}</td></tr>
${m.cc.length ? `<tr><th>${t.cc}</th><td>${esc(m.cc.join(', '))}</td></tr>` : ''}
<tr><th>${t.date}</th><td>${m.date ? when(lang, m.date) : ''}</td></tr>
<tr><th>${t.received}</th><td>${when(lang, m.receivedAt)}</td></tr>
${m.envelope.user ? `<tr><th>${t.sender}</th><td>${esc(m.envelope.user)}</td></tr>` : ''}
${m.envelope.to.length ? `<tr><th>${t.rcpt}</th><td>${esc(m.envelope.to.join(', '))}</td></tr>` : ''}</table>
<pre class="body">${esc(m.text)}</pre>${html}${attachments}
<p><a href="${base}/raw">${t.raw}</a> <span class="note">${size(m.size)}</span></p></article>`
}

function switchesSection(lang: Lang, switches: Switches): string {
  const t = T[lang]
  const rows = SWITCH_NAMES.map((name) => {
    const on = switches[name]
    const label = SWITCH_LABELS[name]
    return `<tr><td>${esc(label[lang])}<br><code>${name}</code></td><td><code>${
      esc(label.effect)
    }</code></td>
<td><span class="badge${on ? ' on' : ''}">${on ? t.on : t.off}</span></td>
<td><form method="post" action="switches?lang=${lang}"><input type="hidden" name="${name}" value="${
      on ? 'false' : 'true'
    }">
<button type="submit">${on ? t.turnOff : t.turnOn}</button></form></td></tr>`
  }).join('')
  return `<section><h2>${t.switches}</h2><p class="note">${t.switchesLead}</p><table>${rows}</table></section>`
}

export function inboxPage(lang: Lang, messages: StoredMessage[], switches: Switches): string {
  const t = T[lang]
  const other = lang === 'ja' ? 'en' : 'ja'
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; form-action 'self'">
<meta name="referrer" content="same-origin">
<title>${t.title}</title><link rel="stylesheet" href="inbox.css"></head>
<body><main><nav class="top"><a id="back" href="/?lang=${lang}">${t.back}</a><a class="lang" href="inbox?lang=${other}">${t.other}</a></nav><h1>${t.title}</h1>
<p>${t.lead} <a href="ca.pem">${t.ca}</a></p>
${switchesSection(lang, switches)}
<section>${
    messages.length ? messages.map((m) => message(lang, m)).join('') : `<p>${t.empty}</p>`
  }</section>
</main></body></html>`
}

export const INBOX_CSS =
  `*{box-sizing:border-box}body{font-family:system-ui,"Hiragino Sans","Yu Gothic",Meiryo,sans-serif;margin:0;background:#f3f4f6;color:#1f2937}
main{max-width:60rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px}
nav.top{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem}article{border-top:1px solid #d1d5db;margin-top:1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #d1d5db;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{width:10rem;background:#f9fafb}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f9fafb;padding:.5rem;border-radius:4px}
code{overflow-wrap:anywhere}
.note{color:#4b5563;font-size:.85rem}.badge{display:inline-block;padding:0 .4rem;border-radius:4px;background:#e5e7eb}
.on{background:#fecaca}iframe.html{width:100%;height:16rem;border:1px solid #d1d5db}button{padding:.25rem .75rem}form{margin:0}
@media (max-width:40rem){main{margin:0;padding:1rem;border-radius:0}
table,tbody,tr,td,th{display:block;width:auto}tr{border:1px solid #d1d5db;margin:.5rem 0}td,th{border:0;border-top:1px solid #eef0f3}
tr>:first-child{border-top:0}th{background:#f9fafb}tr>td:nth-child(n+3){display:inline-block;vertical-align:middle;border-top:0}}
`
