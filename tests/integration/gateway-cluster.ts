/**
 * Gateway relays as real processes around one sandbox (in this process, so its SMTP server can
 * be counted and switched): the environment they share (store, key, admin password, the
 * sandbox's hosts and CA), an admin client per relay, an MFD-like sender over the ingress
 * (STARTTLS, AUTH PLAIN, optionally a PROXY v1 header first, as a TCP load balancer sends it),
 * and the sandbox inbox counted by Message-ID.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MfdClient, b64 } from '../helpers/mfd-client.ts'
import { startRelay, type RelayProcess } from '../helpers/relay-process.ts'
import { startFixture, TARO, type Fixture } from './sandbox-fixture.ts'

export const ADMIN_PASSWORD = 'cluster-admin-password-2026'

export interface Cluster {
  fx: Fixture
  work: string
  /** What every relay of the cluster shares; add the store (RELAY_DATABASE_URL or a data dir). */
  env: Record<string, string>
  close(): Promise<void>
}

export async function startCluster(): Promise<Cluster> {
  const fx = await startFixture()
  const work = await mkdtemp(join(tmpdir(), 'mailkey-cluster-'))
  const caFile = join(work, 'ca.pem')
  await writeFile(caFile, fx.sandbox.caPem)
  return {
    fx,
    work,
    env: {
      RELAY_GATEWAY: '1',
      RELAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      RELAY_SECRET_KEY: randomBytes(32).toString('base64'),
      RELAY_SMTP_HOSTS: fx.sandbox.smtpHostPort,
      RELAY_TOKEN_HOSTS: fx.sandbox.tokenHost,
      RELAY_CA_FILE: caFile,
      RELAY_INGRESS: '127.0.0.1:0/starttls',
    },
    async close() {
      await fx.close()
      await rm(work, { recursive: true, force: true })
    },
  }
}

/** The admin API of one relay process, with its session cookie. */
export class Admin {
  cookie = ''
  readonly relay: RelayProcess
  constructor(relay: RelayProcess) {
    this.relay = relay
  }

  async call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${this.relay.url}${path}`, {
      method,
      headers: { ...(body !== undefined && { 'Content-Type': 'application/json' }), ...(this.cookie && { Cookie: this.cookie }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const json = (await res.json()) as Record<string, any>
    return { status: res.status, json, setCookie: res.headers.get('set-cookie') }
  }

  static async login(relay: RelayProcess): Promise<Admin> {
    const admin = new Admin(relay)
    const r = await admin.call('POST', '/api/admin/login', { password: ADMIN_PASSWORD })
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.json)}`)
    admin.cookie = r.setCookie!.split(';')[0]!
    return admin
  }

  /** The first ingress listener's port. */
  async ingressPort(): Promise<number> {
    const r = await this.call('GET', '/api/admin/ingress')
    return r.json.listeners[0].port as number
  }

  async queue(): Promise<{ id: string; state: string; attempts: number; possibleDuplicate?: boolean; lastReply?: string }[]> {
    const r = await this.call('GET', '/api/admin/queue')
    if (r.status !== 200) throw new Error(`queue: ${r.status} ${JSON.stringify(r.json)}`)
    return r.json.messages
  }
}

export interface Device {
  id: string
  username: string
  password: string
}

/** An app-only mailbox for the sandbox's working user, ready at once, and `n` SMTP devices. */
export async function mailboxWithDevices(
  cluster: Cluster,
  admin: Admin,
  n: number,
  smtp: { host: string; port: number; security: string } = cluster.fx.info.smtp,
): Promise<{ mailboxId: string; devices: Device[] }> {
  const { fx } = cluster
  const mb = await admin.call('POST', '/api/admin/mailboxes', {
    name: 'スキャン用',
    address: TARO.upn,
    smtp,
    tokenSource: 'app',
    tenantId: fx.info.tenantId,
    clientId: fx.info.clientId,
    clientSecret: fx.info.clientSecret,
    tokenEndpoint: fx.info.tokenEndpoint,
  })
  if (mb.status !== 201 || mb.json.mailbox.state !== 'ready') throw new Error(`mailbox: ${mb.status} ${JSON.stringify(mb.json)}`)
  const mailboxId = mb.json.mailbox.id as string
  const devices: Device[] = []
  for (let i = 0; i < n; i++) {
    const d = await admin.call('POST', '/api/admin/devices', { name: `複合機 ${i + 1}F`, mailboxId, smtpAuth: true, fromPolicy: 'mailbox' })
    if (d.status !== 201) throw new Error(`device: ${d.status} ${JSON.stringify(d.json)}`)
    devices.push({ id: d.json.device.id, username: d.json.credentials.username, password: d.json.credentials.password })
  }
  return { mailboxId, devices }
}

export interface ScanResult {
  /** The reply to the final dot ('' when the connection closed first). */
  reply: string
  /** The queue id from `250 … queued as <id>`, when accepted. */
  id?: string
  /** The first reply that was not what a device hopes for, when the dialogue broke off. */
  refusedAt?: string
}

/**
 * One scan the way an MFD sends it: a new connection, EHLO, STARTTLS, AUTH PLAIN, one message
 * with `messageId`, QUIT. `proxyFrom`: a PROXY v1 header first, claiming that client address.
 */
export async function sendScan(
  port: number,
  device: Device,
  messageId: string,
  opts: { proxyFrom?: string; auth?: boolean; body?: string } = {},
): Promise<ScanResult> {
  const mfd = await MfdClient.connect(port)
  try {
    if (opts.proxyFrom) mfd.write(`PROXY TCP4 ${opts.proxyFrom} 127.0.0.1 40000 ${port}\r\n`)
    const steps: [string | undefined, RegExp][] = [
      [undefined, /^220 /],
      ['EHLO mfd.local', /^250/],
      ['STARTTLS', /^220 /],
    ]
    for (const [line, ok] of steps) {
      const reply = line === undefined ? await mfd.reply() : await mfd.cmd(line)
      if (!ok.test(reply)) return { reply: '', refusedAt: reply }
    }
    await mfd.startTls()
    const ehlo = await mfd.cmd('EHLO mfd.local')
    if (!/^250/.test(ehlo)) return { reply: '', refusedAt: ehlo }
    if (opts.auth !== false) {
      const auth = await mfd.cmd(`AUTH PLAIN ${b64(`\0${device.username}\0${device.password}`)}`)
      if (!/^235 /.test(auth)) return { reply: '', refusedAt: auth }
    }
    for (const line of ['MAIL FROM:<scanner@mfd.local>', `RCPT TO:<${TARO.upn}>`]) {
      const reply = await mfd.cmd(line)
      if (!/^250 /.test(reply)) return { reply: '', refusedAt: reply }
    }
    const data = await mfd.cmd('DATA')
    if (!/^354 /.test(data)) return { reply: '', refusedAt: data }
    const reply = await mfd.cmd(
      [
        'From: scanner@mfd.local',
        `To: ${TARO.upn}`,
        `Message-ID: <${messageId}>`,
        `Subject: Scan ${messageId}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        opts.body ?? 'Scanned document.',
        '.',
      ].join('\r\n'),
    )
    const id = /queued as (\S+)/.exec(reply)?.[1]
    if (id) await mfd.cmd('QUIT')
    return { reply, ...(id && { id }) }
  } finally {
    mfd.close()
  }
}

/** How often each Message-ID arrived at the sandbox (messages whose ID starts with `prefix`). */
export async function arrivals(fx: Fixture, prefix: string): Promise<Map<string, number>> {
  const res = await fx.sandbox.routes.request('/messages')
  const list = ((await res.json()) as { messages: { messageId?: string }[] }).messages
  const counts = new Map<string, number>()
  for (const m of list) {
    const id = (m.messageId ?? '').replace(/^<|>$/g, '')
    if (id.startsWith(prefix)) counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  return counts
}

export async function until<T>(what: () => Promise<T | undefined>, label: string, tries = 1200, everyMs = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await what()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`timed out waiting for ${label}`)
}

export interface UpstreamSwitch {
  port: number
  /**
   * `hold`: new connections are accepted and never answered (a server that hangs before its
   * greeting); `forward`: passed through to the sandbox, each chunk `delayMs` late.
   */
  mode: 'hold' | 'forward'
  delayMs: number
  /** Connections accepted so far. */
  readonly accepted: number
  close(): Promise<void>
}

/** A TCP hop in front of the sandbox's SMTP server that can hang or slow the upstream. */
export async function startUpstreamSwitch(targetPort: number): Promise<UpstreamSwitch> {
  const net = await import('node:net')
  const sockets = new Set<import('node:net').Socket>()
  let accepted = 0
  const sw: UpstreamSwitch = {
    port: 0,
    mode: 'forward',
    delayMs: 0,
    get accepted() {
      return accepted
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  const track = (s: import('node:net').Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => undefined)
  }
  const server = net.createServer((client) => {
    accepted++
    track(client)
    if (sw.mode === 'hold') return
    const upstream = net.connect(targetPort, '127.0.0.1')
    track(upstream)
    const pipe = (from: import('node:net').Socket, to: import('node:net').Socket) => {
      from.on('data', (chunk) => {
        const delay = sw.delayMs
        if (delay > 0) setTimeout(() => to.destroyed || to.write(chunk), delay)
        else to.write(chunk)
      })
      from.on('close', () => setTimeout(() => to.destroy(), sw.delayMs))
    }
    pipe(client, upstream)
    pipe(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  sw.port = (server.address() as import('node:net').AddressInfo).port
  return sw
}
