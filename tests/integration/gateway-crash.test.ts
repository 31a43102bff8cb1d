/**
 * Crash (issue 9 "Tests and bench"): a relay is killed with SIGKILL while it holds scans it
 * answered `250` for and has not delivered — some still queued, some claimed and in flight to
 * an upstream that hangs before its greeting. The relay started again on the same store
 * delivers every one exactly once: the queued ones at once, the claimed ones of the dead
 * instance once their lease (RELAY_QUEUE_LEASE, 5 s here) has run out.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRelay, type RelayProcess } from '../helpers/relay-process.ts'
import {
  Admin,
  arrivals,
  type Cluster,
  type Device,
  mailboxWithDevices,
  sendScan,
  startCluster,
  startUpstreamSwitch,
  type UpstreamSwitch,
  until,
} from './gateway-cluster.ts'

const SCANS = 8

let cluster: Cluster
let upstream: UpstreamSwitch
const relays: RelayProcess[] = []
let env: Record<string, string>

beforeAll(async () => {
  cluster = await startCluster()
  upstream = await startUpstreamSwitch(cluster.fx.info.smtp.port)
  env = {
    ...cluster.env,
    RELAY_DATA_DIR: join(cluster.work, 'data'),
    RELAY_SMTP_HOSTS: `${cluster.fx.sandbox.smtpHostPort},localhost:${upstream.port}`,
    RELAY_MAILBOX_RATE: '10000',
    RELAY_QUEUE_LEASE: '5s',
  }
}, 120_000)

afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop('SIGKILL')))
  await upstream?.close()
  await cluster?.close()
})

describe('kill -9 with accepted, undelivered scans', () => {
  it('delivers each exactly once after the restart, claimed ones after their lease', async () => {
    const first = await startRelay({ runtime: 'node', env })
    relays.push(first)
    const admin = await Admin.login(first)
    let devices: Device[]
    ;({ devices } = await mailboxWithDevices(cluster, admin, 1, { host: 'localhost', port: upstream.port, security: 'starttls' }))
    // The upstream hangs: delivery claims messages and waits for a greeting that never comes.
    upstream.mode = 'hold'
    const port = await admin.ingressPort()
    const accepted: string[] = []
    for (let i = 0; i < SCANS; i++) {
      const r = await sendScan(port, devices[0]!, `crash-${i}@mfd.local`)
      expect(r.reply, r.refusedAt).toMatch(/^250 /)
      accepted.push(r.id!)
    }
    const before = await until(async () => {
      const q = (await admin.queue()).filter((m) => accepted.includes(m.id))
      return q.length === SCANS && q.some((m) => m.state === 'sending') ? q : undefined
    }, 'a claimed message')
    const claimed = before.filter((m) => m.state === 'sending').map((m) => m.id)
    expect(before.filter((m) => m.state === 'sent')).toEqual([])

    // SIGKILL to the whole process group: no shutdown code runs, the claims stay in the store.
    await first.stop('SIGKILL')
    expect(first.exitCode()).not.toBe(0)
    upstream.mode = 'forward'

    const again = await startRelay({ runtime: 'node', env })
    relays.push(again)
    const admin2 = await Admin.login(again)
    const after = await until(async () => {
      const q = (await admin2.queue()).filter((m) => accepted.includes(m.id))
      return q.length === SCANS && q.every((m) => m.state === 'sent') ? q : undefined
    }, 'every scan sent after the restart', 1200)
    // The claimed ones were taken again (a second attempt), and none is a possible duplicate:
    // the dead instance never got past the greeting.
    for (const id of claimed) expect(after.find((m) => m.id === id)!.attempts).toBeGreaterThanOrEqual(2)
    expect(after.filter((m) => m.possibleDuplicate)).toEqual([])
    const counts = await arrivals(cluster.fx, 'crash-')
    expect(counts.size).toBe(SCANS)
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([])
    console.log(`crash: ${claimed.length} claimed by the killed relay, ${SCANS - claimed.length} queued; all ${SCANS} delivered once`)
  }, 600_000)
})
