/**
 * How long the relay keeps a connection, on Node and Deno, against the real relay process
 * (timeouts in relay/src/http/serve.ts):
 * - a kept-alive connection outlives the client's own idle time, so a client that reuses it
 *   never writes a request into a close (the answer would be lost: "other side closed"). The
 *   client is Node's fetch whose event loop stalls between requests, as on a loaded machine,
 *   beyond the 6 s after which Node's default (5 s) closed idle connections;
 * - a connection whose request head never completes (nothing sent, a partial head, a head
 *   dribbled a byte a second) is answered (408) and closed after the header timeout, and a
 *   malformed one at once (400).
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorBody } from '../../src/lib/contract/api.ts'
import { HTTP_TIMEOUTS } from '../../relay/src/http/serve.ts'
import { type RelayProcess, startRelay } from '../helpers/relay-process.ts'

/** Longer than Node's default keep-alive (5 s, closed 1 s later) and undici's (4 s). */
const STALL_MS = 7_000
const CONNECTIONS = 20
const ROUNDS = 2

/** Blocks this thread, timers and sockets included, as a busy event loop does. */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** What the relay did with a raw connection that sent `chunks` (one a second) and then waited. */
function rawOutcome(url: string, chunks: string[], waitMs: number): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    let answer = ''
    let error = ''
    const feed = chunks.map((c, i) => setTimeout(() => socket.write(c), i * 1000))
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(`still open after ${waitMs} ms`)
    }, waitMs)
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (answer += d))
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message))
    socket.on('close', () => {
      clearTimeout(timer)
      for (const t of feed) clearTimeout(t)
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]
      resolve(status ? `answered ${status}, closed` : `closed without an answer${error && ` (${error})`}`)
    })
  })
}

/** A slow head: a byte a second, for longer than the header timeout. */
const dribble = (text: string, n: number) => Array.from({ length: n }, (_, i) => text[i % text.length] as string)

const HEADS: { name: string; chunks: string[]; outcome: string }[] = [
  { name: 'nothing at all', chunks: [], outcome: 'answered 408, closed' },
  { name: 'half a request line', chunks: ['POST /api/se'], outcome: 'answered 408, closed' },
  {
    name: 'a head without its blank line',
    chunks: ['POST /api/send HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'],
    outcome: 'answered 408, closed',
  },
  {
    name: 'a head dribbled a byte a second',
    chunks: ['GET /api/health HTTP/1.1\r\nX-Slow: ', ...dribble('abcdefgh', 40)],
    outcome: 'answered 408, closed',
  },
  { name: 'binary garbage', chunks: ['\x00\x01\x02\xff junk\r\n\r\n'], outcome: 'answered 400, closed' },
  { name: 'an unknown HTTP version', chunks: ['GET / HTTP/9.9\r\n\r\n'], outcome: 'answered 400, closed' },
  { name: 'a header line without a colon', chunks: ['GET / HTTP/1.1\r\nHost x\r\n\r\n'], outcome: 'answered 400, closed' },
  {
    name: 'a space before the colon',
    chunks: ['GET / HTTP/1.1\r\nHost : x\r\n\r\n'],
    outcome: 'answered 400, closed',
  },
]

describe.each(['node', 'deno'] as const)('connection lifetimes on %s', (runtime) => {
  let relay: RelayProcess
  beforeAll(async () => {
    relay = await startRelay({ runtime, env: { RELAY_RATE_LIMIT: '100000' } })
  })
  afterAll(async () => {
    await relay?.stop()
  })

  it(`answers every request a stalling fetch client sends on its kept-alive connections (${ROUNDS} × ${CONNECTIONS})`, async () => {
    const round = () =>
      Promise.all(
        Array.from({ length: CONNECTIONS }, () =>
          fetch(`${relay.url}/api/send`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: '{}',
          }).then(
            async (res) => `${res.status} ${ErrorBody.parse(await res.json()).error.code}`,
            (err: unknown) => `failed: ${(err as Error).cause ?? err}`,
          )
        ),
      )
    const outcomes = await round()
    for (let i = 0; i < ROUNDS; i++) {
      // The answers are in, the connections idle in fetch's pool; the loop stalls, then the
      // next requests go out at once on the connections fetch still holds.
      stall(STALL_MS)
      outcomes.push(...(await round()))
    }
    expect(outcomes.filter((o) => o !== '400 INVALID_REQUEST')).toEqual([])
    expect(outcomes).toHaveLength((ROUNDS + 1) * CONNECTIONS)
  })

  it('answers or closes every connection whose head is partial, slow or malformed', async () => {
    // The header timeout, its check interval, and room for a loaded machine.
    const bound = HTTP_TIMEOUTS.headersMs + HTTP_TIMEOUTS.checkEveryMs + 20_000
    const got = await Promise.all(HEADS.map((h) => rawOutcome(relay.url, h.chunks, bound)))
    expect(Object.fromEntries(HEADS.map((h, i) => [h.name, got[i]]))).toEqual(
      Object.fromEntries(HEADS.map((h) => [h.name, h.outcome])),
    )
  })

  it('is healthy afterwards', async () => {
    expect((await fetch(`${relay.url}/api/health`)).status).toBe(200)
    expect(relay.exitCode()).toBeNull()
  })
})
