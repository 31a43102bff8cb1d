/**
 * Connection reuse in the real relay process, on Node and on Deno, against smtp-server
 * (STARTTLS, XOAUTH2): a second send with the same token goes over the connection the first
 * one opened (the transcript says so, the server saw one connection), a different token or
 * `smtp.reuse: false` opens a new one, an idle connection is closed after the relay's idle
 * time (RELAY_SMTP_IDLE_MS, shortened here) and on shutdown, a connection the server dropped
 * while idle is replaced without a failure, and 4 concurrent sends for one mailbox never open a
 * 4th connection. What the server saw comes from smtp-server's own command log.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SMTPServerOptions } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SendSuccess, type TranscriptLine } from '../../src/lib/contract/api.ts'
import { createCertificateAuthority } from '../../relay/src/tls/certs.ts'
import { type RelayProcess, startRelay } from '../helpers/relay-process.ts'
import { type SmtpPeer, type SmtpPeerOptions, startSmtpPeer } from '../helpers/smtp-peer.ts'
import { startTcpCut, type TcpCut } from '../helpers/tcp-cut.ts'
import { call } from './relay-fixtures.ts'

const ca = createCertificateAuthority('mailkey reuse test CA')
const credentials = {
  user: 'sender@contoso.example',
  token: `tok-${crypto.randomUUID()}`,
  password: `pw-${crypto.randomUUID()}`,
}
const OTHER_TOKEN = `tok-other-${crypto.randomUUID()}`

/** A peer plus the commands it received, per connection (smtp-server's debug log). */
interface Watched {
  peer: SmtpPeer
  /** Commands by connection id, in the order they were read. */
  commands: Map<string, string[]>
}

async function watchedPeer(server: Partial<SMTPServerOptions> = {}): Promise<Watched> {
  const commands = new Map<string, string[]>()
  const quiet = () => {}
  const logger = {
    trace: quiet,
    info: quiet,
    warn: quiet,
    error: quiet,
    fatal: quiet,
    debug(meta: { tnx?: string; cid?: string; command?: string }) {
      if (meta?.tnx !== 'command' || !meta.cid || !meta.command) return
      commands.set(meta.cid, [...(commands.get(meta.cid) ?? []), meta.command])
    },
  }
  const opts: SmtpPeerOptions = {
    ca,
    credentials,
    server: { logger: logger as unknown as SMTPServerOptions['logger'], ...server },
  }
  const peer = await startSmtpPeer(opts)
  peer.tokens.add(OTHER_TOKEN)
  return { peer, commands }
}

let dir: string
let caFile: string
/** Each test has its own server (and so its own counts); all share one CA. */
const peers: Record<string, Watched> = {}
let cutter: TcpCut

const NAMES = ['same', 'other', 'fresh', 'concurrent', 'idle', 'dropped', 'cut', 'shutdown']
const RUNTIMES = ['node', 'deno'] as const

/** Replies to DATA held until this many messages are being received at once. */
const HOLD_UNTIL = 3
let held: (() => void)[] = []
/** Messages the concurrent peer received (its own onData replaces the peer's record). */
const concurrentReceived: Record<string, string[]> = {}
let holding = true

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailkey-reuse-it-'))
  caFile = join(dir, 'ca.pem')
  await writeFile(caFile, ca.certPem)
  for (const runtime of RUNTIMES) {
    for (const name of NAMES) {
      const key = `${runtime}:${name}`
      const received: string[] = []
      if (name === 'concurrent') concurrentReceived[runtime] = received
      if (name === 'concurrent') {
        peers[key] = await watchedPeer({
          onData(stream, _session, callback) {
            stream.resume()
            stream.on('end', () => {
              received.push(runtime)
              const answer = () => callback(null, 'OK: queued')
              if (!holding) return answer()
              held.push(answer)
              if (held.length >= HOLD_UNTIL) {
                holding = false
                for (const release of held.splice(0)) release()
              }
            })
          },
        })
      } else if (name === 'dropped') {
        // smtp-server ends a connection idle this long with "421 Timeout - closing connection".
        peers[key] = await watchedPeer({ socketTimeout: 2_000 })
      } else {
        peers[key] = await watchedPeer()
      }
    }
  }
}, 120_000)

afterAll(async () => {
  await Promise.all(Object.values(peers).map((w) => w.peer.close()))
  await rm(dir, { recursive: true, force: true })
})

const sendBody = (port: number, over: { token?: string; reuse?: boolean } = {}) => ({
  smtp: {
    host: 'localhost',
    port,
    security: 'starttls',
    ...(over.reuse !== undefined && { reuse: over.reuse }),
  },
  auth: { type: 'xoauth2', user: credentials.user, accessToken: over.token ?? credentials.token },
  message: {
    from: `送信者 <${credentials.user}>`,
    to: ['admin@contoso.example'],
    subject: '再利用テスト / reuse test',
    text: '本文です。',
  },
})

const reused = (t: TranscriptLine[]) =>
  t.some((l) => l.dir === 'I' && /^reusing the connection to localhost port \d+ /.test(l.line))
const authenticated = (t: TranscriptLine[]) =>
  t.some((l) => l.dir === 'C' && l.line === 'AUTH XOAUTH2 ****')

describe.each(RUNTIMES)('connection reuse in the relay on %s', (runtime) => {
  let relay: RelayProcess
  /** The same relay with a short idle time. */
  let brief: RelayProcess
  const w = (name: string) => peers[`${runtime}:${name}`] as Watched

  const send = async (
    r: RelayProcess,
    port: number,
    over: { token?: string; reuse?: boolean } = {},
  ) => {
    const res = await call(r.url, '/api/send', sendBody(port, over))
    expect(res.status, res.text).toBe(200)
    return SendSuccess.parse(res.json)
  }

  beforeAll(async () => {
    cutter = await startTcpCut(w('cut').peer.port)
    const hosts = [...NAMES.map((n) => `localhost:${w(n).peer.port}`), `localhost:${cutter.port}`]
    const env = {
      RELAY_SMTP_HOSTS: hosts.join(','),
      RELAY_CA_FILE: caFile,
      RELAY_RATE_LIMIT: '1000',
    }
    ;[relay, brief] = await Promise.all([
      startRelay({ runtime, env }),
      startRelay({ runtime, env: { ...env, RELAY_SMTP_IDLE_MS: '200' } }),
    ])
  }, 180_000)

  afterAll(async () => {
    await Promise.all([relay?.stop(), brief?.stop()])
    await cutter?.close()
  })

  it('sends a second message with the same token over the connection the first one opened', async () => {
    const { peer, commands } = w('same')
    const first = await send(relay, peer.port)
    expect(reused(first.transcript)).toBe(false)
    expect(authenticated(first.transcript)).toBe(true)
    const second = await send(relay, peer.port)
    expect(reused(second.transcript)).toBe(true)
    expect(second.transcript[0]).toMatchObject({
      dir: 'I',
      line: expect.stringMatching(
        /^reusing the connection .*\(message 2 on it, .*\): greeting, EHLO, TLS and AUTH not repeated$/,
      ),
    })
    expect(authenticated(second.transcript)).toBe(false)
    expect(second.transcript.some((l) => l.line.startsWith('EHLO'))).toBe(false)
    expect(second.timings).toMatchObject({ connectMs: 0, tlsMs: 0, authMs: 0 })
    expect(peer.connections.total).toBe(1)
    expect(peer.messages).toHaveLength(2)
    const [session] = [...commands.values()]
    expect(session?.filter((c) => c === 'AUTH')).toHaveLength(1)
    expect(session).toContain('RSET')
  })

  it('never lets a different token use a connection another token authenticated', async () => {
    const { peer } = w('other')
    await send(relay, peer.port)
    const other = await send(relay, peer.port, { token: OTHER_TOKEN })
    expect(reused(other.transcript)).toBe(false)
    expect(authenticated(other.transcript)).toBe(true)
    expect(peer.connections.total).toBe(2)
    // Each token still finds its own connection.
    expect(reused((await send(relay, peer.port)).transcript)).toBe(true)
    expect(reused((await send(relay, peer.port, { token: OTHER_TOKEN })).transcript)).toBe(true)
    expect(peer.connections.total).toBe(2)
    expect(peer.messages).toHaveLength(4)
  })

  it('opens a new connection with the whole dialogue for reuse: false, and ends it', async () => {
    const { peer, commands } = w('fresh')
    await send(relay, peer.port)
    const fresh = await send(relay, peer.port, { reuse: false })
    expect(reused(fresh.transcript)).toBe(false)
    const lines = fresh.transcript.map((l) => `${l.dir} ${l.line}`)
    expect(lines[0]).toMatch(/^I connected to /)
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^S 220 /),
      expect.stringMatching(/^C EHLO /),
      'C STARTTLS',
      'C AUTH XOAUTH2 ****',
      'C QUIT',
    ]))
    expect(peer.connections.total).toBe(2)
    // The fresh connection was not kept: it said QUIT and closed; the first one is still idle.
    await vi.waitFor(() => expect(peer.connections.open).toBe(1), { timeout: 10_000 })
    const sessions = [...commands.values()]
    expect(sessions[1]?.at(-1)).toBe('QUIT')
    expect(reused((await send(relay, peer.port)).transcript)).toBe(true)
    expect(peer.connections.total).toBe(2)
  })

  it('never opens a 4th connection for one mailbox, even for 4 concurrent sends', async () => {
    const { peer } = w('concurrent')
    held = []
    holding = true
    const results = await Promise.all(Array.from({ length: 4 }, () => send(relay, peer.port)))
    expect(concurrentReceived[runtime]).toHaveLength(4)
    expect(peer.connections.max).toBe(3)
    expect(peer.connections.total).toBe(3)
    // The 4th waited for a slot and took the first connection that came free.
    expect(results.filter((r) => reused(r.transcript))).toHaveLength(1)
  })

  it('closes an idle connection after the idle time, with QUIT', async () => {
    const { peer, commands } = w('idle')
    await send(brief, peer.port)
    await vi.waitFor(() => expect(peer.connections.open).toBe(0), { timeout: 10_000 })
    expect([...commands.values()][0]?.at(-1)).toBe('QUIT')
    const next = await send(brief, peer.port)
    expect(reused(next.transcript)).toBe(false)
    expect(peer.connections.total).toBe(2)
  })

  it('replaces a connection the server closed while it was idle', async () => {
    const { peer } = w('dropped')
    await send(relay, peer.port)
    // smtp-server's own idle timeout: a 421, then it closes.
    await vi.waitFor(() => expect(peer.connections.open).toBe(0), { timeout: 10_000 })
    const next = await send(relay, peer.port)
    expect(reused(next.transcript)).toBe(false)
    expect(peer.connections.total).toBe(2)
    expect(peer.messages).toHaveLength(2)
  })

  it('sends again on a new connection when a reused one turns out dead at the first write', async () => {
    const { peer } = w('cut')
    await send(relay, cutter.port)
    // The server's side goes away; the relay finds out only when it writes the next message.
    cutter.cut()
    await vi.waitFor(() => expect(peer.connections.open).toBe(0), { timeout: 10_000 })
    const next = await send(relay, cutter.port)
    expect(cutter.resets).toBe(1)
    const notes = next.transcript.filter((l) => l.dir === 'I').map((l) => l.line)
    expect(notes[0]).toMatch(/^reusing the connection/)
    expect(notes[1]).toMatch(
      /^the server had closed the reused connection \(.*\) before taking anything of this message; sending it on a new connection$/,
    )
    expect(notes[2]).toMatch(/^connected to/)
    expect(authenticated(next.transcript)).toBe(true)
    expect(peer.connections.total).toBe(2)
    // Delivered once: the first attempt never reached the server.
    expect(peer.messages).toHaveLength(2)
  })

  it('closes its idle connections with QUIT when it shuts down', async () => {
    const { peer, commands } = w('shutdown')
    const own = await startRelay({
      runtime,
      env: {
        RELAY_SMTP_HOSTS: `localhost:${peer.port}`,
        RELAY_CA_FILE: caFile,
      },
    })
    try {
      await send(own, peer.port)
      expect(peer.connections.open).toBe(1)
      const code = await own.stop()
      expect(code, own.output()).toBe(0)
      await vi.waitFor(() => expect(peer.connections.open).toBe(0), { timeout: 10_000 })
      expect([...commands.values()][0]?.at(-1), own.output()).toBe('QUIT')
    } finally {
      await own.stop()
    }
  })
})
