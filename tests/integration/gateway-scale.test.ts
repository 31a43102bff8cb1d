/**
 * Scale-out (GATEWAY.md "Store", issue 9): two relay processes on one real PostgreSQL with the
 * same RELAY_SECRET_KEY share mailboxes, devices, admin sessions and the queue. 100 scans from
 * four devices at once, alternating between the two ingresses (the second one behind a "load
 * balancer": each connection starts with a PROXY v1 header), each arrive exactly once at the
 * sandbox's SMTP server, and the sandbox, counting authenticated sessions per mailbox, never saw
 * a fourth at once (Microsoft's limit of three, across both instances). A device allowed by its
 * address is recognised by the address the PROXY header gives, not the load balancer's.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MfdClient } from '../helpers/mfd-client.ts'
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts'
import { startRelay, type RelayProcess } from '../helpers/relay-process.ts'
import { Admin, arrivals, type Cluster, type Device, mailboxWithDevices, sendScan, startCluster, until } from './gateway-cluster.ts'
import { TARO } from './sandbox-fixture.ts'

const SCANS = 100
const DEVICES = 4

let pg: PostgresServer
let cluster: Cluster
const relays: RelayProcess[] = []
let a: Admin
let b: Admin
let devices: Device[]
let mailboxId = ''

beforeAll(async () => {
  pg = await startPostgres()
  cluster = await startCluster()
  const databaseUrl = await pg.database()
  const env = (name: string, extra: Record<string, string> = {}) => ({
    ...cluster.env,
    RELAY_DATABASE_URL: databaseUrl,
    RELAY_DATA_DIR: join(cluster.work, name),
    // The per-minute budget lifted: this test is about sharing, not about the rate.
    RELAY_MAILBOX_RATE: '10000',
    ...extra,
  })
  // Instance B's ingress sits behind a TCP load balancer that sends the PROXY protocol.
  const [ra, rb] = await Promise.all([
    startRelay({ runtime: 'node', env: env('a') }),
    startRelay({ runtime: 'node', env: env('b', { RELAY_INGRESS_PROXY: '127.0.0.1' }) }),
  ])
  relays.push(ra, rb)
  a = await Admin.login(ra)
  b = await Admin.login(rb)
  ;({ mailboxId, devices } = await mailboxWithDevices(cluster, a, DEVICES))
}, 240_000)

afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop()))
  await cluster?.close()
  await pg?.stop()
})

describe('two relays on one PostgreSQL', () => {
  it('share mailboxes, devices and admin sessions', async () => {
    const listed = await b.call('GET', '/api/admin/mailboxes')
    expect(listed.json.mailboxes.map((m: { id: string }) => m.id)).toEqual([mailboxId])
    expect((await b.call('GET', '/api/admin/devices')).json.devices).toHaveLength(DEVICES)
    // A session made on one instance is known to the other (its hash is in the store).
    const crossed = new Admin(b.relay)
    crossed.cookie = a.cookie
    expect((await crossed.call('GET', '/api/admin/session')).json).toMatchObject({ ok: true, admin: true })
  })

  it(`deliver ${SCANS} scans sent through both ingresses exactly once, never over 3 connections per mailbox`, async () => {
    const ports = [await a.ingressPort(), await b.ingressPort()]
    const accepted: string[] = []
    // Four devices at once, each alternating between the two instances.
    await Promise.all(
      devices.map(async (device, d) => {
        for (let i = d; i < SCANS; i += DEVICES) {
          const viaB = i % 2 === 1
          const r = await sendScan(ports[viaB ? 1 : 0]!, device, `scale-${i}@mfd.local`, viaB ? { proxyFrom: `198.51.100.${d + 1}` } : {})
          expect(r.reply, r.refusedAt).toMatch(/^250 /)
          accepted.push(r.id!)
        }
      }),
    )
    expect(new Set(accepted).size).toBe(SCANS)

    // Every message sent, on both instances' view of the one queue.
    const all = await until(async () => {
      const q = await a.queue()
      const mine = q.filter((m) => accepted.includes(m.id))
      return mine.length === SCANS && mine.every((m) => m.state === 'sent') ? mine : undefined
    }, 'all messages sent', 1800)
    expect(all.filter((m) => m.possibleDuplicate)).toEqual([])
    const fromB = await b.queue()
    expect(fromB.filter((m) => accepted.includes(m.id) && m.state === 'sent')).toHaveLength(SCANS)

    // Each Message-ID exactly once at the upstream.
    const counts = await arrivals(cluster.fx, 'scale-')
    expect(counts.size).toBe(SCANS)
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([])

    // Never a fourth authenticated session for the mailbox at the upstream, both instances together.
    const sessions = cluster.fx.sandbox.smtpSessions()
    console.log(`scale-out: peak authenticated sessions for ${TARO.upn}: ${sessions.peak[TARO.upn]}`)
    expect(sessions.peak[TARO.upn]).toBeGreaterThanOrEqual(1)
    expect(sessions.peak[TARO.upn]).toBeLessThanOrEqual(3)
    const delivered = relays.map((r) => (r.output().match(/"event":"delivered"/g) ?? []).length)
    console.log(`scale-out: delivered by instance a ${delivered[0]}, b ${delivered[1]}`)
    expect(delivered[0]! + delivered[1]!).toBe(SCANS)
  }, 600_000)

  it('behind the load balancer, an allow-listed device is known by the address in the PROXY header', async () => {
    const port = await b.ingressPort()
    const allowed = await a.call('POST', '/api/admin/devices', { name: 'LB 越しの複合機', mailboxId, allowIps: ['203.0.113.0/24'], fromPolicy: 'mailbox' })
    expect(allowed.status).toBe(201)
    const none: Device = { id: allowed.json.device.id, username: '', password: '' }
    // From 203.0.113.9 (through the balancer): no AUTH needed.
    const ok = await sendScan(port, none, 'proxy-ok@mfd.local', { proxyFrom: '203.0.113.9', auth: false })
    expect(ok.reply, ok.refusedAt).toMatch(/^250 /)
    // From another address through the balancer: the allow-list does not apply.
    const other = await sendScan(port, none, 'proxy-other@mfd.local', { proxyFrom: '198.51.100.77', auth: false })
    expect(other.refusedAt).toMatch(/^530 /)
    // Straight to the port without the header (the balancer's own address): refused before SMTP.
    const bare = await MfdClient.connect(port)
    bare.write('EHLO mfd.local\r\n')
    const answer = await bare.reply()
    await bare.closed
    expect(answer).not.toMatch(/^2\d\d/m)
    await until(async () => ((await arrivals(cluster.fx, 'proxy-ok@')).get('proxy-ok@mfd.local') === 1 ? true : undefined), 'the allow-listed scan')
    // The session log names the device's address, not the balancer's.
    expect(relays[1]!.output()).toMatch(/"event":"ingress\.session"[^\n]*"remoteAddress":"203\.0\.113\.9"/)
  }, 120_000)
})
