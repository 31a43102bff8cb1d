/**
 * The durable queue: one row per accepted message (envelope, device, mailbox, state, attempts)
 * and its bytes beside it, committed before a device hears `250` or a script `202`.
 *
 * Claiming is safe across instances without a queue library: a claim is one
 * `UPDATE … WHERE id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING …` on PostgreSQL
 * (each instance skips the rows another is taking, no waiting, no double claim), and the same
 * statement without the locking clause on SQLite, where one writer at a time makes it atomic.
 * A claim is a lease (owner + until): a claimed message of an instance that died is taken again
 * once its lease has run out. The maintained queue libraries we looked at are PostgreSQL-only
 * (pg-boss, graphile-worker) or Redis-based (BullMQ); none runs on both stores.
 *
 * The cross-instance limits live here too: at most three connection slots per mailbox (Microsoft
 * refuses a fourth concurrent submission) and a per-minute window of messages per mailbox.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { Buffer } from 'node:buffer'
import { type Kysely, sql } from 'kysely'
import type { QueueCounts, QueueItem, QueueState } from '../../../src/lib/contract/gateway.ts'
import type { GatewayDatabase, MessagesTable } from './schema.ts'
import type { StoreKind } from './store.ts'

type Db = Kysely<GatewayDatabase>

/** Retry delays (RFC 5321 §4.5.4.1 asks for at least 30 min in general; Microsoft's 4xx pass sooner). */
export const RETRY_DELAYS_MS = [30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000]
export const RETRY_LATER_MS = 3_600_000

/** The delay before attempt `attempts + 1` after `attempts` failed ones. */
export function retryDelay(attempts: number): number {
  return RETRY_DELAYS_MS[attempts - 1] ?? RETRY_LATER_MS
}

export interface EnqueueInput {
  deviceId: string | null
  mailboxId: string
  origin: 'device' | 'dsn'
  envelope: { from: string; to: string[] }
  raw: Uint8Array
  headerFrom: string
  subject: string
  eightBit: boolean
}

/** Commits the message (row and bytes in one transaction) and returns its id. */
export async function enqueue(db: Db, now: number, m: EnqueueInput): Promise<string> {
  const id = randomUUID()
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('messages')
      .values({
        id,
        device_id: m.deviceId,
        mailbox_id: m.mailboxId,
        origin: m.origin,
        mail_from: m.envelope.from,
        rcpt_to: JSON.stringify(m.envelope.to),
        header_from: m.headerFrom.slice(0, 998),
        subject: m.subject.slice(0, 998),
        size: m.raw.byteLength,
        state: 'queued',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        last_reply: null,
        last_error: null,
        possible_duplicate: 0,
        eight_bit: m.eightBit ? 1 : 0,
        created_at: now,
        updated_at: now,
        sent_at: null,
      })
      .execute()
    await trx.insertInto('message_bodies').values({ message_id: id, raw: m.raw }).execute()
  })
  return id
}

export type MessageRow = MessagesTable

/**
 * Claims the oldest due message of `mailboxId` for `owner` until `now + leaseMs`, counting the
 * attempt; undefined when none is due.
 */
export async function claimNext(
  db: Db,
  kind: StoreKind,
  mailboxId: string,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<MessageRow | undefined> {
  let pick = db
    .selectFrom('messages')
    .select('id')
    .where('mailbox_id', '=', mailboxId)
    .where('state', 'in', ['queued', 'retrying'])
    .where('next_attempt_at', '<=', now)
    .orderBy('created_at')
    .limit(1)
  if (kind === 'postgres') pick = pick.forUpdate().skipLocked()
  return await db
    .updateTable('messages')
    .set((eb) => ({
      state: 'sending',
      lease_owner: owner,
      lease_until: now + leaseMs,
      attempts: eb('attempts', '+', 1),
      updated_at: now,
    }))
    .where('id', '=', pick)
    .returningAll()
    .executeTakeFirst()
}

/**
 * The message's bytes. On Deno's `node:sqlite` a blob comes back in memory V8 is not told about:
 * it is freed only by a full collection, which a small heap seldom needs, so every delivered scan
 * stayed in the process (200 scans of 300 KB: 126 → 252 MB, the heap at 32 MB). There the bytes
 * are read as `hex(raw)`, a string on V8's heap, and decoded into a Buffer, both counted by V8 and
 * collected as usual. `kind` names the store; Node and PostgreSQL read the blob itself.
 */
export async function loadBody(db: Db, id: string, kind?: StoreKind): Promise<Uint8Array | undefined> {
  if (kind === 'sqlite' && isDeno()) {
    const hex = await db
      .selectFrom('message_bodies')
      .select(sql<string>`hex(raw)`.as('hex'))
      .where('message_id', '=', id)
      .executeTakeFirst()
    return hex ? Buffer.from(hex.hex, 'hex') : undefined
  }
  const row = await db.selectFrom('message_bodies').select('raw').where('message_id', '=', id).executeTakeFirst()
  // The driver's own bytes (better-sqlite3 and pg: a Buffer), not a copy.
  if (!row) return undefined
  return row.raw instanceof Uint8Array ? row.raw : new Uint8Array(row.raw)
}

const isDeno = () => typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined'

export interface Outcome {
  state: 'sent' | 'retrying' | 'failed' | 'queued'
  reply?: string
  /** The contract's error object (no secrets), for the page's diagnosis. */
  error?: unknown
  transcript?: unknown[]
  nextAttemptAt?: number
  possibleDuplicate?: boolean
  /** `held`: given back without counting the attempt (the mailbox is not ready). */
  held?: boolean
}

/**
 * Records an attempt's outcome for a message this owner still leases (a lease that ran out and
 * was taken by another instance is not overwritten: false then).
 */
export async function finish(db: Db, id: string, owner: string, now: number, o: Outcome): Promise<boolean> {
  return await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('messages')
      .set((eb) => ({
        state: o.state,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
        ...(o.reply !== undefined && { last_reply: o.reply.slice(0, 1000) }),
        ...(o.error !== undefined && { last_error: JSON.stringify(o.error) }),
        ...(o.state === 'sent' && { sent_at: now, last_error: null }),
        ...(o.nextAttemptAt !== undefined && { next_attempt_at: o.nextAttemptAt }),
        ...(o.possibleDuplicate && { possible_duplicate: 1 }),
        ...(o.held && { attempts: eb('attempts', '-', 1) }),
      }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .returning(['attempts'])
      .executeTakeFirst()
    if (!row) return false
    if (!o.held) {
      await trx
        .insertInto('attempts')
        .values({
          id: randomUUID(),
          message_id: id,
          n: row.attempts,
          at: now,
          outcome: o.state === 'queued' ? 'retry' : o.state === 'retrying' ? 'retry' : o.state,
          reply: o.reply?.slice(0, 1000) ?? null,
          transcript: o.transcript ? JSON.stringify(o.transcript) : null,
        })
        .execute()
    }
    return true
  })
}

/** Messages whose lease ran out (their instance died or hung) go back to the queue. */
export async function reclaimExpired(db: Db, now: number): Promise<number> {
  const rows = await db
    .updateTable('messages')
    .set({ state: 'retrying', lease_owner: null, lease_until: null, next_attempt_at: now, updated_at: now })
    .where('state', '=', 'sending')
    .where('lease_until', '<', now)
    .returning('id')
    .execute()
  return rows.length
}

/** Extends the lease of a message this owner is sending; false when it is no longer its. */
export async function renewClaim(db: Db, id: string, owner: string, until: number): Promise<boolean> {
  const r = await db
    .updateTable('messages')
    .set({ lease_until: until })
    .where('id', '=', id)
    .where('state', '=', 'sending')
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

/**
 * On shutdown, after the lanes had their grace: this instance's claims still in flight go back
 * to the queue without waiting for their lease, marked "possible duplicate" (the send may
 * still complete before the process ends, and the message then goes again).
 */
export async function releaseOwned(db: Db, owner: string, now: number): Promise<number> {
  const rows = await db
    .updateTable('messages')
    .set({ state: 'retrying', lease_owner: null, lease_until: null, next_attempt_at: now, updated_at: now, possible_duplicate: 1 })
    .where('state', '=', 'sending')
    .where('lease_owner', '=', owner)
    .returning('id')
    .execute()
  return rows.length
}

/** Mailboxes with at least one message due now. */
export async function dueMailboxes(db: Db, now: number): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select('mailbox_id')
    .distinct()
    .where('state', 'in', ['queued', 'retrying'])
    .where('next_attempt_at', '<=', now)
    .execute()
  return rows.map((r) => r.mailbox_id)
}

/** The earliest future attempt, so the dispatcher can sleep until then. */
export async function nextDueAt(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('state', 'in', ['queued', 'retrying'])
    .executeTakeFirst()
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at)
}

const iso = (ms: number) => new Date(ms).toISOString()

export function toQueueItem(r: MessageRow): QueueItem {
  return {
    id: r.id,
    deviceId: r.device_id,
    mailboxId: r.mailbox_id,
    from: r.header_from || r.mail_from,
    to: JSON.parse(r.rcpt_to) as string[],
    subject: r.subject,
    size: r.size,
    state: r.state as QueueState,
    attempts: r.attempts,
    createdAt: iso(r.created_at),
    ...(r.sent_at !== null && { sentAt: iso(r.sent_at) }),
    ...(r.last_reply !== null && { lastReply: r.last_reply }),
    ...(r.last_error !== null && { lastError: JSON.parse(r.last_error) as QueueItem['lastError'] }),
    ...(r.possible_duplicate === 1 && { possibleDuplicate: true }),
    ...((r.state === 'queued' || r.state === 'retrying') && { nextAttemptAt: iso(r.next_attempt_at) }),
  }
}

export async function listMessages(db: Db, state?: QueueState, limit = 500): Promise<MessageRow[]> {
  let q = db.selectFrom('messages').selectAll().orderBy('created_at', 'desc').limit(limit)
  if (state) q = q.where('state', '=', state)
  return await q.execute()
}

export async function getMessage(db: Db, id: string): Promise<MessageRow | undefined> {
  return await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst()
}

/** [再送]: a failed or waiting message is due now (a message being sent is left alone). */
export async function retryNow(db: Db, id: string, now: number): Promise<MessageRow | undefined> {
  return await db
    .updateTable('messages')
    .set({ state: 'queued', next_attempt_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', 'in', ['failed', 'retrying', 'queued'])
    .returningAll()
    .executeTakeFirst()
}

/** Deletes a message that is not being sent right now; false when none (or it is in flight). */
export async function removeMessage(db: Db, id: string): Promise<'deleted' | 'sending' | 'missing'> {
  return await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('messages').select('state').where('id', '=', id).executeTakeFirst()
    if (!row) return 'missing'
    if (row.state === 'sending') return 'sending'
    await trx.deleteFrom('message_bodies').where('message_id', '=', id).execute()
    await trx.deleteFrom('attempts').where('message_id', '=', id).execute()
    await trx.deleteFrom('messages').where('id', '=', id).execute()
    return 'deleted'
  })
}

/** Exchange Online's recipient rate limit: 10,000 recipients a day per mailbox (M365-FACTS.md §4.3). */
export const RECIPIENTS_PER_DAY = 10_000

const DAY_MS = 24 * 60 * 60_000

/**
 * Per mailbox, for the page's counters: sent since `sinceMs` (the admin's midnight), waiting
 * (queued, sending, retrying) and failed; and against Microsoft's limits, the recipients of the
 * last 24 h (its window is rolling) and the messages of the last minute.
 */
export async function countsByMailbox(db: Db, sinceMs: number, now: number): Promise<Record<string, QueueCounts>> {
  const out: Record<string, QueueCounts> = {}
  const of = (id: string) => (out[id] ??= { sentToday: 0, waiting: 0, failed: 0, recipients24h: 0, lastMinute: 0 })
  const open = await db
    .selectFrom('messages')
    .select(['mailbox_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '!=', 'sent')
    .groupBy(['mailbox_id', 'state'])
    .execute()
  for (const r of open) {
    if (r.state === 'failed') of(r.mailbox_id).failed += Number(r.n)
    else of(r.mailbox_id).waiting += Number(r.n)
  }
  const sent = await db
    .selectFrom('messages')
    .select(['mailbox_id', 'sent_at', 'rcpt_to'])
    .where('state', '=', 'sent')
    .where('sent_at', '>=', Math.min(sinceMs, now - DAY_MS))
    .execute()
  for (const r of sent) {
    const c = of(r.mailbox_id)
    const at = Number(r.sent_at)
    if (at >= sinceMs) c.sentToday += 1
    if (at >= now - DAY_MS) c.recipients24h += (JSON.parse(r.rcpt_to) as string[]).length
    if (at >= now - 60_000) c.lastMinute += 1
  }
  return out
}

// ---------------------------------------------------------------- cross-instance limits

/**
 * Takes one of the mailbox's `max` connection slots for `owner` until `now + ttlMs`: the slot's
 * number, or undefined when all are held. Each slot is a row updated only while free (or its
 * holder's lease ran out), so two instances can never hold the same slot.
 */
export async function acquireSlot(
  db: Db,
  mailboxId: string,
  owner: string,
  now: number,
  ttlMs: number,
  max = 3,
): Promise<number | undefined> {
  await db
    .insertInto('mailbox_slots')
    .values(Array.from({ length: max }, (_, slot) => ({ mailbox_id: mailboxId, slot, owner: null, until: null })))
    .onConflict((oc) => oc.columns(['mailbox_id', 'slot']).doNothing())
    .execute()
  for (let slot = 0; slot < max; slot++) {
    const taken = await db
      .updateTable('mailbox_slots')
      .set({ owner, until: now + ttlMs })
      .where('mailbox_id', '=', mailboxId)
      .where('slot', '=', slot)
      .where((eb) => eb.or([eb('owner', 'is', null), eb('until', '<', now)]))
      .executeTakeFirst()
    if (Number(taken.numUpdatedRows) === 1) return slot
  }
  return undefined
}

/** Extends a held slot's lease; false when it was lost (taken over after running out). */
export async function renewSlot(db: Db, mailboxId: string, slot: number, owner: string, until: number): Promise<boolean> {
  const r = await db
    .updateTable('mailbox_slots')
    .set({ until })
    .where('mailbox_id', '=', mailboxId)
    .where('slot', '=', slot)
    .where('owner', '=', owner)
    .executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}

export async function releaseSlot(db: Db, mailboxId: string, slot: number, owner: string): Promise<void> {
  await db
    .updateTable('mailbox_slots')
    .set({ owner: null, until: null })
    .where('mailbox_id', '=', mailboxId)
    .where('slot', '=', slot)
    .where('owner', '=', owner)
    .execute()
}

/**
 * Counts one message against the mailbox's per-minute budget: 0 when it may go now, else the
 * milliseconds until the next window. A fixed one-minute window, updated only while under the
 * limit, so instances sharing one database never exceed it together.
 */
export async function takeRate(db: Db, mailboxId: string, now: number, perMinute: number): Promise<number> {
  const window = now - (now % 60_000)
  await db
    .insertInto('mailbox_rate')
    .values({ mailbox_id: mailboxId, window_start: window, count: 0 })
    .onConflict((oc) => oc.column('mailbox_id').doNothing())
    .execute()
  const fresh = await db
    .updateTable('mailbox_rate')
    .set({ window_start: window, count: 1 })
    .where('mailbox_id', '=', mailboxId)
    .where('window_start', '<', window)
    .executeTakeFirst()
  if (Number(fresh.numUpdatedRows) === 1) return 0
  const counted = await db
    .updateTable('mailbox_rate')
    .set((eb) => ({ count: eb('count', '+', 1) }))
    .where('mailbox_id', '=', mailboxId)
    .where('window_start', '=', window)
    .where('count', '<', perMinute)
    .executeTakeFirst()
  if (Number(counted.numUpdatedRows) === 1) return 0
  return window + 60_000 - now
}

/** Gives back a counted message that was not sent after all (held, or refused before MAIL). */
export async function returnRate(db: Db, mailboxId: string, now: number): Promise<void> {
  await db
    .updateTable('mailbox_rate')
    .set((eb) => ({ count: eb('count', '-', 1) }))
    .where('mailbox_id', '=', mailboxId)
    .where('window_start', '=', now - (now % 60_000))
    .where('count', '>', 0)
    .execute()
}
