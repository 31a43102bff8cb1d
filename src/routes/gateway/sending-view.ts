/**
 * What the gateway page shows of devices, the queue and the counters, computed without the DOM:
 * the values an MFD's panel needs, the queue split into what waits and what is done, which
 * actions a message allows, the counters against Microsoft's limits, how often to read the queue
 * again, and the device form turned into the contract's request. Pure, so it is tested in node.
 *
 * @module
 */
import {
  DeviceCreate,
  type DeviceItem,
  type IngressListener,
  type QueueCounts,
  type QueueItem,
  type QueueLimits,
  type QueueState,
} from '$lib/contract/gateway.ts'

/** Addresses a listener binds to that a device cannot connect to as written. */
const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]', '::0', '*'])

/**
 * The host a device types in: the listener's own address, or, for a wildcard listener
 * (`0.0.0.0`, `::`), the name this page was reached by, which the admin should check is the
 * relay's LAN name or address (`guessed`).
 */
export function panelHost(listenerHost: string, pageHost: string): { host: string; guessed: boolean } {
  if (WILDCARDS.has(listenerHost.trim())) return { host: pageHost, guessed: true }
  return { host: listenerHost.replace(/^\[(.*)\]$/, '$1'), guessed: false }
}

/** A loopback address: only the relay's own machine reaches it, no device on the LAN. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h)
}

const SECURITY_ORDER: Record<IngressListener['security'], number> = { starttls: 0, tls: 1, none: 2 }

/** The listeners a device should use, the recommended one first (STARTTLS, then TLS, then none). */
export function orderListeners(listeners: readonly IngressListener[]): IngressListener[] {
  return [...listeners].sort((a, b) => SECURITY_ORDER[a.security] - SECURITY_ORDER[b.security] || a.port - b.port)
}

/** One listener as a device's panel asks for it. */
export interface PanelTarget {
  host: string
  /** The host is the page's own name, standing in for a wildcard listener. */
  guessed: boolean
  /** The listener is on a loopback address: a device on the LAN cannot reach it. */
  loopback: boolean
  port: number
  security: IngressListener['security']
}

/** What to type into a device's panel, per listener, with the device's own credentials. */
export interface PanelValues {
  targets: PanelTarget[]
  /** SMTP AUTH on (username + password) or off (the device is let in by its address). */
  smtpAuth: boolean
  username: string | null
  /** Only right after the device was created; null afterwards (never shown again). */
  password: string | null
  /** The sender address to set on the device. */
  from: string
  allowIps: string[]
}

export function panelValues(
  device: DeviceItem,
  listeners: readonly IngressListener[],
  pageHost: string,
  mailboxAddress: string,
  password?: string,
): PanelValues {
  return {
    targets: orderListeners(listeners).map((l) => {
      const { host, guessed } = panelHost(l.host, pageHost)
      return { host, guessed, loopback: !guessed && isLoopback(host), port: l.port, security: l.security }
    }),
    smtpAuth: device.username !== null,
    username: device.username,
    password: password ?? null,
    from: mailboxAddress,
    allowIps: device.allowIps,
  }
}

/** The page's address for scripts: `POST <origin>/api/v1/messages` with the device's key. */
export function scriptExample(origin: string, from: string): string {
  const body = JSON.stringify({ message: { from, to: [from], subject: 'Report', text: 'Hello from a script' } })
  return `curl -X POST ${origin}/api/v1/messages \\\n  -H "Authorization: Bearer $MAILKEY_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '${body}'`
}

// ---------------------------------------------------------------- the queue

const WAITING: readonly QueueState[] = ['queued', 'sending', 'retrying']

export const isWaiting = (m: Pick<QueueItem, 'state'>): boolean => WAITING.includes(m.state)

/** The queue (still to be delivered, oldest first) and the delivery log (sent or failed, newest first). */
export function splitQueue(messages: readonly QueueItem[]): { waiting: QueueItem[]; log: QueueItem[] } {
  const byCreated = (a: QueueItem, b: QueueItem) => Date.parse(a.createdAt) - Date.parse(b.createdAt)
  const done = (m: QueueItem) => Date.parse(m.sentAt ?? m.createdAt)
  return {
    waiting: messages.filter(isWaiting).sort(byCreated),
    log: messages.filter((m) => !isWaiting(m)).sort((a, b) => done(b) - done(a)),
  }
}

/** [再送]: what failed or waits (the relay refuses a message being sent or sent already). */
export const canRetry = (m: Pick<QueueItem, 'state'>): boolean =>
  m.state === 'failed' || m.state === 'retrying' || m.state === 'queued'

/** Delete: anything not being sent at this moment. */
export const canDelete = (m: Pick<QueueItem, 'state'>): boolean => m.state !== 'sending'

/** A message whose failure the diagnosis explains: failed, or waiting after a failed attempt. */
export const showsDiagnosis = (m: Pick<QueueItem, 'state' | 'lastError'>): boolean =>
  !!m.lastError && (m.state === 'failed' || m.state === 'retrying')

/** Read the queue again this soon while something is on its way, this soon otherwise. */
export const POLL_BUSY_MS = 3_000
export const POLL_IDLE_MS = 10_000

/** How long until the next read: short while messages wait, long when all is done. */
export function pollDelay(messages: readonly Pick<QueueItem, 'state'>[]): number {
  return messages.some(isWaiting) ? POLL_BUSY_MS : POLL_IDLE_MS
}

/** The local midnight before `now` as ISO 8601 (where "sent today" starts). */
export function startOfDay(now: number): string {
  const d = new Date(now)
  d.setHours(0, 0, 0, 0)
  return d.toISOString()
}

/** `1.2 MB`, `300 KB`, `512 B` (decimal units, as mail clients show sizes). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`
  return `${(bytes / 1_000_000).toFixed(1)} MB`
}

// ---------------------------------------------------------------- counters

/** Microsoft's figures when the relay did not say (M365-FACTS.md §4.3). */
export const DEFAULT_LIMITS: QueueLimits = { recipientsPerDay: 10_000, messagesPerMinute: 30 }

/** Warn from this share of a limit. */
export const NEAR_LIMIT = 0.8

export interface Usage {
  used: number
  limit: number
  /** 0–100, rounded down; more than 100 when over. */
  percent: number
  level: 'ok' | 'near' | 'over'
}

export function usage(used: number, limit: number): Usage {
  const share = limit > 0 ? used / limit : 0
  return {
    used,
    limit,
    percent: Math.floor(share * 100),
    level: share >= 1 ? 'over' : share >= NEAR_LIMIT ? 'near' : 'ok',
  }
}

export const NO_COUNTS: QueueCounts = { sentToday: 0, waiting: 0, failed: 0, recipients24h: 0, lastMinute: 0 }

/** A mailbox's counters and its use of the two limits. */
export function mailboxCounters(counts: QueueCounts | undefined, limits: QueueLimits | undefined) {
  const c = counts ?? NO_COUNTS
  const l = limits ?? DEFAULT_LIMITS
  return {
    ...c,
    recipients: usage(c.recipients24h, l.recipientsPerDay),
    perMinute: usage(c.lastMinute, l.messagesPerMinute),
  }
}

// ---------------------------------------------------------------- the device form

export interface DeviceForm {
  name: string
  mailboxId: string
  smtpAuth: boolean
  useAllowIps: boolean
  /** Addresses or CIDR ranges, one a line (commas and spaces also separate). */
  allowIps: string
  apiKey: boolean
  fromPolicy: 'mailbox' | 'keep'
}

export const emptyDeviceForm = (mailboxId = ''): DeviceForm => ({
  name: '',
  mailboxId,
  smtpAuth: true,
  useAllowIps: false,
  allowIps: '',
  apiKey: false,
  fromPolicy: 'mailbox',
})

export function parseAllowList(text: string): string[] {
  return text
    .split(/[\s,、]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Which field a problem is about, for the form: `name`, `mailboxId`, `allowIps`, `methods`. */
export type DeviceField = 'name' | 'mailboxId' | 'allowIps' | 'methods'

/** The request, or the fields that are wrong (the contract's schema decides). */
export function toDeviceCreate(f: DeviceForm): { ok: true; body: DeviceCreate } | { ok: false; fields: DeviceField[] } {
  const ips = f.useAllowIps ? parseAllowList(f.allowIps) : []
  const body = {
    name: f.name.trim(),
    mailboxId: f.mailboxId,
    ...(f.smtpAuth && { smtpAuth: true as const }),
    ...(ips.length > 0 && { allowIps: ips }),
    ...(f.apiKey && { apiKey: true as const }),
    fromPolicy: f.fromPolicy,
  }
  const parsed = DeviceCreate.safeParse(body)
  const fields = new Set<DeviceField>()
  if (f.useAllowIps && ips.length === 0) fields.add('allowIps')
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const head = String(issue.path[0] ?? '')
      if (head === 'name' || head === 'mailboxId' || head === 'allowIps') fields.add(head)
      else fields.add('methods')
    }
  }
  if (!parsed.success || fields.size) return { ok: false, fields: [...fields] }
  return { ok: true, body: parsed.data }
}
