/**
 * `npm run bench`: our SMTP engine side by side with Nodemailer, in one run, loopback only.
 *
 * (a) round trips per message, counted at a TCP tap, cold (new connection) and warm (reused:
 *     our pool, Nodemailer `pool: true`); (b) median and p95 latency per send through the tap
 *     adding 10 ms each way (20 ms RTT); (c) sends per second straight to the server,
 *     sequential and 20 concurrent; (d) the same round trips and latency against Postfix, which
 *     offers CHUNKING, plus warm sends of a 3 kB and a 6 kB message (see `bySize`); (e) gzip
 *     sizes of the page's initial JavaScript, when `build/` exists; (f) the relay over HTTP on
 *     Node and Deno, sequential sends with one token through the tap, against a Hono + Nodemailer
 *     relay with and without `pool: true` (relays.ts), to smtp-server and Postfix.
 *
 * smtp-server runs in a child process with STARTTLS (certificate made at run time) and XOAUTH2,
 * its fixed 100 ms pre-greeting pause switched off (see server.ts). Rounds alternate between
 * the clients so drift on a shared machine hits both alike. Prints a table, then one JSON line
 * per figure.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { buildMessage } from '../relay/src/mime/index.ts'
import { createCertificateAuthority, issueServerCertificate } from '../relay/src/tls/certs.ts'
import { median, quantile, sendsPerSecond, throughTap, type Sample } from './measure.ts'
import { postgresBin } from '../tests/helpers/postgres.ts'
import { deviceFigures } from './devices.ts'
import { gatewayFigures } from './gateway.ts'
import { loadFigures } from './load.ts'
import { pageFigures } from './pages.ts'
import { startSmtpServer } from './peer.ts'
import { startPostfix } from './postfix.ts'
import { relayFigures, type RelayTarget } from './relays.ts'
import { jsonLine, ratio, table, type Figure } from './report.ts'
import { CLIENTS, makeSender, type Client, type Target } from './senders.ts'
import { startTap } from './tap.ts'

/** One-way delay of the latency tap: 20 ms round trip, a nearby datacentre. */
const DELAY_MS = 10
/** Rounds per figure; the clients take turns, in alternating order, so drift hits both. */
const ROUNDS = 6
/** Sends per client through the tap, per mode (split over the rounds). */
const TAP_SENDS = { cold: 30, warm: 48 }
/** Sends per client on loopback, per mode (split over the rounds). */
const LOOPBACK = [
  { id: 'cold_seq', label: 'new connection, sequential', reuse: false, concurrency: 1, total: 120 },
  { id: 'warm_seq', label: 'reused, sequential', reuse: true, concurrency: 1, total: 600 },
  { id: 'cold_c20', label: 'new conn, 20 concurrent', reuse: false, concurrency: 20, total: 240 },
  {
    id: 'warm_c20',
    label: 'reused (≤3 conns), 20 concurrent',
    reuse: true,
    concurrency: 20,
    total: 1200,
  },
] as const

const log = (text: string) => process.stderr.write(`bench: ${text}\n`)

/**
 * `BENCH_ONLY=postfix` (or `smtp-server`, `relay`, `pages`, `gateway`, comma-separated) runs only
 * those parts; `relay` is the relay over HTTP against smtp-server, and against Postfix when
 * installed; `gateway` the relay's start time and idle RSS with the gateway off/SQLite/PostgreSQL;
 * `load` the relay's RSS at 100 concurrent sends, idle, peak and 3 s after (load.ts);
 * `devices` the gateway against email-oauth2-proxy (devices.ts: `SCANS`, `DEVICES`,
 * `GATEWAY_RUNTIMES`, `EMAILPROXY_SRC`).
 */
const ONLY = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim())
const wanted = (part: string) => !ONLY || ONLY.includes(part)

async function perClient<T>(rounds: number, run: (client: Client) => Promise<T[]>) {
  const results: Record<Client, T[]> = { ours: [], nodemailer: [] }
  for (let round = 0; round < rounds; round++) {
    for (const client of round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse()) {
      results[client].push(...(await run(client)))
    }
  }
  return results
}

/** (a) and (b), and (d) when the target is Postfix. */
async function viaTap(
  target: Target,
  server: string,
  chunking: boolean,
  modes: readonly ('cold' | 'warm')[] = ['cold', 'warm'],
  variant?: { id: string; label: string }
): Promise<Figure[]> {
  const tap = await startTap({ host: '127.0.0.1', port: target.port }, DELAY_MS)
  const figures: Figure[] = []
  try {
    const tapped = { ...target, port: tap.port }
    for (const mode of modes) {
      const reuse = mode === 'warm'
      const samples = await perClient<Sample>(ROUNDS, async (client) => {
        const sender = makeSender(client, tapped, reuse)
        try {
          return await throughTap(tap, sender, TAP_SENDS[mode] / ROUNDS, reuse)
        } finally {
          await sender.close()
        }
      })
      const rt = (c: Client) => median(samples[c].map((s) => s.roundTrips))
      const spread = (c: Client) => {
        const r = samples[c].map((s) => s.roundTrips)
        return Math.min(...r) === Math.max(...r) ? '' : `${c} ${Math.min(...r)}–${Math.max(...r)}`
      }
      const bdat = samples.ours.some((s) => s.usedBdat)
      // Nodemailer runs a full TLS handshake on every connection; ours resumes sessions.
      const resumed = mode === 'cold'
        ? `ours resumed TLS on ${samples.ours.filter((s) => s.resumedTls).length} of ` +
          `${samples.ours.length} connections`
        : ''
      const rtFigure: Figure = {
        id: `${server}_rt_${mode}${variant?.id ?? ''}`,
        label: `${server}: round trips/message, ${mode}${variant?.label ?? ''}`,
        unit: 'round trips',
        ours: rt('ours'),
        nodemailer: rt('nodemailer'),
        note: [
          `ours ${bdat ? 'used' : 'did not use'} BDAT`,
          resumed,
          spread('ours'),
          spread('nodemailer'),
        ]
          .filter(Boolean)
          .join('; '),
      }
      if (chunking && mode === 'cold') {
        rtFigure.target = 'ours ≤ nodemailer − 1'
        rtFigure.met = rtFigure.ours! <= rtFigure.nodemailer! - 1
      }
      if (chunking && mode === 'warm') {
        rtFigure.target = 'ours = 1'
        rtFigure.met = rtFigure.ours === 1
      }
      figures.push(rtFigure)
      for (const [q, name] of [
        [0.5, 'median'],
        [0.95, 'p95'],
      ] as const) {
        const f: Figure = {
          id: `${server}_latency_${mode}_${name}${variant?.id ?? ''}`,
          label: `${server}: ms/send at 20 ms RTT, ${mode}, ${name}${variant?.label ?? ''}`,
          unit: 'ms',
          ours: quantile(samples.ours.map((s) => s.latencyMs), q),
          nodemailer: quantile(samples.nodemailer.map((s) => s.latencyMs), q),
          target: '≤ 0.85×',
        }
        f.met = ratio(f)! <= 0.85
        figures.push(f)
      }
      log(`${server} ${mode}: done`)
    }
  } finally {
    await tap.close()
  }
  return figures
}

/** (c) Sends per second straight to the server. */
async function loopback(target: Target): Promise<Figure[]> {
  // Warm-up: JIT, TLS session machinery, the server's first connections.
  for (const client of CLIENTS) {
    const sender = makeSender(client, target, false)
    for (let i = 0; i < 10; i++) await sender.send()
    await sender.close()
  }
  const figures: Figure[] = []
  for (const mode of LOOPBACK) {
    const rates = await perClient(ROUNDS, async (client) => {
      const sender = makeSender(client, target, mode.reuse)
      try {
        return [await sendsPerSecond(sender, mode.total / ROUNDS, mode.concurrency)]
      } finally {
        await sender.close()
      }
    })
    const f: Figure = {
      id: `loopback_${mode.id}`,
      label: `loopback sends/s, ${mode.label}`,
      unit: 'sends/s',
      ours: median(rates.ours),
      nodemailer: median(rates.nodemailer),
      target: '≥ 1.2×',
    }
    f.met = ratio(f)! >= 1.2
    figures.push(f)
    log(`loopback ${mode.id}: done`)
  }
  return figures
}

/** A plain message of about `size` bytes. */
function sizedMessage(size: number): Uint8Array {
  const line = 'y'.repeat(70) + '\r\n'
  const body = line.repeat(Math.ceil(size / line.length))
  return new TextEncoder().encode('Subject: size\r\n\r\n' + body)
}

/** Message sizes of the warm Postfix sends on loopback (see `bySize`). */
const SIZES = [3_000, 6_000, 100_000]

/**
 * Warm sends straight to Postfix with a message just under and just over 4 KiB, and a large
 * one. Postfix reads through a 4 KiB buffer and flushes the replies to pipelined commands when
 * it runs dry, so a BDAT chunk longer than that gets its reply in a second small segment, which
 * waits for the client's delayed ACK (~40 ms on Linux, Nagle on the server side). DATA never
 * shows it: the body follows the 354, carrying the ACK. Our engine answers such early replies
 * with the first letters of the next message's RSET (transaction.ts, `releaseFinalReply`),
 * which carry the ACK at once.
 */
async function bySize(target: Target): Promise<Figure[]> {
  const figures: Figure[] = []
  for (const size of SIZES) {
    const sized = { ...target, message: sizedMessage(size) }
    const times = await perClient(2, async (client) => {
      const sender = makeSender(client, sized, true)
      try {
        await sender.send()
        const t: number[] = []
        for (let i = 0; i < 12; i++) {
          const start = performance.now()
          await sender.send()
          t.push(performance.now() - start)
        }
        return t
      } finally {
        await sender.close()
      }
    })
    figures.push({
      id: `postfix_loopback_warm_${size / 1000}k_median`,
      label: `postfix: loopback ms/send, warm, ${size / 1000} kB message`,
      unit: 'ms',
      ours: median(times.ours),
      nodemailer: median(times.nodemailer),
    })
  }
  return figures
}

async function main() {
  const started = performance.now()
  const ca = createCertificateAuthority('mailkey bench CA')
  const cert = issueServerCertificate(ca, { dns: ['localhost'], ip: ['127.0.0.1'] })
  const user = 'bench@example.jp'
  const token = randomBytes(32).toString('base64url')
  const built = await buildMessage({
    from: `ベンチ送信者 <${user}>`,
    to: ['受信者 <rcpt1@example.jp>', 'rcpt2@example.com'],
    subject: 'mailkey ベンチマーク / benchmark',
    text: 'こんにちは。これはベンチマーク用のメッセージです。\n'.repeat(40),
  })
  const base: Omit<Target, 'port'> = {
    host: 'localhost',
    security: 'starttls',
    ca: ca.certPem,
    auth: { type: 'xoauth2', user, accessToken: token },
    envelope: built.envelope,
    message: built.raw,
  }
  const figures: Figure[] = []
  const notes: string[] = [
    `node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(1)}, ` +
      `message ${built.raw.length} bytes, 2 recipients`,
  ]

  const { certPem, keyPem } = cert
  const greetingPause = false
  if (wanted('smtp-server')) {
    const peer = await startSmtpServer({ cert: certPem, key: keyPem, user, token, greetingPause })
    try {
      const target = { ...base, port: peer.port }
      figures.push(...(await viaTap(target, 'smtp-server', false)))
      figures.push(...(await loopback(target)))
    } finally {
      await peer.stop()
    }
  }

  // (f) The relay over HTTP, a short message (under Postfix's 4 KiB read buffer).
  const relayMessage = {
    from: `ベンチ送信者 <${user}>`,
    to: ['受信者 <rcpt1@example.jp>'],
    subject: 'mailkey リレー ベンチマーク / relay benchmark',
    text: 'こんにちは。リレー経由のベンチマークです。\n'.repeat(10),
  }
  const relayRuntimes = ['node', 'deno'] as const
  const caFile = join(os.tmpdir(), `mailkey-bench-ca-${process.pid}.pem`)
  const viaRelay = async (port: number, server: string, chunking: boolean, auth: RelayTarget['auth']) => {
    const tap = await startTap({ host: '127.0.0.1', port }, DELAY_MS)
    try {
      const target: RelayTarget = {
        host: 'localhost',
        port: tap.port,
        caPem: ca.certPem,
        caFile,
        auth,
        message: relayMessage,
      }
      const got = await relayFigures(tap, target, server, [...relayRuntimes], chunking)
      log(`${server} relay: done`)
      return got
    } finally {
      await tap.close()
      await rm(caFile, { force: true })
    }
  }
  if (wanted('relay')) {
    const peer = await startSmtpServer({ cert: certPem, key: keyPem, user, token, greetingPause })
    try {
      figures.push(
        ...(await viaRelay(peer.port, 'smtp-server', false, {
          type: 'xoauth2',
          user,
          accessToken: token,
        })),
      )
    } finally {
      await peer.stop()
    }
  }

  const postfix = wanted('postfix') || wanted('relay')
    ? await startPostfix(cert)
    : { skipped: 'not asked for' }
  if ('skipped' in postfix) {
    notes.push(`postfix: skipped (${postfix.skipped})`)
  } else {
    try {
      // Postfix here has no SASL: both clients send without AUTH, over STARTTLS.
      notes.push('postfix: STARTTLS, no AUTH (no SASL configured), BDAT offered (CHUNKING)')
      notes.push(
        'postfix: a pipelined BDAT chunk over its 4 KiB read buffer is answered in two writes, ' +
          'the second sent only once a byte from the client acknowledges the first: above ' +
          '~4 KiB (this message) a warm send costs 2 round trips, below it 1'
      )
      const target: Target = { ...base, port: postfix.port, auth: { type: 'none' } }
      if (wanted('relay')) {
        figures.push(...(await viaRelay(postfix.port, 'postfix', true, { type: 'none' })))
      }
      if (wanted('postfix')) {
        figures.push(...(await viaTap(target, 'postfix', true)))
        // Under Postfix's 4 KiB read buffer, the case where one round trip is possible.
        const small = { ...target, message: sizedMessage(3_000) }
        const variant = { id: '_3k', label: ', 3 kB' }
        figures.push(...(await viaTap(small, 'postfix', true, ['warm'], variant)))
        figures.push(...(await bySize(target)))
      }
    } finally {
      await postfix.stop()
    }
  }

  const pages = wanted('pages') ? await pageFigures() : { figures: [], lines: [], notes: [] }
  notes.push(...pages.notes)
  // The relay's start time and idle RSS, gateway off / SQLite / PostgreSQL, Node and Deno.
  const gateway = wanted('gateway') && postgresBin() ? await gatewayFigures() : []
  if (wanted('gateway') && !postgresBin()) notes.push('gateway figures skipped: PostgreSQL is not installed')
  // The relay's RSS at 100 concurrent sends, Node (compiled and tsx) and Deno (load.ts).
  const load = wanted('load') ? await loadFigures() : { figures: [], lines: [] }
  // (g) Devices through the gateway and through email-oauth2-proxy.
  const devices = wanted('devices') ? await deviceFigures() : { figures: [], notes: [], lines: [] }
  notes.push(...devices.notes)

  if (figures.length) process.stdout.write(`\n${table(figures)}\n\n`)
  if (load.figures.length) process.stdout.write(`\n${table(load.figures, 'idle', 'peak/idle')}\n\n`)
  if (devices.figures.length) {
    process.stdout.write(`\n${table(devices.figures, 'email-oauth2-proxy', 'ours/proxy')}\n\n`)
  }
  for (const line of pages.lines) process.stdout.write(`${line}\n`)
  for (const note of notes) process.stdout.write(`note: ${note}\n`)
  process.stdout.write(
    'note: round trips = client flights after the greeting until the final reply ' +
      '(TCP connect and greeting not counted; a QUIT after it is off the critical path). ' +
      "smtp-server's 100 ms pre-greeting pause is switched off; latency includes connect. " +
      'Warm = 1 round trip needs CHUNKING: with DATA the body must wait for the 354. ' +
      'Our engine resumes TLS sessions on new connections (the cold JSON notes say how many); ' +
      'Nodemailer runs a full handshake on each.\n\n'
  )
  for (const f of [...figures, ...pages.figures]) process.stdout.write(`${jsonLine(f)}\n`)
  for (const f of devices.figures) process.stdout.write(`${jsonLine(f, 'emailproxy')}\n`)
  for (const f of load.figures) process.stdout.write(`${jsonLine(f, 'idle')}\n`)
  for (const line of [...gateway, ...load.lines, ...devices.lines]) process.stdout.write(`${line}\n`)
  log(`finished in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

await main()
