/**
 * No connection outlives its slot: two gateways (two instances, each with its own pool of SMTP
 * connections) on one real PostgreSQL, delivering to the sandbox, which counts authenticated
 * sessions per mailbox. When the first has delivered a burst and given its connection slots
 * back, none of its connections is still open at the upstream (an idle pooled connection kept
 * past its slot would let the second instance open three more: six at once); the second then
 * delivers its burst, and the mailbox never had more than three sessions at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminClient, type GatewayRig, setUp, startRig, stopPostgres } from './gateway-fixture.ts'
import { TARO } from './sandbox-fixture.ts'

let rig: GatewayRig
let admin: AdminClient
let apiKey = ''

beforeAll(async () => {
  rig = await startRig('postgres', { RELAY_MAILBOX_RATE: '10000' })
  admin = await setUp(rig)
  const fx = rig.fixture
  const mb = await admin.call('POST', '/api/admin/mailboxes', {
    name: 'スキャン用',
    address: TARO.upn,
    smtp: fx.info.smtp,
    tokenSource: 'app',
    tenantId: fx.info.tenantId,
    clientId: fx.info.clientId,
    clientSecret: fx.info.clientSecret,
    tokenEndpoint: fx.info.tokenEndpoint,
  })
  expect(mb.status, JSON.stringify(mb.json)).toBe(201)
  const dev = await admin.call('POST', '/api/admin/devices', { name: 'script', mailboxId: mb.json.mailbox.id, apiKey: true, fromPolicy: 'mailbox' })
  apiKey = dev.json.credentials.apiKey
}, 120_000)

afterAll(async () => {
  await rig?.close()
  await stopPostgres()
})

async function burst(prefix: string, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await rig.app.request('/api/v1/messages', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}`, 'X-Test-Client': '192.0.2.50' },
        body: JSON.stringify({ message: { from: TARO.upn, to: [TARO.upn], subject: `${prefix}-${i}`, text: 'x' } }),
      })
      expect(res.status).toBe(202)
      return ((await res.json()) as { id: string }).id
    }),
  )
}

async function allSentAndSlotsFree(ids: string[]): Promise<void> {
  const db = rig.gateway.context.store.db
  for (let i = 0; i < 1200; i++) {
    const rows = await db.selectFrom('messages').select(['id', 'state']).where('id', 'in', ids).execute()
    const held = await db.selectFrom('mailbox_slots').select('slot').where('owner', 'is not', null).execute()
    if (rows.length === ids.length && rows.every((r) => r.state === 'sent') && held.length === 0) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('timed out waiting for the burst to be sent and the slots given back')
}

describe('connection slots across two instances', () => {
  it('ends a lane\'s connections before its slot is free, so the instances never hold a 4th together', async () => {
    const first = await burst('slots-a', 12)
    await allSentAndSlotsFree(first)
    const open = rig.fixture.sandbox.smtpSessions().open[TARO.upn] ?? 0
    // Every slot free: none of the first instance's connections may still be open upstream.
    expect(open).toBe(0)

    // A second instance on the same store; the first stays up (its pool too).
    const second = await rig.another()
    expect(second.context.instanceId).not.toBe(rig.gateway.context.instanceId)
    const more = await burst('slots-b', 12)
    second.sending.dispatcher.kick()
    await allSentAndSlotsFree(more)
    const sessions = rig.fixture.sandbox.smtpSessions()
    console.log(`slots: peak authenticated sessions ${sessions.peak[TARO.upn]}`)
    expect(sessions.peak[TARO.upn]).toBeLessThanOrEqual(3)
    expect(sessions.open[TARO.upn] ?? 0).toBe(0)
  }, 300_000)
})
