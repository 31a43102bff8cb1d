/**
 * (f) The relay over HTTP: sequential `POST /api/send` with one token, through the latency tap
 * (10 ms each way) to the SMTP server, side by side in one run: our relay (compiled on Node, and Deno; with
 * reuse, and with RELAY_SMTP_IDLE_MS=0, the relay before reuse) and a Hono + Nodemailer relay
 * without pooling and with `pool: true` (nodemailer-relay.ts). Every relay is its own process;
 * the HTTP hop is loopback, only SMTP crosses the tap. Round trips per send are the client
 * flights at the tap between one send's final answer and the next's (see measure.ts, warm).
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { type RelayProcess, startRelay } from '../tests/helpers/relay-process.ts'
import { median, type Sample, throughTap } from './measure.ts'
import type { Figure } from './report.ts'
import type { Sender } from './senders.ts'
import type { Tap } from './tap.ts'

export interface RelayTarget {
  /** The certificate's name; the relays connect to 127.0.0.1 (ours through the allow-list). */
  host: string
  port: number
  caPem: string
  caFile: string
  auth: { type: 'xoauth2'; user: string; accessToken: string } | { type: 'none' }
  message: { from: string; to: string[]; subject: string; text: string }
}

interface Candidate {
  id: string
  url: string
  stop(): Promise<unknown>
}

const BASELINE = fileURLToPath(new URL('./nodemailer-relay.ts', import.meta.url))

async function startBaseline(target: RelayTarget, pooled: boolean): Promise<Candidate> {
  const child = spawn(process.execPath, ['--import', 'tsx', BASELINE], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      BENCH_SMTP_PORT: String(target.port),
      BENCH_CA: target.caPem,
      BENCH_POOL: pooled ? '1' : '0',
    },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`nodemailer relay exited (${code})`)))
    createInterface({ input: child.stdout! }).once('line', (line) => {
      resolve((JSON.parse(line) as { port: number }).port)
    })
  })
  return {
    id: pooled ? 'nm_pool' : 'nm_nopool',
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM')
      await exited
    },
  }
}

async function startOurs(
  target: RelayTarget,
  runtime: 'node' | 'deno',
  reuse: boolean,
): Promise<Candidate> {
  const relay: RelayProcess = await startRelay({
    runtime,
    // On Node the compiled relay, as `npm run relay` and `npm start` run it (not tsx).
    compiled: runtime === 'node',
    env: {
      RELAY_SMTP_HOSTS: `${target.host}:${target.port}`,
      RELAY_CA_FILE: target.caFile,
      RELAY_RATE_LIMIT: '100000',
      RELAY_SMTP_IDLE_MS: reuse ? '30000' : '0',
    },
  })
  return { id: `ours_${runtime}${reuse ? '' : '_noreuse'}`, url: relay.url, stop: relay.stop }
}

function httpSender(url: string, target: RelayTarget): Sender {
  const body = JSON.stringify({
    smtp: { host: target.host, port: target.port, security: 'starttls' },
    auth: target.auth,
    message: target.message,
  })
  return {
    async send() {
      const res = await fetch(`${url}/api/send`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      })
      const text = await res.text()
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text.slice(0, 300)}`)
      return {}
    },
    async close() {},
  }
}

/** Rounds; in each, every relay sends `perRound` messages, in alternating order. */
const ROUNDS = 6
const PER_ROUND = 8

export async function relayFigures(
  tap: Tap,
  target: RelayTarget,
  server: string,
  runtimes: ('node' | 'deno')[],
  chunking: boolean,
): Promise<Figure[]> {
  await writeFile(target.caFile, target.caPem)
  const candidates: Candidate[] = []
  try {
    candidates.push(await startBaseline(target, false), await startBaseline(target, true))
    for (const runtime of runtimes) {
      candidates.push(await startOurs(target, runtime, true), await startOurs(target, runtime, false))
    }
    const samples: Record<string, Sample[]> = {}
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? candidates : [...candidates].reverse()
      for (const c of order) {
        // One send first: it opens the connection a pooled relay then keeps (warm counting).
        const got = await throughTap(tap, httpSender(c.url, target), PER_ROUND, true)
        samples[c.id] = [...(samples[c.id] ?? []), ...got]
      }
    }
    const ms = (id: string) => median((samples[id] ?? []).map((s) => s.latencyMs))
    const rt = (id: string) => median((samples[id] ?? []).map((s) => s.roundTrips))
    const figures: Figure[] = []
    for (const runtime of runtimes) {
      const ours = `ours_${runtime}`
      const pair = (
        id: string,
        label: string,
        a: number,
        b: number,
        limit?: number,
      ): Figure => {
        const f: Figure = { id, label, unit: 'ms', ours: a, nodemailer: b }
        if (limit !== undefined) {
          f.target = `≤ ${limit.toFixed(1)}×`
          f.met = a / b <= limit
        }
        return f
      }
      figures.push(
        pair(
          `${server}_relay_${runtime}_vs_nopool`,
          `${server}: relay over HTTP (${runtime}) ms/send, one token, vs Hono+Nodemailer`,
          ms(ours),
          ms('nm_nopool'),
          0.5,
        ),
        pair(
          `${server}_relay_${runtime}_vs_pool`,
          `${server}: relay over HTTP (${runtime}) ms/send, one token, vs Hono+Nodemailer pool`,
          ms(ours),
          ms('nm_pool'),
          1.0,
        ),
        pair(
          `${server}_relay_${runtime}_before_vs_nopool`,
          `${server}: relay before reuse (${runtime}, IDLE_MS=0) vs Hono+Nodemailer`,
          ms(`${ours}_noreuse`),
          ms('nm_nopool'),
        ),
      )
      const rtFigure: Figure = {
        id: `${server}_relay_${runtime}_rt`,
        label: `${server}: relay (${runtime}) round trips/send, one token, vs Nodemailer pool`,
        unit: 'round trips',
        ours: rt(ours),
        nodemailer: rt('nm_pool'),
        note: `before reuse ${rt(`${ours}_noreuse`)}; Nodemailer without pool ${rt('nm_nopool')}`,
      }
      if (chunking) {
        rtFigure.target = 'ours = 1'
        rtFigure.met = rtFigure.ours === 1
      }
      figures.push(rtFigure)
    }
    return figures
  } finally {
    await Promise.all(candidates.map((c) => c.stop()))
  }
}
