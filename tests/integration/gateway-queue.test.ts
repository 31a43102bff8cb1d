/**
 * The queue and its cross-instance limits on both stores: embedded SQLite in a temp folder and a
 * real PostgreSQL server (Debian's, started by the test). Claims never hand one message to two
 * claimers, a lease that ran out is taken again, a fourth connection slot is refused, the
 * per-minute window holds across "instances" (two store handles on one database).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts'
import {
  acquireSlot,
  claimNext,
  countsByMailbox,
  enqueue,
  finish,
  getMessage,
  listMessages,
  loadBody,
  reclaimExpired,
  releaseOwned,
  releaseSlot,
  removeMessage,
  retryNow,
  takeRate,
  toQueueItem,
} from '../../relay/src/gateway/queue.ts'
import { openStore, type Store } from '../../relay/src/gateway/store.ts'

let pg: PostgresServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailkey-queue-'))
  pg = await startPostgres()
}, 180_000)

afterAll(async () => {
  await pg?.stop()
  await rm(dir, { recursive: true, force: true })
})

const message = (i: number, mailboxId = 'mb1') => ({
  deviceId: 'dev1',
  mailboxId,
  origin: 'device' as const,
  envelope: { from: 'scanner@contoso.example', to: [`r${i}@contoso.example`] },
  raw: new TextEncoder().encode(`Subject: scan ${i}\r\nFrom: scanner@contoso.example\r\n\r\nbody ${i}\r\n`),
  headerFrom: 'scanner@contoso.example',
  subject: `scan ${i}`,
  eightBit: false,
})

describe.each(['sqlite', 'postgres'] as const)('the queue on %s', (kind) => {
  let a: Store
  let b: Store
  beforeAll(async () => {
    const opts = kind === 'sqlite' ? { dataDir: join(dir, 'sqlite') } : { dataDir: dir, databaseUrl: await pg.database() }
    a = await openStore(opts)
    // The embedded store belongs to one relay process (one connection, SQLite's one writer);
    // "two instances" are two relays on one PostgreSQL.
    b = kind === 'postgres' ? await openStore(opts) : a
  })
  afterAll(async () => {
    await a?.close()
    if (b !== a) await b?.close()
  })

  it('commits a message and its bytes, and lists it without the bytes', async () => {
    const id = await enqueue(a.db, 1000, message(0))
    const body = await loadBody(b.db, id)
    expect(new TextDecoder().decode(body)).toContain('body 0')
    const listed = (await listMessages(b.db, 'queued')).map(toQueueItem)
    expect(listed.find((m) => m.id === id)).toMatchObject({ state: 'queued', subject: 'scan 0', attempts: 0, to: ['r0@contoso.example'] })
  })

  it('hands each of 40 messages to exactly one of two claimers racing', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 40; i++) ids.add(await enqueue(a.db, 2000, message(i, 'race')))
    const got: string[][] = [[], []]
    const claimer = async (store: Store, n: 0 | 1) => {
      for (;;) {
        const m = await claimNext(store.db, kind, 'race', `inst${n}`, 3000, 60_000)
        if (!m) return
        got[n]!.push(m.id)
        await finish(store.db, m.id, `inst${n}`, 3001, { state: 'sent', reply: '250 2.0.0 OK' })
      }
    }
    await Promise.all([claimer(a, 0), claimer(b, 1), claimer(a, 0), claimer(b, 1)])
    const all = [...got[0]!, ...got[1]!]
    expect(all).toHaveLength(40)
    expect(new Set(all)).toEqual(ids)
    const sent = await listMessages(a.db, 'sent')
    expect(sent.filter((m) => m.mailbox_id === 'race')).toHaveLength(40)
  })

  it('takes a message again once its lease ran out, and ignores the late owner', async () => {
    const id = await enqueue(a.db, 4000, message(1, 'lease'))
    const first = await claimNext(a.db, kind, 'lease', 'dead', 4000, 1000)
    expect(first?.id).toBe(id)
    expect(await claimNext(b.db, kind, 'lease', 'alive', 4500, 1000)).toBeUndefined()
    expect(await reclaimExpired(b.db, 5001)).toBe(1)
    const again = await claimNext(b.db, kind, 'lease', 'alive', 5001, 1000)
    expect(again).toMatchObject({ id, attempts: 2 })
    // The dead instance's late verdict does not overwrite the new owner's claim.
    expect(await finish(a.db, id, 'dead', 5002, { state: 'sent' })).toBe(false)
    expect(await finish(b.db, id, 'alive', 5003, { state: 'sent', reply: '250 OK' })).toBe(true)
  })

  it('gives a stopping instance\'s claims back at once', async () => {
    const id = await enqueue(a.db, 6000, message(2, 'stop'))
    await claimNext(a.db, kind, 'stop', 'stopping', 6000, 600_000)
    expect(await releaseOwned(a.db, 'stopping', 6001)).toBe(1)
    expect((await getMessage(a.db, id))?.state).toBe('retrying')
  })

  it('retries, fails, re-sends and deletes as the page asks', async () => {
    const id = await enqueue(a.db, 7000, message(3, 'ops'))
    const m = await claimNext(a.db, kind, 'ops', 'i', 7000, 60_000)
    await finish(a.db, m!.id, 'i', 7001, {
      state: 'failed',
      reply: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
      error: { code: 'SENDER_REJECTED', message: 'refused' },
    })
    const failed = toQueueItem((await getMessage(a.db, id))!)
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, lastReply: expect.stringMatching(/^550 5\.7\.60/) })
    expect(failed.lastError?.code).toBe('SENDER_REJECTED')
    expect((await retryNow(a.db, id, 8000))?.state).toBe('queued')
    const claimed = await claimNext(b.db, kind, 'ops', 'j', 8000, 60_000)
    expect(claimed?.id).toBe(id)
    expect(await removeMessage(a.db, id)).toBe('sending')
    await finish(b.db, id, 'j', 8001, { state: 'retrying', nextAttemptAt: 99_000 })
    expect(await removeMessage(a.db, id)).toBe('deleted')
    expect(await getMessage(a.db, id)).toBeUndefined()
    expect(await loadBody(a.db, id)).toBeUndefined()
  })

  it('never lets a fourth connection slot out, across instances', async () => {
    const slots = await Promise.all([
      acquireSlot(a.db, 'slots', 'x', 1000, 60_000),
      acquireSlot(b.db, 'slots', 'y', 1000, 60_000),
      acquireSlot(a.db, 'slots', 'x', 1000, 60_000),
      acquireSlot(b.db, 'slots', 'y', 1000, 60_000),
    ])
    expect(slots.filter((s) => s !== undefined).sort()).toEqual([0, 1, 2])
    // A held slot whose lease ran out is taken over; a released one is free again.
    expect(await acquireSlot(b.db, 'slots', 'z', 61_001, 60_000)).toBe(0)
    await releaseSlot(a.db, 'slots', 1, slots.includes(1) ? (slots.indexOf(1) % 2 === 0 ? 'x' : 'y') : 'none')
  })

  it('counts at most RELAY_MAILBOX_RATE messages a minute, across instances', async () => {
    const now = 10 * 60_000 + 5_000
    const waits = await Promise.all(Array.from({ length: 40 }, (_, i) => takeRate(i % 2 ? a.db : b.db, 'rate', now, 30)))
    expect(waits.filter((w) => w === 0)).toHaveLength(30)
    expect(waits.filter((w) => w > 0).every((w) => w === 55_000)).toBe(true)
    expect(await takeRate(a.db, 'rate', now + 55_000, 30)).toBe(0)
  })

  it('counts each mailbox\'s messages sent today, waiting and failed, recipients in 24 h and in the last minute', async () => {
    const DAY = 24 * 60 * 60_000
    const now = 100 * DAY
    const midnight = now - 3 * 60 * 60_000
    const send = async (at: number, state: 'sent' | 'failed', to = 1) => {
      const id = await enqueue(a.db, at - 1, { ...message(at, 'counted'), envelope: { from: 'x@contoso.example', to: Array.from({ length: to }, (_, i) => `r${i}@contoso.example`) } })
      const m = await claimNext(a.db, kind, 'counted', 'c', at, 60_000)
      expect(m?.id).toBe(id)
      await finish(a.db, id, 'c', at, { state, reply: state === 'sent' ? '250 2.0.0 OK' : '554 5.2.252 SendAsDenied' })
    }
    await send(now - 2 * DAY, 'sent', 7) // two days ago: in no counter
    await send(now - 20 * 60 * 60_000, 'sent', 3) // yesterday, within 24 h
    await send(now - 2 * 60 * 60_000, 'sent', 2) // today
    await send(now - 30_000, 'sent', 4) // today, in the last minute
    await send(now - 10_000, 'failed', 5)
    await enqueue(b.db, now, message(1, 'counted'))
    await enqueue(b.db, now, message(2, 'other'))
    const counts = await countsByMailbox(b.db, midnight, now)
    expect(counts.counted).toEqual({ sentToday: 2, waiting: 1, failed: 1, recipients24h: 9, lastMinute: 1 })
    expect(counts.other).toEqual({ sentToday: 0, waiting: 1, failed: 0, recipients24h: 0, lastMinute: 0 })
  })
})
