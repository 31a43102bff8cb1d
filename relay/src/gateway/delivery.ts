/**
 * Delivery: each instance runs one dispatcher that hands due messages to **lanes**, one lane
 * per connection slot it holds for a mailbox (at most three per mailbox across every instance,
 * `queue.ts` `acquireSlot`). A lane claims one message at a time, counts it against the
 * mailbox's per-minute budget, sends it with our engine over the pool's authenticated
 * connection (reused across the lane's messages, RSET between), records the outcome, and gives
 * its slot back when nothing is due.
 *
 * What an outcome means follows the engine's SMTP facts (`SmtpError.transient`,
 * `maybeAccepted`), never HTTP codes:
 * - accepted → `sent`;
 * - transient (4yz, 421, 432 4.3.2, connection and TLS failures) → `retrying` with backoff
 *   (30 s, 1, 2, 5, 10, 30 min, then hourly) until `RELAY_QUEUE_MAX_AGE`, then `failed`;
 * - permanent (5yz) → `failed` at once, with a failure notice (RFC 3464) to the mailbox;
 * - the reply lost after the final dot → retried once, marked "possible duplicate";
 * - an authentication refusal or a mailbox not `ready` → the message is held (not counted) and
 *   waits for the mailbox to be re-authorised.
 *
 * @module
 */
import type { RelayConfig } from '../config.ts'
import { toApiError, errorBody } from '../http/errors.ts'
import type { LogFn } from '../http/log.ts'
import { isSmtpError } from '../http/smtp-errors.ts'
import { allowSmtpTarget, type ResolveHost } from '../http/targets.ts'
import { formatReply, type SmtpError } from '../smtp/errors.ts'
import type { Pool, SendOptions, SendResult, Security, Timeouts } from '../smtp/index.ts'
import {
  acquireSlot,
  claimNext,
  dueMailboxes,
  finish,
  type MessageRow,
  loadBody,
  nextDueAt,
  reclaimExpired,
  releaseOwned,
  releaseSlot,
  renewClaim,
  renewSlot,
  retryDelay,
  returnRate,
  takeRate,
} from './queue.ts'
import type { GatewayDatabase } from './schema.ts'
import type { StoreKind } from './store.ts'
import type { Kysely } from 'kysely'

/** A mailbox ready to send: its address, server and a valid access token. */
export interface ReadySender {
  ok: true
  address: string
  smtp: { host: string; port: number; security: Security }
  /** The XOAUTH2 user (the mailbox address, for app-only and delegated alike). */
  user: string
  accessToken: string
}

export type SenderLookup = ReadySender | { ok: false; reason: 'missing' | 'not-ready' }

/** What delivery needs of the mailboxes (gateway/mailboxes.ts and tokens.ts provide it). */
export interface MailboxSenders {
  senderFor(mailboxId: string): Promise<SenderLookup>
  /** The server refused the token at AUTH (`535 5.7.3` …): the mailbox decides what it means. */
  authRefused?(mailboxId: string, err: Error): Promise<void>
}

export interface FailureNotice {
  /** Queues an RFC 3464 notice about `message` to its mailbox (never about a notice). */
  (message: MessageRow, reason: { reply?: string; error: unknown }): Promise<void>
}

export interface DeliveryOptions {
  db: Kysely<GatewayDatabase>
  kind: StoreKind
  instanceId: string
  config: Pick<RelayConfig, 'smtpHosts' | 'plaintextHosts' | 'ca'>
  resolveHost: ResolveHost
  sendMail(opts: SendOptions): Promise<SendResult>
  pool: Pool
  senders: MailboxSenders
  notice?: FailureNotice
  log: LogFn
  now?: () => number
  /** Messages per minute per mailbox (RELAY_MAILBOX_RATE). */
  ratePerMinute: number
  /** How long a message may wait before it fails (RELAY_QUEUE_MAX_AGE, ms). */
  maxAgeMs: number
  /**
   * A claim's lease (RELAY_QUEUE_LEASE, default 2 min), renewed every third of it while the
   * message is being sent: a claimed message of an instance that died is taken again by
   * another (or the restarted) instance once its lease has run out.
   */
  leaseMs?: number
  /** A connection slot's lease, renewed likewise (default: the claim's lease). */
  slotMs?: number
  /** How often the dispatcher looks for due messages without being kicked (default 1 s). */
  pollMs?: number
  smtpTimeouts?: Partial<Timeouts>
  /** Connection slots per mailbox across all instances (Microsoft: 3). */
  maxPerMailbox?: number
}

export interface Dispatcher {
  /** Look for due messages now (after an enqueue). */
  kick(): void
  /** Stops claiming; lets lanes finish the message in hand (at most `graceMs`), frees slots. */
  stop(graceMs?: number): Promise<void>
  /** Lanes working right now, for tests and the page. */
  readonly lanes: number
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })

export const DEFAULT_LEASE_MS = 2 * 60_000

export function startDelivery(o: DeliveryOptions): Dispatcher {
  const now = o.now ?? Date.now
  const leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS
  const slotMs = o.slotMs ?? leaseMs
  const pollMs = o.pollMs ?? 1_000
  const maxPerMailbox = o.maxPerMailbox ?? 3
  const stopping = new AbortController()
  /** Lanes of this instance per mailbox. */
  const lanes = new Map<string, Set<Promise<void>>>()
  let kicked: (() => void) | undefined
  let running = 0

  const laneCount = (mailboxId: string) => lanes.get(mailboxId)?.size ?? 0

  async function tick(): Promise<void> {
    await reclaimExpired(o.db, now())
    for (const mailboxId of await dueMailboxes(o.db, now())) {
      while (!stopping.signal.aborted && laneCount(mailboxId) < maxPerMailbox) {
        const slot = await acquireSlot(o.db, mailboxId, o.instanceId, now(), slotMs, maxPerMailbox)
        if (slot === undefined) break
        startLane(mailboxId, slot)
        // One lane per tick and mailbox: the next opens only if this one finds more than it can take.
        break
      }
    }
  }

  function startLane(mailboxId: string, slot: number): void {
    const set = lanes.get(mailboxId) ?? new Set()
    lanes.set(mailboxId, set)
    running++
    /** The server and user the lane's connection went to, to end it with the slot. */
    const used: { host?: string; user?: string } = {}
    const lane = runLane(mailboxId, slot, used)
      .catch((err: unknown) => {
        o.log({ level: 'error', event: 'delivery-lane', mailboxId, error: String((err as Error)?.message ?? err).slice(0, 300) })
      })
      .finally(async () => {
        set.delete(lane)
        running--
        // The lane's connection waits idle in the pool; it must not outlive the slot (another
        // instance may take the slot and open its own): keep as many of the mailbox's
        // connections as this instance still has lanes, end the rest, then give the slot back.
        if (used.host !== undefined && used.user !== undefined) {
          await o.pool.trim(used.host, used.user, set.size).catch(() => undefined)
        }
        await releaseSlot(o.db, mailboxId, slot, o.instanceId).catch(() => undefined)
      })
    set.add(lane)
  }

  async function runLane(mailboxId: string, slot: number, used: { host?: string; user?: string }): Promise<void> {
    while (!stopping.signal.aborted) {
      if (!(await renewSlot(o.db, mailboxId, slot, o.instanceId, now() + slotMs))) return
      const sender = await o.senders.senderFor(mailboxId)
      // A mailbox that is not ready holds its messages: they wait, they do not fail.
      if (!sender.ok) return
      const wait = await takeRate(o.db, mailboxId, now(), o.ratePerMinute)
      if (wait > 0) {
        await sleep(Math.min(wait, slotMs / 2), stopping.signal)
        continue
      }
      const message = await claimNext(o.db, o.kind, mailboxId, o.instanceId, now(), leaseMs)
      if (!message) {
        await returnRate(o.db, mailboxId, now())
        return
      }
      // More than this lane can take alone: let the dispatcher open another slot.
      kicked?.()
      used.host = sender.smtp.host
      used.user = sender.user
      // The claim and the slot stay this instance's while the message is in flight, however
      // long the server takes (a 35 MB scan on a slow line).
      const heartbeat = setInterval(() => {
        const until = now() + leaseMs
        void renewClaim(o.db, message.id, o.instanceId, until).catch(() => undefined)
        void renewSlot(o.db, mailboxId, slot, o.instanceId, now() + slotMs).catch(() => undefined)
      }, Math.max(1000, Math.floor(Math.min(leaseMs, slotMs) / 3)))
      try {
        await deliver(message, sender)
      } finally {
        clearInterval(heartbeat)
      }
    }
  }

  async function deliver(m: MessageRow, sender: ReadySender): Promise<void> {
    const raw = await loadBody(o.db, m.id, o.kind)
    if (!raw) {
      await finish(o.db, m.id, o.instanceId, now(), { state: 'failed', reply: 'message bytes missing' })
      return
    }
    const envelope = { from: m.mail_from, to: JSON.parse(m.rcpt_to) as string[] }
    try {
      const target = allowSmtpTarget(o.config as RelayConfig, sender.smtp, o.resolveHost)
      const result = await o.sendMail({
        host: sender.smtp.host,
        port: sender.smtp.port,
        security: sender.smtp.security,
        // Resolved only to open a connection: a message on a pooled one looks nothing up.
        resolveAddress: async () => (await target.resolve())[0] as string,
        ...(o.config.ca.length > 0 && { ca: o.config.ca }),
        auth: { type: 'xoauth2', user: sender.user, accessToken: sender.accessToken },
        allowPlaintextAuth: target.allowPlaintextAuth,
        envelope,
        message: raw,
        eightBit: m.eight_bit === 1,
        pool: o.pool,
        ...(o.smtpTimeouts && { timeouts: o.smtpTimeouts }),
      })
      await finish(o.db, m.id, o.instanceId, now(), {
        state: 'sent',
        reply: result.response,
        transcript: result.transcript,
      })
      o.log({ level: 'info', event: 'delivered', id: m.id, mailboxId: m.mailbox_id, attempts: m.attempts, reply: result.response.slice(0, 200) })
    } catch (err) {
      await failed(m, err)
    }
  }

  async function failed(m: MessageRow, err: unknown): Promise<void> {
    const api = errorBody(toApiError(err))
    const reply = isSmtpError(err) && err.reply ? formatReply(err.reply) : api.error.message
    const transcript = isSmtpError(err) ? (err as SmtpError).transcript : undefined
    const at = now()
    const tooOld = at - m.created_at >= o.maxAgeMs
    // AUTH refused: the token is the mailbox's problem, not the message's. Held, not counted.
    if (isSmtpError(err) && err.stage === 'auth' && err.kind === 'reply') {
      await o.senders.authRefused?.(m.mailbox_id, err)
      await returnRate(o.db, m.mailbox_id, at)
      await finish(o.db, m.id, o.instanceId, at, {
        state: 'retrying',
        reply,
        error: api.error,
        nextAttemptAt: at + retryDelay(1),
        held: true,
      })
      o.log({ level: 'warn', event: 'delivery-held', id: m.id, mailboxId: m.mailbox_id, reply: reply.slice(0, 200) })
      return
    }
    const lostAfterDot = isSmtpError(err) && err.maybeAccepted
    const transient = isSmtpError(err) ? err.transient || lostAfterDot : api.error.code === 'CONNECTION_FAILED'
    // RFC 5321 §6.1: the reply to the final dot was lost; try once more, and say it may be twice.
    const retry = lostAfterDot ? m.possible_duplicate === 0 : transient && !tooOld
    if (retry) {
      await finish(o.db, m.id, o.instanceId, at, {
        state: 'retrying',
        reply,
        error: api.error,
        ...(transcript && { transcript }),
        nextAttemptAt: at + retryDelay(m.attempts),
        ...(lostAfterDot && { possibleDuplicate: true }),
      })
      o.log({ level: 'warn', event: 'delivery-retry', id: m.id, mailboxId: m.mailbox_id, attempts: m.attempts, reply: reply.slice(0, 200), possibleDuplicate: lostAfterDot || undefined })
      return
    }
    const recorded = await finish(o.db, m.id, o.instanceId, at, {
      state: 'failed',
      reply,
      error: api.error,
      ...(transcript && { transcript }),
    })
    o.log({ level: 'warn', event: 'delivery-failed', id: m.id, mailboxId: m.mailbox_id, attempts: m.attempts, reply: reply.slice(0, 200), expired: tooOld || undefined })
    if (recorded && m.origin !== 'dsn') await o.notice?.(m, { reply, error: api.error }).catch(() => undefined)
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await tick()
      } catch (err) {
        o.log({ level: 'error', event: 'delivery-tick', error: String((err as Error)?.message ?? err).slice(0, 300) })
      }
      const due = await nextDueAt(o.db).catch(() => undefined)
      const wait = due === undefined ? pollMs : Math.max(50, Math.min(pollMs, due - now()))
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait)
        kicked = () => (clearTimeout(t), resolve())
        stopping.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
      })
      kicked = undefined
    }
  })()

  return {
    kick: () => kicked?.(),
    get lanes() {
      return running
    },
    async stop(graceMs = 20_000) {
      stopping.abort()
      await loop
      const all = [...lanes.values()].flatMap((s) => [...s])
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([Promise.allSettled(all), new Promise((r) => (timer = setTimeout(r, graceMs)))])
      clearTimeout(timer)
      // What is still in hand goes back to the queue at once rather than after its lease,
      // marked "possible duplicate": its send may yet complete before the process ends.
      await releaseOwned(o.db, o.instanceId, now()).catch(() => undefined)
    },
  }
}

