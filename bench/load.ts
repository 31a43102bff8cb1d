/**
 * `BENCH_ONLY=load npm run bench` (or `npx tsx bench/load.ts`): the relay's RSS at 100 concurrent
 * `/api/send` (issue 11, Memory). One relay process per runtime (Node: the compiled relay, and
 * the tsx one as the before; Deno), against a local smtp-server with STARTTLS (bench/server.ts,
 * any user with the token): idle RSS after start, then `LOAD_SENDS` sends with `LOAD_CONCURRENCY`
 * in flight, each from its own mailbox (user i mod concurrency, so the pool's limit of 3 per
 * mailbox does not serialise them: the worst case, 100 SMTP sessions wanted at once), RSS sampled
 * every 50 ms from /proc (peak), and RSS 3 s after the last answer. The listening process's RSS
 * (`ss -ltnp`), as gateway.ts measures it.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRelay } from '../tests/helpers/relay-process.ts'
import { createCertificateAuthority, issueServerCertificate } from '../relay/src/tls/certs.ts'
import { startSmtpServer } from './peer.ts'
import type { Figure } from './report.ts'

const CONCURRENCY = Number(process.env['LOAD_CONCURRENCY'] ?? 100)
const SENDS = Number(process.env['LOAD_SENDS'] ?? 500)
const AFTER_MS = 3_000
const IDLE_MS = 5_000

const pidOfListener = (port: string): string => {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' })
  const pid = /pid=(\d+)/.exec(out)?.[1]
  if (!pid) throw new Error(`no process listens on ${port}`)
  return pid
}
const rssMb = (pid: string) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
const round1 = (n: number) => Math.round(n * 10) / 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Variant {
  id: string
  runtime: 'node' | 'deno'
  compiled: boolean
  /** The issue's target for the peak, MB. */
  limit: number
}
const ALL_VARIANTS: Variant[] = [
  { id: 'node', runtime: 'node', compiled: true, limit: 80 },
  { id: 'node_tsx', runtime: 'node', compiled: false, limit: 80 },
  { id: 'deno', runtime: 'deno', compiled: false, limit: 120 },
]
const only = process.env['LOAD_VARIANTS']?.split(',')
const VARIANTS = ALL_VARIANTS.filter((v) => !only || only.includes(v.id))

export async function loadFigures(): Promise<{ figures: Figure[]; lines: string[] }> {
  const ca = createCertificateAuthority('mailkey load bench CA')
  const cert = issueServerCertificate(ca, { dns: ['localhost'], ip: ['127.0.0.1'] })
  const token = randomBytes(32).toString('base64url')
  const caFile = join(tmpdir(), `mailkey-load-ca-${process.pid}.pem`)
  writeFileSync(caFile, ca.certPem)
  const peer = await startSmtpServer({
    cert: cert.certPem,
    key: cert.keyPem,
    user: 'load0@example.jp',
    token,
    greetingPause: false,
    anyUser: true,
  })
  const figures: Figure[] = []
  const lines: string[] = []
  try {
    for (const v of VARIANTS) {
      const relay = await startRelay({
        runtime: v.runtime,
        compiled: v.compiled,
        env: {
          RELAY_SMTP_HOSTS: `localhost:${peer.port}`,
          RELAY_CA_FILE: caFile,
          RELAY_RATE_LIMIT: '100000',
          RELAY_GATEWAY: '0',
          // Trials: V8 flags for the relay only (LOAD_NODE_OPTIONS, LOAD_DENO_V8_FLAGS).
          ...(process.env['LOAD_NODE_OPTIONS'] && { NODE_OPTIONS: process.env['LOAD_NODE_OPTIONS'] }),
          ...(process.env['LOAD_DENO_V8_FLAGS'] && { DENO_V8_FLAGS: process.env['LOAD_DENO_V8_FLAGS'] }),
          ...(process.env['LOAD_POOL_IDLE'] && { RELAY_SMTP_IDLE_MS: process.env['LOAD_POOL_IDLE'] }),
        },
      })
      try {
        const pid = pidOfListener(new URL(relay.url).port)
        await sleep(IDLE_MS)
        const idle = rssMb(pid)
        let peak = idle
        const sampler = setInterval(() => {
          peak = Math.max(peak, rssMb(pid))
        }, 50)
        let next = 0
        let failed = 0
        const codes = new Map<string, number>()
        const worker = async () => {
          while (next < SENDS) {
            const i = next++
            const user = `load${i % CONCURRENCY}@example.jp`
            const res = await fetch(`${relay.url}/api/send`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({
                smtp: { host: 'localhost', port: peer.port, security: 'starttls' },
                auth: { type: 'xoauth2', user, accessToken: token },
                message: {
                  from: user,
                  to: ['rcpt@example.jp'],
                  subject: 'mailkey load',
                  text: 'こんにちは。負荷試験です。\n'.repeat(700),
                },
              }),
            }).catch(() => undefined)
            const body = res ? ((await res.json().catch(() => ({}))) as { error?: { code?: string } }) : {}
            if (res?.status !== 200) {
              failed++
              const code = body.error?.code ?? (res ? String(res.status) : 'no answer')
              codes.set(code, (codes.get(code) ?? 0) + 1)
            }
          }
        }
        const t0 = performance.now()
        await Promise.all(Array.from({ length: CONCURRENCY }, worker))
        const seconds = (performance.now() - t0) / 1000
        await sleep(AFTER_MS)
        clearInterval(sampler)
        const after = rssMb(pid)
        const line = {
          figure: 'relay_rss_load',
          variant: v.id,
          concurrency: CONCURRENCY,
          sends: SENDS,
          failed,
          failures: Object.fromEntries(codes),
          sendsPerSecond: round1(SENDS / seconds),
          rssIdleMb: round1(idle),
          rssPeakMb: round1(peak),
          rssAfter3sMb: round1(after),
        }
        lines.push(JSON.stringify(line))
        process.stderr.write(
          `bench: load ${v.id.padEnd(8)} idle ${line.rssIdleMb} MB  peak ${line.rssPeakMb} MB  ` +
            `after 3 s ${line.rssAfter3sMb} MB  ${line.sendsPerSecond} sends/s  failed ${failed}\n`,
        )
        figures.push({
          id: `relay_rss_c${CONCURRENCY}_${v.id}`,
          label: `relay RSS at ${CONCURRENCY} concurrent (${v.id}${v.compiled ? ', compiled' : ''}): peak vs idle`,
          unit: 'MB',
          ours: round1(peak),
          nodemailer: round1(idle),
          target: `peak ≤ ${v.limit} MB`,
          met: peak <= v.limit,
          note: `3 s after the load ${round1(after)} MB; ${SENDS} sends, ${failed} failed`,
        })
      } finally {
        await relay.stop()
      }
    }
  } finally {
    await peer.stop()
    rmSync(caFile, { force: true })
  }
  return { figures, lines }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { lines } = await loadFigures()
  for (const line of lines) console.log(line)
}
