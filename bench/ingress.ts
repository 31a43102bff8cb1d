/**
 * `npx tsx bench/ingress.ts`: what a device sees of the SMTP ingress alone, on loopback.
 * 10 devices, each sending 20 scans of 300 KB, a new connection per scan (as MFDs do):
 * greeting, EHLO, STARTTLS, EHLO, AUTH PLAIN, MAIL, RCPT, DATA, 250, QUIT. The commit is a real
 * one (each message written to a temp folder before the 250). Prints the device-visible time per
 * scan (connect → 250), p50/p95, and the process's RSS. Not part of `npm test` (no timed
 * assertions there); the gateway against email-oauth2-proxy end to end is bench/devices.ts.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startIngress } from '../relay/src/gateway/ingress.ts'
import { b64, MfdClient } from '../tests/helpers/mfd-client.ts'

const DEVICES = Number(process.env.DEVICES ?? 10)
const SCANS = Number(process.env.SCANS ?? 20)
const SCAN_BYTES = 300 * 1024

const dir = await mkdtemp(join(tmpdir(), 'mailkey-ingress-bench-'))
let n = 0
const ingress = await startIngress({
  config: {
    listeners: [{ host: '127.0.0.1', port: 0, security: 'starttls' }],
    minTls: 'TLSv1.2',
    plaintextAuth: false,
    maxConnectionsPerAddress: DEVICES * 2,
  },
  dataDir: join(dir, 'data'),
  limits: { closeTimeoutMs: 500 },
  log: () => undefined,
  authenticate: async ({ username, password }) => (password === 'bench' ? { id: username } : null),
  allowUnauthenticated: async () => null,
  accept: async (m) => {
    const id = `b${++n}`
    await writeFile(join(dir, `${id}.eml`), m.bytes)
    return { id }
  },
})
const port = ingress.listeners[0]?.port ?? 0
const body = Buffer.concat([
  Buffer.from('Subject: scan\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n'),
  Buffer.from(randomBytes((SCAN_BYTES * 3) / 4).toString('base64').replace(/.{76}/g, '$&\r\n') + '\r\n.\r\n'),
])

async function scan(device: number): Promise<number> {
  const start = performance.now()
  const c = await MfdClient.connect(port)
  await c.reply()
  await c.cmd('EHLO mfd')
  await c.cmd('STARTTLS')
  await c.startTls()
  await c.cmd('EHLO mfd')
  const auth = await c.cmd(`AUTH PLAIN ${b64(`\0dev${device}\0bench`)}`)
  if (!auth.startsWith('235')) throw new Error(auth)
  await c.cmd('MAIL FROM:<scanner@example.jp>')
  await c.cmd('RCPT TO:<taro@example.jp>')
  await c.cmd('DATA')
  c.write(body)
  const reply = await c.reply()
  const ms = performance.now() - start
  if (!reply.startsWith('250')) throw new Error(reply)
  await c.cmd('QUIT')
  c.close()
  return ms
}

const samples: number[] = []
const t0 = performance.now()
await Promise.all(
  Array.from({ length: DEVICES }, async (_, d) => {
    for (let i = 0; i < SCANS; i++) samples.push(await scan(d))
  }),
)
const total = performance.now() - t0
samples.sort((a, b) => a - b)
const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? NaN
const rssMb = process.memoryUsage().rss / 1024 / 1024
console.log(
  `ingress: ${samples.length} scans of ${SCAN_BYTES / 1024} KB from ${DEVICES} devices, new connection each, STARTTLS + AUTH PLAIN\n` +
    `  device-visible per scan: p50 ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms; all in ${(total / 1000).toFixed(2)} s; RSS ${rssMb.toFixed(0)} MB (client and server in one process)`,
)
console.log(JSON.stringify({ figure: 'ingress', scans: samples.length, p50: q(0.5), p95: q(0.95), totalMs: total, rssMb }))
await ingress.close()
await rm(dir, { recursive: true, force: true })
