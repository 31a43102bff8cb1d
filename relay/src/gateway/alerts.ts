/**
 * Admin alerts (ja and en): a mailbox's client secret expires in 30, 7 or 1 days, or a mailbox
 * needs re-authorisation. Each alert is raised once per threshold (a unique key in the store,
 * so several instances raise it once between them), written as one structured log line, listed
 * for the page (`GET /api/admin/alerts`), and mailed to the mailbox's own address through the
 * mailbox itself while its token still works.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { Alert, MailboxError } from '../../../src/lib/contract/gateway.ts'
import { submitMessage } from '../routes/send.ts'
import type { GatewayContext } from './context.ts'
import type { AlertsTable, MailboxesTable } from './schema.ts'
import { usableAccessToken } from './tokens.ts'

export const SECRET_THRESHOLDS = [1, 7, 30] as const
const DAY_MS = 86_400_000

/** Whole days until the end (UTC) of the expiry date; 0 or less once it has passed. */
export function daysLeft(secretExpires: string, now: number): number {
  const end = Date.parse(`${secretExpires}T00:00:00Z`) + DAY_MS
  return Math.ceil((end - now) / DAY_MS)
}

/** The tightest threshold reached, or undefined when more than 30 days are left. */
export function thresholdFor(days: number): number | undefined {
  return SECRET_THRESHOLDS.find((t) => days <= t)
}

function secretTexts(row: MailboxesTable, days: number): { ja: string; en: string } {
  const date = row.secret_expires ?? ''
  const left = Math.max(days, 0)
  return {
    ja: `メールボックス「${row.name}」(${row.address}) のクライアント シークレットは ${date} に期限切れになります (あと ${left} 日)。Microsoft Entra 管理センター > アプリの登録 > (アプリ) > 証明書とシークレット で新しいシークレットを作成し、ゲートウェイのページでこのメールボックスのシークレットを更新してください。`,
    en: `The client secret of mailbox "${row.name}" (${row.address}) expires on ${date} (${left} day${left === 1 ? '' : 's'} left). Create a new secret in Microsoft Entra admin center > App registrations > (the app) > Certificates & secrets and update this mailbox's secret on the gateway page.`,
  }
}

function reauthTexts(row: MailboxesTable): { ja: string; en: string } {
  const e = row.last_error ? (JSON.parse(row.last_error) as MailboxError) : undefined
  const code = e?.aadsts ?? e?.code ?? ''
  const secretExpired = e?.aadsts === 'AADSTS7000222'
  if (secretExpired || row.token_source === 'app') {
    return {
      ja: `メールボックス「${row.name}」(${row.address}) はトークンを取得できません (${code})。${secretExpired ? 'クライアント シークレットの有効期限が切れています。新しいシークレットを作成し、' : ''}ゲートウェイのページでこのメールボックスの設定を更新してください。更新するまで、このメールボックスのメールは送信されません。`,
      en: `Mailbox "${row.name}" (${row.address}) cannot get a token (${code}). ${secretExpired ? 'Its client secret has expired: create a new one and ' : 'Please '}update this mailbox on the gateway page. Its mail waits until then.`,
    }
  }
  return {
    ja: `メールボックス「${row.name}」(${row.address}) は再認証が必要です (${code})。ゲートウェイのページで [再認証] を押し、${row.address} でサインインしてください。再認証するまで、このメールボックスのメールは送信されません。`,
    en: `Mailbox "${row.name}" (${row.address}) needs to be signed in again (${code}). Press [Re-authorise] on the gateway page and sign in as ${row.address}. Its mail waits until then.`,
  }
}

export function toAlert(a: AlertsTable): Alert {
  return {
    id: a.id,
    mailboxId: a.mailbox_id,
    kind: a.kind as Alert['kind'],
    ...(a.kind === 'secret-expires' && { thresholdDays: a.threshold_days }),
    message: { ja: a.message_ja, en: a.message_en },
    createdAt: new Date(a.created_at).toISOString(),
    mailedAt: a.mailed_at === null ? null : new Date(a.mailed_at).toISOString(),
  }
}

/** Inserts the alert unless its key exists; true when this call raised it. */
async function raise(g: GatewayContext, row: MailboxesTable, a: Omit<AlertsTable, 'id' | 'created_at' | 'mailed_at' | 'resolved_at'>): Promise<AlertsTable | undefined> {
  const alert: AlertsTable = { ...a, id: randomUUID(), created_at: g.now(), mailed_at: null, resolved_at: null }
  const res = await g.store.db.insertInto('alerts').values(alert)
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst()
  if (Number(res.numInsertedOrUpdatedRows ?? 0) !== 1) return undefined
  g.log({
    level: 'warn',
    event: 'gateway.alert',
    kind: alert.kind,
    mailbox: row.id,
    address: row.address,
    ...(alert.kind === 'secret-expires' && { thresholdDays: alert.threshold_days }),
    message: alert.message_en,
    messageJa: alert.message_ja,
  })
  await mailAlert(g, row, alert)
  return alert
}

/** Mails the alert to the mailbox's address through the mailbox, if its token still works. */
async function mailAlert(g: GatewayContext, row: MailboxesTable, alert: AlertsTable): Promise<void> {
  const token = await usableAccessToken(g, row, 30_000).catch(() => undefined)
  if (!token) return
  try {
    await submitMessage(g.relay, {
      smtp: { host: row.smtp_host, port: row.smtp_port, security: row.smtp_security as 'starttls' | 'tls' | 'none' },
      auth: { type: 'xoauth2', user: row.address, accessToken: token },
      message: {
        from: `mailkey <${row.address}>`,
        to: [row.address],
        subject: `[mailkey] 要対応 / Action needed: ${row.name}`,
        text: `${alert.message_ja}\n\n${alert.message_en}\n`,
      },
    })
    await g.store.db.updateTable('alerts').set({ mailed_at: g.now() }).where('id', '=', alert.id).execute()
  } catch (err) {
    const code = (err as { code?: unknown; apiCode?: unknown }).apiCode ?? (err as { code?: unknown }).code
    g.log({ level: 'warn', event: 'gateway.alert_mail_failed', mailbox: row.id, code: typeof code === 'string' ? code : 'error' })
  }
}

const reauthKey = (id: string) => `reauth:${id}:open`

export async function onReauthNeeded(g: GatewayContext, row: MailboxesTable): Promise<void> {
  const t = reauthTexts(row)
  await raise(g, row, { mailbox_id: row.id, kind: 'reauth-needed', threshold_days: 0, dedupe_key: reauthKey(row.id), message_ja: t.ja, message_en: t.en })
}

/** A working mailbox again: its open re-authorisation alert is resolved (a later one is new). */
export async function onReady(g: GatewayContext, row: MailboxesTable): Promise<void> {
  const now = g.now()
  await g.store.db.updateTable('alerts')
    .set({ resolved_at: now, dedupe_key: `reauth:${row.id}:resolved:${now}:${randomUUID()}` })
    .where('dedupe_key', '=', reauthKey(row.id))
    .execute()
}

/** The secret's expiry changed (a new secret): earlier expiry alerts are resolved. */
export async function resolveSecretAlerts(g: GatewayContext, mailboxId: string): Promise<void> {
  await g.store.db.updateTable('alerts').set({ resolved_at: g.now() })
    .where('mailbox_id', '=', mailboxId).where('kind', '=', 'secret-expires').where('resolved_at', 'is', null)
    .execute()
}

/** Raises the secret-expiry alerts that are due (call it now and then). */
export async function checkSecretExpiry(g: GatewayContext): Promise<void> {
  const rows = await g.store.db.selectFrom('mailboxes').selectAll().where('secret_expires', 'is not', null).execute()
  for (const row of rows) {
    const days = daysLeft(row.secret_expires!, g.now())
    const t = thresholdFor(days)
    if (t === undefined) continue
    const texts = secretTexts(row, days)
    const raised = await raise(g, row, {
      mailbox_id: row.id,
      kind: 'secret-expires',
      threshold_days: t,
      dedupe_key: `secret:${row.id}:${row.secret_expires}:${t}`,
      message_ja: texts.ja,
      message_en: texts.en,
    })
    if (raised) {
      // The wider thresholds' alerts are superseded by this one.
      await g.store.db.updateTable('alerts').set({ resolved_at: g.now() })
        .where('mailbox_id', '=', row.id).where('kind', '=', 'secret-expires')
        .where('threshold_days', '>', t).where('resolved_at', 'is', null)
        .execute()
    }
  }
}

export async function listAlerts(g: GatewayContext): Promise<Alert[]> {
  const rows = await g.store.db.selectFrom('alerts').selectAll().where('resolved_at', 'is', null)
    .orderBy('created_at', 'desc').orderBy('id').execute()
  return rows.map(toAlert)
}
