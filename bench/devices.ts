/**
 * Issue 9's bench: 10 MFD-like devices (tests/helpers/mfd-client.ts: a new connection per scan,
 * STARTTLS, AUTH PLAIN, 300 KB scans) sending through our gateway and through email-oauth2-proxy
 * (bench/emailproxy.ts, client credentials flow), one after the other in one run against the same
 * sandbox tenant (bench/sandbox-process.ts, a process of its own), both delivering through the same
 * delay proxy (bench/tap.ts, 10 ms each way) to the sandbox's SMTP server.
 *
 * Our side: the relay process (`RELAY_GATEWAY=1`, `RELAY_MAILBOX_RATE` lifted to its maximum) with
 * an app-only mailbox and one device (username + password) per MFD, made through the admin API.
 * The proxy's: one account section for the same mailbox; each device logs in as the mailbox.
 *
 * Per side: one warm-up scan per device (token fetched, code paths warm; not counted), then
 * `SCANS` scans (default 500) split over `DEVICES` (default 10). A device that gets a 4xx (the
 * sandbox's `432 4.3.2` beyond three concurrent submissions per mailbox, passed through by the
 * proxy) quits and tries again after `RETRY_MS` (default 1000), as a device that retries would;
 * its scan's device-visible time is the accepted session's (connect → `250` after the final dot),
 * the refusals are counted apart. Delivery is read from the sandbox inbox (its `receivedAt`);
 * drain = first connect → last message received. RSS: the relay's (or the proxy's) process,
 * sampled every 250 ms, peak, and once more 10 s after the drain. `GATEWAY_RUNTIMES=node,deno`
 * runs our side on each runtime (default `node`). `DEVICES_TRACE=1` prints each accepted session's
 * steps (`reply code:ms since the previous one`) to stderr. Not part of `npm test`.
 *
 * @module
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCertificateAuthority, issueServerCertificate } from '../relay/src/tls/certs.ts'
import { b64, MfdClient } from '../tests/helpers/mfd-client.ts'
import { ROOT, startRelay, type RelayProcess } from '../tests/helpers/relay-process.ts'
import { startEmailProxy } from './emailproxy.ts'
import { quantile } from './measure.ts'
import type { Figure } from './report.ts'
import { startTap } from './tap.ts'

const DEVICES = Number(process.env.DEVICES ?? 10)
const SCANS = Number(process.env.SCANS ?? 500)
const SCAN_BYTES = 300 * 1024
const RETRY_MS = Number(process.env.RETRY_MS ?? 1000)
const DELAY_MS = 10
const TRACE = process.env.DEVICES_TRACE === '1'
/** Give up waiting for the inbox after this long without a new arrival. */
const STALL_MS = 90_000
const IDLE_AFTER_MS = 10_000
const RUNTIMES = (process.env.GATEWAY_RUNTIMES ?? 'node').split(',').map((s) => s.trim()) as ('node' | 'deno')[]
const MAILBOX = 'taro@sandbox.mailkey.test'
const APP_SCOPE = 'https://outlook.office365.com/.default'
const ADMIN_PASSWORD = randomBytes(18).toString('base64url')

const log = (text: string) => process.stderr.write(`bench: devices: ${text}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Sandbox {
  routes: string
  caPem: string
  smtpHostPort: string
  tokenHost: string
  dataDir: string
  info: { tenantId: string; clientId: string; clientSecret: string; tokenEndpoint: string; smtp: { port: number } }
  stop(): Promise<void>
}

async function startSandboxProcess(): Promise<Sandbox> {
  const child: ChildProcess = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['bench/sandbox-process.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c
      const i = out.indexOf('\n')
      if (i >= 0) resolve(out.slice(0, i))
    })
    void exited.then(() => reject(new Error('the sandbox process exited before it was ready')))
  })
  const parsed = JSON.parse(line) as Omit<Sandbox, 'stop'>
  return {
    ...parsed,
    async stop() {
      try {
        process.kill(-child.pid!, 'SIGTERM')
      } catch {
        // gone
      }
      await exited
      await rm(parsed.dataDir, { recursive: true, force: true })
    },
  }
}

/** RSS in MB of the process listening on `port` (tsx's inner node, deno, python). */
function listenerPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' })
  const pid = /pid=(\d+)/.exec(out)?.[1]
  if (!pid) throw new Error(`no process listens on ${port}`)
  return Number(pid)
}
function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}

const base64Body = randomBytes((SCAN_BYTES * 3) / 4).toString('base64').replace(/.{76}/g, '$&\r\n')

function scanMessage(subject: string): Buffer {
  return Buffer.from(
    [
      `From: Scanner <${MAILBOX}>`,
      `To: ${MAILBOX}`,
      `Subject: ${subject}`,
      `Message-ID: <${randomBytes(8).toString('hex')}@mfd.local>`,
      'MIME-Version: 1.0',
      'Content-Type: application/pdf; name="scan.pdf"',
      'Content-Disposition: attachment; filename="scan.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      base64Body,
      '.',
      '',
    ].join('\r\n'),
  )
}

class Refused extends Error {}

/** One session: connect → 250 after the final dot; a 4xx or a close is `Refused` (try again). */
async function session(port: number, user: string, password: string, message: Buffer): Promise<number> {
  const start = performance.now()
  const c = await MfdClient.connect(port)
  const steps: string[] = []
  let last = start
  const expect = (reply: string, code: string) => {
    if (TRACE) {
      const t = performance.now()
      steps.push(`${code}:${(t - last).toFixed(0)}`)
      last = t
      if (code === '250' && steps.length > 8) process.stderr.write(`trace ${steps.join(' ')}\n`)
    }
    if (reply.startsWith(code)) return
    c.close()
    if (reply === '' || reply.startsWith('4')) throw new Refused(reply.split('\n')[0])
    throw new Error(reply.split('\n')[0])
  }
  try {
    expect(await c.reply(), '220')
    expect(await c.cmd('EHLO mfd'), '250')
    expect(await c.cmd('STARTTLS'), '220')
    await c.startTls()
    expect(await c.cmd('EHLO mfd'), '250')
    expect(await c.cmd(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`), '235')
    expect(await c.cmd(`MAIL FROM:<${MAILBOX}>`), '250')
    expect(await c.cmd(`RCPT TO:<${MAILBOX}>`), '250')
    expect(await c.cmd('DATA'), '354')
    c.write(message)
    expect(await c.reply(), '250')
    const ms = performance.now() - start
    c.write('QUIT\r\n')
    void c.reply().then(() => c.close())
    return ms
  } catch (err) {
    c.close()
    if (err instanceof Refused || err instanceof Error && /ECONNRESET|EPIPE|socket/i.test(err.message)) throw new Refused(String(err))
    throw err
  }
}

interface SideResult {
  latencies: number[]
  refusals: number
  failed: number
  delivered: number
  duplicates: number
  drainMs: number
  rssPeakMb: number
  /** RSS `IDLE_AFTER_MS` after the last arrival. */
  rssAfterMb: number
  lastRefusal: string
}

type Credentials = { user: string; password: string }[]

async function arrivals(sandbox: Sandbox, prefix: string, seen: Map<string, number>): Promise<void> {
  const res = await fetch(`${sandbox.routes}/messages`)
  const { messages } = (await res.json()) as { messages: { subject: string; receivedAt: string }[] }
  for (const m of messages) {
    if (!m.subject.startsWith(prefix)) continue
    const at = Date.parse(m.receivedAt)
    // The inbox holds each arrival once; the same subject twice is a duplicate delivery.
    const key = `${m.subject} ${m.receivedAt}`
    if (!seen.has(key)) seen.set(key, at)
  }
}

async function runSide(name: string, sandbox: Sandbox, port: number, creds: Credentials, pid: number): Promise<SideResult> {
  const tag = `${name}-${randomBytes(3).toString('hex')}`
  // Warm-up: one scan per device, delivered before the measured run starts.
  const warm = new Map<string, number>()
  await Promise.all(creds.map(async (d, i) => {
    for (;;) {
      try {
        return await session(port, d.user, d.password, scanMessage(`warm ${tag} ${i}`))
      } catch (err) {
        if (!(err instanceof Refused)) throw err
        await sleep(RETRY_MS)
      }
    }
  }))
  for (let i = 0; i < 600 && warm.size < creds.length; i++) {
    await arrivals(sandbox, `warm ${tag} `, warm)
    await sleep(100)
  }
  log(`${name}: warmed up (${warm.size}/${creds.length} delivered)`)

  const prefix = `scan ${tag} `
  const seen = new Map<string, number>()
  let rssPeakMb = 0
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, rssMb(pid))), 250)
  const poller = setInterval(() => void arrivals(sandbox, prefix, seen).catch(() => undefined), 250)
  const latencies: number[] = []
  let refusals = 0
  let failed = 0
  let lastRefusal = ''
  const t0 = Date.now()
  const perDevice = Math.ceil(SCANS / creds.length)
  let next = 0
  await Promise.all(creds.map(async (d, device) => {
    for (let i = 0; i < perDevice && next < SCANS; i++) {
      const n = next++
      const message = scanMessage(`${prefix}${device}-${n}`)
      for (let attempt = 1; ; attempt++) {
        try {
          latencies.push(await session(port, d.user, d.password, message))
          break
        } catch (err) {
          if (!(err instanceof Refused) || attempt >= 30) {
            failed++
            lastRefusal = String((err as Error).message).slice(0, 120)
            break
          }
          refusals++
          lastRefusal = String(err.message).slice(0, 120)
          await sleep(RETRY_MS)
        }
      }
    }
  }))
  log(`${name}: devices done in ${((Date.now() - t0) / 1000).toFixed(1)} s (${latencies.length} accepted, ${refusals} refusals, ${failed} failed); waiting for the inbox`)
  const accepted = latencies.length
  let lastCount = -1
  let lastChange = Date.now()
  for (;;) {
    await arrivals(sandbox, prefix, seen).catch(() => undefined)
    const count = new Set([...seen.keys()].map((k) => k.split(' ').slice(0, 3).join(' '))).size
    if (count !== lastCount) {
      lastCount = count
      lastChange = Date.now()
    }
    if (count >= accepted || Date.now() - lastChange > STALL_MS) break
    await sleep(250)
  }
  clearInterval(sampler)
  clearInterval(poller)
  // Peak against what stays: garbage not yet collected, or bytes still held.
  await sleep(IDLE_AFTER_MS)
  const rssAfterMb = rssMb(pid)
  const subjects = [...seen.keys()].map((k) => k.split(' ').slice(0, 3).join(' '))
  const delivered = new Set(subjects).size
  const last = Math.max(...seen.values())
  return {
    latencies,
    refusals,
    failed,
    delivered,
    duplicates: subjects.length - delivered,
    drainMs: last - t0,
    rssPeakMb,
    rssAfterMb,
    lastRefusal,
  }
}

async function ourSide(runtime: 'node' | 'deno', sandbox: Sandbox, tapPort: number): Promise<SideResult> {
  const work = await mkdtemp(join(tmpdir(), 'mailkey-bench-gw-'))
  const caFile = join(work, 'ca.pem')
  await writeFile(caFile, sandbox.caPem)
  let relay: RelayProcess | undefined
  try {
    relay = await startRelay({
      runtime,
      // On Node the compiled relay, as npm start and npm run relay run it.
      compiled: true,
      env: {
        RELAY_GATEWAY: '1',
        RELAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
        RELAY_DATA_DIR: join(work, 'data'),
        RELAY_SMTP_HOSTS: `localhost:${tapPort}`,
        RELAY_TOKEN_HOSTS: sandbox.tokenHost,
        RELAY_CA_FILE: caFile,
        RELAY_INGRESS: '127.0.0.1:0/starttls',
        RELAY_INGRESS_MAX_PER_ADDRESS: String(DEVICES * 2),
        RELAY_MAILBOX_RATE: '10000',
      },
    })
    const url = relay.url
    let cookie = ''
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(body !== undefined && { 'Content-Type': 'application/json' }), ...(cookie && { Cookie: cookie }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      const json = (await res.json()) as Record<string, any>
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`)
      return { json, setCookie: res.headers.get('set-cookie') }
    }
    const login = await api('POST', '/api/admin/login', { password: ADMIN_PASSWORD })
    cookie = login.setCookie!.split(';')[0]!
    const mb = await api('POST', '/api/admin/mailboxes', {
      name: 'scanners',
      address: MAILBOX,
      smtp: { host: 'localhost', port: tapPort, security: 'starttls' },
      tokenSource: 'app',
      tenantId: sandbox.info.tenantId,
      clientId: sandbox.info.clientId,
      clientSecret: sandbox.info.clientSecret,
      tokenEndpoint: sandbox.info.tokenEndpoint,
    })
    const creds: Credentials = []
    for (let i = 0; i < DEVICES; i++) {
      const dev = await api('POST', '/api/admin/devices', { name: `MFD ${i + 1}`, mailboxId: mb.json.mailbox.id, smtpAuth: true, fromPolicy: 'mailbox' })
      creds.push({ user: dev.json.credentials.username, password: dev.json.credentials.password })
    }
    const ingress = await api('GET', '/api/admin/ingress')
    const port = ingress.json.listeners[0].port as number
    const pid = listenerPid(new URL(url).port as unknown as number)
    return await runSide(`gateway-${runtime}`, sandbox, port, creds, pid)
  } finally {
    await relay?.stop()
    await rm(work, { recursive: true, force: true })
  }
}

async function proxySide(sandbox: Sandbox, tapPort: number, notes: string[]): Promise<SideResult | undefined> {
  const ca = createCertificateAuthority('mailkey bench local CA')
  const cert = issueServerCertificate(ca, { dns: ['localhost'], ip: ['127.0.0.1'] })
  const proxy = await startEmailProxy({
    upstream: { host: 'localhost', port: tapPort },
    account: MAILBOX,
    tokenUrl: sandbox.info.tokenEndpoint,
    scope: APP_SCOPE,
    clientId: sandbox.info.clientId,
    clientSecret: sandbox.info.clientSecret,
    caPem: sandbox.caPem,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
  })
  if ('skipped' in proxy) {
    notes.push(`email-oauth2-proxy: skipped (${proxy.skipped})`)
    log(`email-oauth2-proxy skipped: ${proxy.skipped}`)
    return undefined
  }
  notes.push(`email-oauth2-proxy: ${proxy.how}; --no-gui, client_credentials, local_starttls + server_starttls`)
  try {
    // The device password only encrypts the proxy's token cache: one for all devices.
    const creds: Credentials = Array.from({ length: DEVICES }, () => ({ user: MAILBOX, password: 'bench-device' }))
    return await runSide('email-oauth2-proxy', sandbox, proxy.port, creds, listenerPid(proxy.port))
  } finally {
    await proxy.stop()
  }
}

export async function deviceFigures(): Promise<{ figures: Figure[]; notes: string[]; lines: string[] }> {
  const notes: string[] = []
  const lines: string[] = []
  const sandbox = await startSandboxProcess()
  const tap = await startTap({ host: '127.0.0.1', port: sandbox.info.smtp.port }, DELAY_MS)
  const figures: Figure[] = []
  try {
    const proxy = await proxySide(sandbox, tap.port, notes)
    for (const runtime of RUNTIMES) {
      const ours = await ourSide(runtime, sandbox, tap.port)
      const label = (what: string) => `gateway (${runtime}) vs proxy: ${what}`
      const q = (r: SideResult | undefined, p: number) => (r && r.latencies.length ? quantile(r.latencies, p) : undefined)
      const p50: Figure = { id: `devices_${runtime}_p50`, label: label('device-visible ms/scan, p50'), unit: 'ms', ours: q(ours, 0.5), nodemailer: q(proxy, 0.5), target: '≤ 0.5×' }
      const p95: Figure = { id: `devices_${runtime}_p95`, label: label('device-visible ms/scan, p95'), unit: 'ms', ours: q(ours, 0.95), nodemailer: q(proxy, 0.95) }
      const drain: Figure = { id: `devices_${runtime}_drain`, label: label(`all ${SCANS} delivered after`), unit: 's', ours: ours.drainMs / 1000, nodemailer: proxy && proxy.drainMs / 1000, target: '≤ 1.0×' }
      const lost = (r: SideResult) => SCANS - r.delivered
      const lostF: Figure = { id: `devices_${runtime}_lost`, label: label('scans lost'), unit: 'scans', ours: lost(ours), nodemailer: proxy && lost(proxy), target: 'ours = 0', met: lost(ours) === 0 }
      const rss: Figure = { id: `devices_${runtime}_rss`, label: label('process RSS, peak'), unit: 'MB', ours: ours.rssPeakMb, nodemailer: proxy?.rssPeakMb, target: 'ours ≤ 120 MB', met: ours.rssPeakMb <= 120 }
      const after: Figure = { id: `devices_${runtime}_rss_after`, label: label('process RSS, 10 s after the drain'), unit: 'MB', ours: ours.rssAfterMb, nodemailer: proxy?.rssAfterMb }
      const refused: Figure = { id: `devices_${runtime}_refused`, label: label('4xx answers to devices (retried)'), unit: 'answers', ours: ours.refusals, nodemailer: proxy?.refusals }
      if (proxy) {
        p50.met = p50.ours! <= 0.5 * p50.nodemailer!
        drain.met = drain.ours! <= drain.nodemailer!
      }
      figures.push(p50, p95, drain, lostF, rss, after, refused)
      const sides = [[`gateway-${runtime}`, ours], ...(runtime === RUNTIMES[0] ? [['email-oauth2-proxy', proxy] as const] : [])] as const
      for (const [side, r] of sides) {
        if (!r) continue
        if (r.duplicates) notes.push(`${side}: ${r.duplicates} duplicate deliveries`)
        if (r.failed) notes.push(`${side}: ${r.failed} scans failed at the device (${r.lastRefusal})`)
        else if (r.refusals) notes.push(`${side}: last refusal: ${r.lastRefusal}`)
        lines.push(JSON.stringify({ bench: 'mailkey', figure: 'devices', side, scans: SCANS, devices: DEVICES, accepted: r.latencies.length, p50: q(r, 0.5), p95: q(r, 0.95), drainMs: r.drainMs, delivered: r.delivered, duplicates: r.duplicates, refusals: r.refusals, failed: r.failed, rssPeakMb: Math.round(r.rssPeakMb * 10) / 10, rssAfterMb: Math.round(r.rssAfterMb * 10) / 10 }))
      }
    }
    notes.push(
      `devices: ${SCANS} scans of ${SCAN_BYTES / 1024} KB from ${DEVICES} devices (new connection each, STARTTLS, AUTH PLAIN), ` +
        `upstream = the sandbox SMTP through a proxy adding ${DELAY_MS} ms each way, RELAY_MAILBOX_RATE=10000; ` +
        `a 4xx is retried by the device after ${RETRY_MS} ms; the proxy side ran first`,
    )
  } finally {
    await tap.close()
    await sandbox.stop()
  }
  return { figures, notes, lines }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { table } = await import('./report.ts')
  const { figures, notes, lines } = await deviceFigures()
  process.stdout.write(`\n${table(figures, 'email-oauth2-proxy', 'ours/proxy')}\n\n`)
  for (const n of notes) process.stdout.write(`note: ${n}\n`)
  for (const l of lines) process.stdout.write(`${l}\n`)
}
