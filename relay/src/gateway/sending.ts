/**
 * The gateway's sending side, wired together: devices (admin routes), the SMTP ingress and the
 * send API for scripts put messages in the queue (committed before `250` / `202`), and the
 * dispatcher delivers them through the mailboxes' tokens.
 *
 * @module
 */
import type { Context } from 'hono'
import { Hono } from 'hono'
import {
  DeviceCreate,
  type DeviceCreated,
  QueueQuery,
  type QueueList,
  V1MessageRequest,
  type V1MessageAnswer,
} from '../../../src/lib/contract/gateway.ts'
import type { RelayEnv } from '../http/context.ts'
import { ApiError } from '../http/errors.ts'
import { jsonBody } from '../http/validate.ts'
import { buildMessage } from '../mime/index.ts'
import { createPool, type Pool } from '../smtp/index.ts'
import type { GatewayContext } from './context.ts'
import { startDelivery, type Dispatcher, type MailboxSenders, type SenderLookup } from './delivery.ts'
import {
  authenticateApiKey,
  authenticateSmtp,
  badAllowEntry,
  createDevice,
  deleteDevice,
  type DeviceRow,
  deviceForAddress,
  getDevice,
  listDevices,
  toDeviceItem,
} from './devices.ts'
import { failureNotice } from './dsn.ts'
import { type Ingress, IngressReply, startIngress } from './ingress.ts'
import {
  countsByMailbox,
  enqueue,
  getMessage,
  listMessages,
  RECIPIENTS_PER_DAY,
  removeMessage,
  retryNow,
  toQueueItem,
} from './queue.ts'
import { asMailbox, summarize } from './rewrite.ts'
import { readMailbox, renew, usableAccessToken } from './tokens.ts'

export interface Sending {
  /** `/api/admin/devices`, `/queue`, `/ingress` (mounted behind the admin session). */
  adminRoutes(): Hono<RelayEnv>
  /** `/api/v1/messages` (device API keys). */
  v1Routes(): Hono<RelayEnv>
  ingress?: Ingress
  dispatcher: Dispatcher
  /**
   * Shutdown, first half: the ingress stops accepting and ends its sessions once their
   * message is answered, while delivery stops claiming, lets the messages in flight finish
   * (at most `graceMs`) and gives back the rest. The store stays open. Idempotent.
   */
  drain(graceMs?: number): Promise<void>
  close(): Promise<void>
}

const notFound = (what: string) => new ApiError('NOT_FOUND', `${what} does not exist.`)

/** What delivery asks of the mailboxes: the sender when ready, a renewal when the token is old. */
function senders(g: GatewayContext): MailboxSenders {
  const refusals = new Map<string, number>()
  return {
    async senderFor(id): Promise<SenderLookup> {
      let row = await readMailbox(g, id)
      if (!row) return { ok: false, reason: 'missing' }
      if (row.state !== 'ready') return { ok: false, reason: 'not-ready' }
      let token = await usableAccessToken(g, row, 2 * 60_000)
      if (!token) {
        await renew(g, row, true).catch(() => undefined)
        row = await readMailbox(g, id)
        if (!row || row.state !== 'ready') return { ok: false, reason: 'not-ready' }
        token = await usableAccessToken(g, row, 60_000)
        if (!token) return { ok: false, reason: 'not-ready' }
      }
      return {
        ok: true,
        address: row.address,
        smtp: { host: row.smtp_host, port: row.smtp_port, security: row.smtp_security as 'starttls' | 'tls' | 'none' },
        user: row.address,
        accessToken: token,
      }
    },
    // A token the relay holds as valid refused at AUTH: renew once; refused three times running
    // (535 5.7.3: the service principal or its mailbox permission is missing), the mailbox waits
    // for the admin, its mail with it.
    async authRefused(id, err) {
      const n = (refusals.get(id) ?? 0) + 1
      refusals.set(id, n)
      const row = await readMailbox(g, id)
      if (!row) return
      if (n < 3) {
        await g.store.db.updateTable('mailboxes').set({ token_expires_at: g.now() }).where('id', '=', id).execute()
        return
      }
      refusals.delete(id)
      const reply = (err as { reply?: { code: number; enhanced?: string; lines: string[] } }).reply
      const lastError = {
        code: 'AUTH_FAILED',
        message: 'Microsoft 365 refused this mailbox\'s token three times at AUTH.',
        hint: 'For app-only: check New-ServicePrincipal and Add-MailboxPermission … FullAccess (the guide\'s app-only steps); for delegated: sign in again.',
        ...(reply && { smtp: { code: reply.code, ...(reply.enhanced && { enhanced: reply.enhanced }), text: reply.lines.join(' ').slice(0, 300) } }),
        at: new Date(g.now()).toISOString(),
      }
      await g.store.db
        .updateTable('mailboxes')
        .set({ state: 'reauth-needed', last_error: JSON.stringify(lastError), updated_at: g.now() })
        .where('id', '=', id)
        .execute()
      g.log({ level: 'warn', event: 'gateway.mailbox_reauth_needed', mailboxId: id, reason: 'auth-refused' })
    },
  }
}

/** The device as the queue and the From policy need it. */
async function queueFromDevice(
  g: GatewayContext,
  device: DeviceRow,
  envelope: { from: string; to: string[] },
  bytes: Uint8Array,
  kick: () => void,
): Promise<string> {
  const mailbox = await readMailbox(g, device.mailbox_id)
  if (!mailbox) throw new IngressReply(550, '5.7.1', 'This device\'s gateway mailbox no longer exists')
  let raw = bytes
  let from = envelope.from || mailbox.address
  let { headerFrom, subject } = summarize(bytes)
  if (device.from_policy === 'mailbox') {
    const r = asMailbox(bytes, mailbox.address, device.name)
    raw = r.raw
    from = r.envelopeFrom
    headerFrom = r.headerFrom
    subject = r.subject
  }
  const eightBit = raw.some((b) => b > 0x7f)
  const id = await enqueue(g.store.db, g.now(), {
    deviceId: device.id,
    mailboxId: mailbox.id,
    origin: 'device',
    envelope: { from, to: envelope.to },
    raw,
    headerFrom,
    subject,
    eightBit,
  })
  kick()
  return id
}

export async function startSending(g: GatewayContext, opts: { pool?: Pool } = {}): Promise<Sending> {
  // The relay's one pool (AppDeps.pool), shared with /api/send: one pool per process, at most
  // three connections per mailbox in it. Without one (RELAY_SMTP_IDLE_MS=0) delivery keeps
  // its own, for the reuse across a lane's messages.
  const shared = opts.pool ?? g.relay.pool
  const pool = shared ?? createPool({ maxPerMailbox: 3 })
  const dispatcher = startDelivery({
    db: g.store.db,
    kind: g.store.kind,
    instanceId: g.instanceId,
    config: g.config,
    resolveHost: g.relay.resolveHost,
    sendMail: g.relay.sendMail,
    pool,
    senders: senders(g),
    notice: (m, reason) => failureNotice(g, m, reason),
    log: g.log,
    now: g.now,
    ratePerMinute: g.config.mailboxRate,
    maxAgeMs: g.config.queueMaxAgeMs,
    leaseMs: g.config.queueLeaseMs,
    ...(g.relay.smtpTimeouts && { smtpTimeouts: g.relay.smtpTimeouts }),
  })
  const kick = () => dispatcher.kick()
  let draining: Promise<void> | undefined

  let ingress: Ingress | undefined
  if (g.config.ingress) {
    ingress = await startIngress<DeviceRow>({
      config: g.config.ingress,
      dataDir: g.config.dataDir,
      log: g.log,
      authenticate: ({ username, password }) => authenticateSmtp(g.store.db, username, password, g.now()),
      allowUnauthenticated: (address) => deviceForAddress(g.store.db, address, g.now()),
      accept: async ({ device, envelope, bytes }) => ({ id: await queueFromDevice(g, device, envelope, bytes, kick) }),
    })
  }

  const adminRoutes = () => {
    const api = new Hono<RelayEnv>()
    api.post('/devices', jsonBody(DeviceCreate), async (c) => {
      const input = c.req.valid('json')
      const bad = input.allowIps ? badAllowEntry(input.allowIps) : undefined
      if (bad) throw new ApiError('INVALID_REQUEST', bad, { path: 'allowIps' })
      if (!(await readMailbox(g, input.mailboxId))) {
        throw new ApiError('INVALID_REQUEST', 'No gateway mailbox has this id.', { path: 'mailboxId', hint: 'Create the mailbox first (GET /api/admin/mailboxes lists them).' })
      }
      const { row, credentials } = await createDevice(g.store.db, g.now(), input)
      g.log({ level: 'info', event: 'gateway.device_created', deviceId: row.id, smtpAuth: !!credentials.username, apiKey: !!credentials.apiKey, allowIps: input.allowIps?.length ?? 0 })
      const body: DeviceCreated = { ok: true, device: toDeviceItem(row), credentials }
      return c.json(body, 201)
    })
    api.get('/devices', async (c) => c.json({ ok: true as const, devices: (await listDevices(g.store.db)).map(toDeviceItem) }))
    api.get('/devices/:id', async (c) => {
      const row = await getDevice(g.store.db, c.req.param('id'))
      if (!row) throw notFound('This device')
      return c.json({ ok: true as const, device: toDeviceItem(row) })
    })
    api.delete('/devices/:id', async (c) => {
      if (!(await deleteDevice(g.store.db, c.req.param('id')))) throw notFound('This device')
      return c.json({ ok: true as const })
    })
    api.get('/queue', async (c) => {
      const q = QueueQuery.safeParse({ state: c.req.query('state') || undefined, since: c.req.query('since') || undefined })
      if (!q.success) {
        const path = String(q.error.issues[0]?.path[0] ?? 'state')
        throw new ApiError('INVALID_REQUEST', path === 'since' ? 'since must be an ISO 8601 date-time.' : 'state must be one of queued, sending, sent, retrying, failed.', { path })
      }
      const now = g.now()
      const since = q.data.since ? Date.parse(q.data.since) : now - 24 * 60 * 60_000
      const body: QueueList = {
        ok: true,
        messages: (await listMessages(g.store.db, q.data.state)).map(toQueueItem),
        counts: await countsByMailbox(g.store.db, since, now),
        limits: { recipientsPerDay: RECIPIENTS_PER_DAY, messagesPerMinute: g.config.mailboxRate },
      }
      return c.json(body)
    })
    api.post('/queue/:id/retry', async (c) => {
      const row = await retryNow(g.store.db, c.req.param('id'), g.now())
      if (!row) {
        if (await getMessage(g.store.db, c.req.param('id'))) throw new ApiError('CONFLICT', 'This message is being sent or was sent already.')
        throw notFound('This message')
      }
      kick()
      return c.json({ ok: true as const, message: toQueueItem(row) })
    })
    api.delete('/queue/:id', async (c) => {
      const r = await removeMessage(g.store.db, c.req.param('id'))
      if (r === 'missing') throw notFound('This message')
      if (r === 'sending') throw new ApiError('CONFLICT', 'This message is being sent right now; try again in a moment.')
      return c.json({ ok: true as const })
    })
    api.get('/ingress', (c) =>
      c.json(ingress ? ingress.info() : { ok: true as const, listeners: [], certificateSha256: null }),
    )
    return api
  }

  const deviceOf = async (c: Context<RelayEnv>): Promise<DeviceRow> => {
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')
    const device = m ? await authenticateApiKey(g.store.db, m[1]!, g.now()) : null
    if (!device) {
      throw new ApiError('UNAUTHORIZED', 'A valid device API key is required.', {
        hint: 'Send Authorization: Bearer <API key> (the key shown once when the device was created on the gateway page).',
      })
    }
    return device
  }

  const v1Routes = () => {
    const api = new Hono<RelayEnv>()
    api.post('/messages', jsonBody(V1MessageRequest), async (c) => {
      const device = await deviceOf(c)
      const { message } = c.req.valid('json')
      const mailbox = await readMailbox(g, device.mailbox_id)
      if (!mailbox) throw new ApiError('CONFLICT', 'This device\'s gateway mailbox no longer exists.')
      const built = await buildMessage(message)
      let raw = built.raw
      let envelopeFrom = built.envelope.from
      if (device.from_policy === 'mailbox') {
        const r = asMailbox(built.raw, mailbox.address, device.name)
        raw = r.raw
        envelopeFrom = r.envelopeFrom
      }
      if (raw.byteLength > Math.min(g.config.maxMessageBytes, 35 * 1024 * 1024)) {
        throw new ApiError('PAYLOAD_TOO_LARGE', `The message is larger than this relay's limit of ${g.config.maxMessageBytes} bytes.`)
      }
      const { headerFrom, subject } = summarize(raw)
      const id = await enqueue(g.store.db, g.now(), {
        deviceId: device.id,
        mailboxId: mailbox.id,
        origin: 'device',
        envelope: { from: envelopeFrom, to: built.envelope.to },
        raw,
        headerFrom,
        subject,
        eightBit: built.eightBit,
      })
      kick()
      const body: V1MessageAnswer = { ok: true, id, state: 'queued' }
      return c.json(body, 202)
    })
    api.get('/messages/:id', async (c) => {
      const device = await deviceOf(c)
      const row = await getMessage(g.store.db, c.req.param('id'))
      if (!row || row.device_id !== device.id) throw notFound('This message')
      const item = toQueueItem(row)
      return c.json({ ok: true as const, id: item.id, state: item.state, ...(item.lastReply && { lastReply: item.lastReply }), ...(item.sentAt && { sentAt: item.sentAt }), attempts: item.attempts })
    })
    return api
  }

  const drain = (graceMs?: number) => {
    draining ??= Promise.all([
      ingress?.close(),
      // Within the relay's shutdown grace, leaving time to give back what is still in flight.
      dispatcher.stop(graceMs ?? Math.max(1000, g.config.shutdownGraceMs - 5000)),
    ]).then(() => undefined)
    return draining
  }

  return {
    adminRoutes,
    v1Routes,
    ...(ingress && { ingress }),
    dispatcher,
    drain,
    async close() {
      await drain()
      // The relay's pool is the relay's to close (after /api/send's last message).
      if (!shared) await pool.close()
    },
  }
}

