/**
 * The failure notice (RFC 3464 delivery status notification) for a message the gateway could
 * not deliver: a `multipart/report; report-type=delivery-status` to the mailbox itself, sent
 * through the queue like any message (never a notice about a notice), in Japanese and English,
 * naming the server's answer, the cause and the fix from the shared catalogue of Microsoft 365
 * replies, and carrying the failed message's headers (`text/rfc822-headers`).
 *
 * Built with Nodemailer's MimeNode (the library the relay's MIME builder uses), not by hand.
 *
 * @module
 */
import { hostname } from 'node:os'
import MimeNode from 'nodemailer/lib/mime-node'
import { explainSmtpReply } from '../../../src/lib/contract/m365.ts'
import { M365_CAUSES } from '../../../src/lib/diagnosis/causes-m365.ts'
import type { GatewayContext } from './context.ts'
import { enqueue, loadBody, type MessageRow } from './queue.ts'
import { readMailbox } from './tokens.ts'

interface Reason {
  reply?: string
  error: unknown
}

/** The failed message's header block (at most 16 KiB). */
function headersOf(raw: Uint8Array): string {
  const text = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 64 * 1024)).toString('latin1')
  const end = text.indexOf('\r\n\r\n')
  return (end < 0 ? text : text.slice(0, end)).slice(0, 16 * 1024) + '\r\n'
}

/** `550 5.7.60 …` → its code, enhanced code and text. */
function parseReply(reply: string | undefined): { code?: number; enhanced?: string } {
  const m = /^(\d{3})(?:\s+(\d\.\d{1,3}\.\d{1,3}))?/.exec(reply ?? '')
  return m ? { code: Number(m[1]), ...(m[2] && { enhanced: m[2] }) } : {}
}

export function noticeTexts(m: MessageRow, reason: Reason): { ja: string; en: string } {
  const to = (JSON.parse(m.rcpt_to) as string[]).join(', ')
  const { code, enhanced } = parseReply(reason.reply)
  const explained = code !== undefined ? explainSmtpReply({ code, ...(enhanced && { enhanced }), text: reason.reply ?? '' }) : undefined
  const cause = explained ? M365_CAUSES.find((c) => c.m365?.includes(explained.id)) : undefined
  const known = cause ? { ja: `${cause.cause.ja} ${cause.fix.ja}`, en: `${cause.cause.en} ${cause.fix.en}` } : undefined
  const err = reason.error as { message?: string; hint?: string } | undefined
  const hint = known?.en ?? explained?.hint ?? err?.hint ?? ''
  const ja = [
    'mailkey ゲートウェイは、次のメールを配送できませんでした。',
    '',
    `件名: ${m.subject}`,
    `宛先: ${to}`,
    `受け付けた日時: ${new Date(m.created_at).toISOString()}`,
    `試行回数: ${m.attempts}`,
    `サーバーの応答: ${reason.reply ?? err?.message ?? '(応答なし)'}`,
    '',
    known?.ja ? `原因と直し方: ${known.ja}` : '原因と直し方: ゲートウェイのページ (/gateway) の配送ログに、この失敗の説明があります。',
    '',
    '直したあと、ゲートウェイのページの [再送] で送り直せます。',
  ].join('\n')
  const en = [
    'The mailkey gateway could not deliver this message.',
    '',
    `Subject: ${m.subject}`,
    `To: ${to}`,
    `Accepted: ${new Date(m.created_at).toISOString()}`,
    `Attempts: ${m.attempts}`,
    `Server reply: ${reason.reply ?? err?.message ?? '(no reply)'}`,
    '',
    hint ? `Cause and fix: ${hint}` : 'Cause and fix: see the delivery log on the gateway page (/gateway).',
    '',
    'Once fixed, [Resend] on the gateway page sends it again.',
  ].join('\n')
  return { ja, en }
}

/** Builds the notice's bytes. */
export async function buildNotice(
  m: MessageRow,
  reason: Reason,
  mailbox: string,
  original: Uint8Array | undefined,
  reportingHost = hostname(),
): Promise<Uint8Array> {
  const { ja, en } = noticeTexts(m, reason)
  const root = new MimeNode('multipart/report; report-type=delivery-status')
  root.setHeader('From', `"mailkey gateway" <${mailbox}>`)
  root.setHeader('To', mailbox)
  root.setHeader('Subject', `配送できませんでした / Undeliverable: ${m.subject}`.slice(0, 200))
  root.setHeader('Auto-Submitted', 'auto-replied')
  root.setHeader('Date', new Date().toUTCString())
  root.createChild('text/plain; charset=utf-8').setContent(`${ja}\n\n----\n\n${en}\n`)
  const { code, enhanced } = parseReply(reason.reply)
  const status = enhanced ?? (code !== undefined && code >= 400 && code < 500 ? '4.0.0' : '5.0.0')
  const perMessage = [`Reporting-MTA: dns; ${reportingHost}`, `Arrival-Date: ${new Date(m.created_at).toUTCString()}`]
  const perRecipient = (JSON.parse(m.rcpt_to) as string[]).map((r) =>
    [
      `Final-Recipient: rfc822; ${r}`,
      'Action: failed',
      `Status: ${status}`,
      ...(reason.reply ? [`Diagnostic-Code: smtp; ${reason.reply.replace(/[\r\n]+/g, ' ').slice(0, 900)}`] : []),
    ].join('\r\n'),
  )
  root.createChild('message/delivery-status').setContent([perMessage.join('\r\n'), ...perRecipient].join('\r\n\r\n') + '\r\n')
  if (original) root.createChild('text/rfc822-headers').setContent(headersOf(original))
  const raw = await new Promise<Buffer>((resolve, reject) => root.build((err, out) => (err ? reject(err) : resolve(out))))
  return new Uint8Array(raw)
}

/** Queues the notice for a failed message to its mailbox (while the mailbox still exists). */
export async function failureNotice(g: GatewayContext, m: MessageRow, reason: Reason): Promise<void> {
  const mailbox = await readMailbox(g, m.mailbox_id)
  if (!mailbox) return
  const raw = await buildNotice(m, reason, mailbox.address, await loadBody(g.store.db, m.id, g.store.kind))
  const id = await enqueue(g.store.db, g.now(), {
    deviceId: null,
    mailboxId: mailbox.id,
    origin: 'dsn',
    envelope: { from: mailbox.address, to: [mailbox.address] },
    raw,
    headerFrom: `mailkey gateway <${mailbox.address}>`,
    subject: `Undeliverable: ${m.subject}`.slice(0, 500),
    eightBit: false,
  })
  g.log({ level: 'info', event: 'gateway.failure_notice', id, about: m.id, mailboxId: mailbox.id })
}
