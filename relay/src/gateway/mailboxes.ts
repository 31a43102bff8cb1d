/**
 * `/api/admin/mailboxes` (shared/GATEWAY.md): create, list, read, patch, delete, sign in
 * (`authorize` with the popup's code, or `devicecode`), and a test send through the stored
 * token that answers exactly like `/api/send`. No answer holds a secret or token.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { Context } from 'hono'
import { Hono } from 'hono'
import {
  AuthorizeRequest,
  type DeviceCodeAnswer,
  MailboxCreate,
  type MailboxError,
  type MailboxItem,
  MailboxPatch,
  MailboxTestRequest,
} from '../../../src/lib/contract/gateway.ts'
import type { RelayEnv } from '../http/context.ts'
import { ApiError } from '../http/errors.ts'
import { checkSmtpTarget, checkTokenEndpoint } from '../http/targets.ts'
import { jsonBody } from '../http/validate.ts'
import { perClientLimit } from '../middleware/rate-limit.ts'
import { submitMessage } from '../routes/send.ts'
import { resolveSecretAlerts } from './alerts.ts'
import type { GatewayContext } from './context.ts'
import type { MailboxesTable } from './schema.ts'
import {
  fetchAppToken,
  pendingDeviceCode,
  readMailbox,
  redeemCode,
  renew,
  sealFor,
  startDeviceCode,
  usableAccessToken,
  withLeaseWaiting,
} from './tokens.ts'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export async function toItem(g: GatewayContext, row: MailboxesTable): Promise<MailboxItem> {
  const deviceCode = await pendingDeviceCode(g, row)
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    smtp: { host: row.smtp_host, port: row.smtp_port, security: row.smtp_security as MailboxItem['smtp']['security'] },
    tokenSource: row.token_source as MailboxItem['tokenSource'],
    tenantId: row.tenant_id,
    clientId: row.client_id,
    tokenEndpoint: row.token_endpoint,
    authorizeEndpoint: row.authorize_endpoint,
    state: row.state as MailboxItem['state'],
    tokenExpiresAt: iso(row.token_expires_at),
    nextRenewalAt: row.state === 'ready' || row.state === 'error' ? iso(row.next_renewal_at) : null,
    secretExpires: row.secret_expires,
    account: row.account,
    ...(row.last_error && { lastError: JSON.parse(row.last_error) as MailboxError }),
    ...(deviceCode && { deviceCode }),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  }
}

const notFound = () =>
  new ApiError('NOT_FOUND', 'No such mailbox.', { hint: 'List the mailboxes with GET /api/admin/mailboxes.' })

async function mailboxOr404(g: GatewayContext, id: string): Promise<MailboxesTable> {
  const row = await readMailbox(g, id)
  if (!row) throw notFound()
  return row
}

const busy = () =>
  new ApiError('CONFLICT', 'A token renewal for this mailbox is in progress.', { hint: 'Try again in a few seconds.' })

/** The allow-lists apply to stored mailboxes as to /api/send and /api/token. */
async function checkTargets(g: GatewayContext, m: { smtp?: MailboxCreate['smtp']; tokenEndpoint?: string; authorizeEndpoint?: string | null }) {
  if (m.smtp) await checkSmtpTarget(g.config, m.smtp, g.relay.resolveHost)
  if (m.tokenEndpoint) await checkTokenEndpoint(g.config, m.tokenEndpoint, g.relay.resolveHost)
}

/** Fields whose change means the stored tokens belong to another identity. */
const IDENTITY_FIELDS = ['tokenSource', 'tenantId', 'clientId', 'tokenEndpoint', 'address'] as const

export function mailboxRoutes(g: GatewayContext, clientAddress: (c: Context) => string): Hono<RelayEnv> {
  const api = new Hono<RelayEnv>()

  api.get('/', async (c) => {
    const rows = await g.store.db.selectFrom('mailboxes').selectAll().orderBy('created_at').orderBy('id').execute()
    return c.json({ ok: true as const, mailboxes: await Promise.all(rows.map((r) => toItem(g, r))) })
  })

  api.post('/', jsonBody(MailboxCreate), async (c) => {
    const m = c.req.valid('json')
    await checkTargets(g, m)
    const id = randomUUID()
    const now = g.now()
    await g.store.db.insertInto('mailboxes').values({
      id,
      name: m.name,
      address: m.address,
      smtp_host: m.smtp.host,
      smtp_port: m.smtp.port,
      smtp_security: m.smtp.security,
      token_source: m.tokenSource,
      tenant_id: m.tenantId,
      client_id: m.clientId,
      token_endpoint: m.tokenEndpoint,
      authorize_endpoint: m.authorizeEndpoint ?? null,
      secret_expires: m.secretExpires ?? null,
      client_secret_enc: await sealFor(g, id, 'secret', m.clientSecret),
      refresh_token_enc: null,
      access_token_enc: null,
      token_expires_at: null,
      next_renewal_at: null,
      state: m.tokenSource === 'app' ? 'error' : 'needs-sign-in',
      last_error: null,
      account: null,
      renew_failures: 0,
      device_code_enc: null,
      device_poll_at: null,
      lease_owner: null,
      lease_until: null,
      created_at: now,
      updated_at: now,
    }).execute()
    g.log({ level: 'info', event: 'gateway.mailbox_created', mailbox: id, tokenSource: m.tokenSource })
    if (m.tokenSource === 'app') await fetchAppToken(g, id)
    return c.json({ ok: true as const, mailbox: await toItem(g, await mailboxOr404(g, id)) }, 201)
  })

  api.get('/:id', async (c) => {
    return c.json({ ok: true as const, mailbox: await toItem(g, await mailboxOr404(g, c.req.param('id'))) })
  })

  api.patch('/:id', jsonBody(MailboxPatch), async (c) => {
    const id = c.req.param('id')
    const p = c.req.valid('json')
    await mailboxOr404(g, id)
    await checkTargets(g, p)
    const done = await withLeaseWaiting(g, id, async (row) => {
      const identity = IDENTITY_FIELDS.some((f) => {
        const v = p[f]
        if (v === undefined) return false
        const current = { tokenSource: row.token_source, tenantId: row.tenant_id, clientId: row.client_id, tokenEndpoint: row.token_endpoint, address: row.address }[f]
        return v !== current
      })
      const source = p.tokenSource ?? row.token_source
      const patch: Partial<MailboxesTable> = {
        ...(p.name !== undefined && { name: p.name }),
        ...(p.address !== undefined && { address: p.address }),
        ...(p.smtp && { smtp_host: p.smtp.host, smtp_port: p.smtp.port, smtp_security: p.smtp.security }),
        ...(p.tokenSource !== undefined && { token_source: p.tokenSource }),
        ...(p.tenantId !== undefined && { tenant_id: p.tenantId }),
        ...(p.clientId !== undefined && { client_id: p.clientId }),
        ...(p.tokenEndpoint !== undefined && { token_endpoint: p.tokenEndpoint }),
        ...(p.authorizeEndpoint !== undefined && { authorize_endpoint: p.authorizeEndpoint }),
        ...(p.secretExpires !== undefined && { secret_expires: p.secretExpires }),
        ...(p.clientSecret !== undefined && { client_secret_enc: await sealFor(g, id, 'secret', p.clientSecret) }),
      }
      if (identity) {
        Object.assign(patch, {
          refresh_token_enc: null,
          access_token_enc: null,
          token_expires_at: null,
          next_renewal_at: null,
          account: null,
          device_code_enc: null,
          device_poll_at: null,
          last_error: null,
          renew_failures: 0,
          state: source === 'app' ? 'error' : 'needs-sign-in',
        })
      }
      // A new secret (or identity) is tried at once where a token can be had without a person.
      const retry = (identity && source === 'app') ||
        (p.clientSecret !== undefined && (source === 'app' || row.refresh_token_enc !== null))
      return { patch, result: { retry, source, secretChanged: p.secretExpires !== undefined } }
    })
    if (!done) throw busy()
    if (done.result.secretChanged) await resolveSecretAlerts(g, id)
    if (done.result.retry) await renew(g, { id, token_source: done.result.source }, true)
    return c.json({ ok: true as const, mailbox: await toItem(g, await mailboxOr404(g, id)) })
  })

  api.delete('/:id', async (c) => {
    const id = c.req.param('id')
    const res = await g.store.db.deleteFrom('mailboxes').where('id', '=', id).executeTakeFirst()
    if (Number(res.numDeletedRows) !== 1) throw notFound()
    await g.store.db.deleteFrom('alerts').where('mailbox_id', '=', id).execute()
    g.log({ level: 'info', event: 'gateway.mailbox_deleted', mailbox: id })
    return c.json({ ok: true as const })
  })

  const signInOnly = (row: MailboxesTable) => {
    if (row.token_source === 'app') {
      throw new ApiError('CONFLICT', 'An app-only mailbox has no user to sign in.', {
        hint: 'Its token comes from the client secret (client credentials); update the secret with PATCH.',
      })
    }
  }

  api.post('/:id/authorize', jsonBody(AuthorizeRequest), async (c) => {
    const id = c.req.param('id')
    signInOnly(await mailboxOr404(g, id))
    const outcome = await redeemCode(g, id, c.req.valid('json'))
    if (!outcome) throw busy()
    if (!outcome.ok && outcome.error) throw outcome.error
    return c.json({ ok: true as const, mailbox: await toItem(g, await mailboxOr404(g, id)) })
  })

  api.post('/:id/devicecode', async (c) => {
    const id = c.req.param('id')
    signInOnly(await mailboxOr404(g, id))
    const started = await startDeviceCode(g, id)
    if (!started) throw busy()
    if (!started.ok) throw started.error
    const body: DeviceCodeAnswer = {
      ok: true,
      userCode: started.pending.userCode,
      verificationUri: started.pending.verificationUri,
      expiresIn: Math.round((started.pending.expiresAt - g.now()) / 1000),
      ...(started.message !== undefined && { message: started.message }),
    }
    return c.json(body)
  })

  api.post(
    '/:id/test',
    perClientLimit({ limit: g.config.rateLimitPerMinute, clientAddress }),
    jsonBody(MailboxTestRequest),
    async (c) => {
      const id = c.req.param('id')
      let row = await mailboxOr404(g, id)
      let token = await usableAccessToken(g, row)
      if (!token && (row.state === 'ready' || row.state === 'error')) {
        await renew(g, row, true)
        row = await mailboxOr404(g, id)
        token = await usableAccessToken(g, row)
      }
      if (!token) {
        const e = row.last_error ? (JSON.parse(row.last_error) as MailboxError) : undefined
        throw new ApiError('CONFLICT', `This mailbox has no usable token (state ${row.state}).`, {
          hint: row.state === 'needs-sign-in' || row.state === 'reauth-needed'
            ? 'Sign in for this mailbox first ([再認証] / POST …/authorize or …/devicecode).'
            : e?.hint ?? 'Check the mailbox settings.',
          ...(e?.aadsts && { aadsts: e.aadsts }),
        })
      }
      const { to } = c.req.valid('json')
      const when = new Date(g.now()).toISOString()
      return c.json(await submitMessage(g.relay, {
        smtp: { host: row.smtp_host, port: row.smtp_port, security: row.smtp_security as 'starttls' | 'tls' | 'none' },
        auth: { type: 'xoauth2', user: row.address, accessToken: token },
        message: {
          from: `${row.name.replace(/["\\<>]/g, '')} <${row.address}>`,
          to: [to],
          subject: `mailkey ゲートウェイ テスト送信 / gateway test: ${row.name}`,
          text: `mailkey ゲートウェイからのテストメールです。メールボックス「${row.name}」(${row.address}) は保存されたトークンで送信できます。\n送信日時: ${when}\n\nA test message from the mailkey gateway: mailbox "${row.name}" (${row.address}) can send with its stored token.\nSent: ${when}\n`,
        },
      }))
    },
  )

  return api
}
