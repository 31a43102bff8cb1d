/**
 * An answer given before the request body was read (413 for a body over the limit) reaches the
 * client even while it is still sending: the relay keeps reading and discarding after its
 * answer until the client has finished (lingering close), instead of closing a socket with
 * unread bytes, which makes the kernel reset the connection and the client lose the answer.
 * On Node and Deno, against the real relay process.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorBody } from '../../src/lib/contract/api.ts'
import { type RelayProcess, startRelay } from '../helpers/relay-process.ts'

const MAX_MESSAGE_BYTES = 65_536
/** The route's body limit: the message limit plus its JSON allowance (routes/send.ts). */
const BODY_LIMIT = MAX_MESSAGE_BYTES + 256 * 1024

interface RawOutcome {
  /** Everything the relay sent. */
  answer: string
  /** A socket error seen while writing the rest of the body or reading (EPIPE, ECONNRESET). */
  error?: string
  /** The relay ended the connection with a FIN. */
  ended: boolean
}

/**
 * Sends a POST declaring `declared` bytes, writes `early` of them, waits for the whole answer,
 * then writes the rest as a slow client would, and ends.
 */
function postThenKeepSending(url: string, declared: number, early: number): Promise<RawOutcome> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname)
    let answer = ''
    let error: string | undefined
    let ended = false
    let restSent = false
    const chunk = Buffer.alloc(64 * 1024, 0x78)
    const sendRest = async () => {
      restSent = true
      for (let sent = early; sent < declared; sent += chunk.byteLength) {
        if (socket.destroyed) return
        const n = Math.min(chunk.byteLength, declared - sent)
        if (!socket.write(chunk.subarray(0, n))) await new Promise((r) => socket.once('drain', r))
      }
      if (!socket.destroyed) socket.end()
    }
    socket.setEncoding('latin1')
    socket.on('data', (text: string) => {
      answer += text
      // The whole answer is in once its body (Content-Length) has arrived.
      const head = answer.indexOf('\r\n\r\n')
      const length = /content-length:\s*(\d+)/i.exec(answer)
      if (!restSent && head >= 0 && length && answer.length >= head + 4 + Number(length[1])) {
        void sendRest()
      }
    })
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message))
    socket.on('end', () => (ended = true))
    socket.on('close', () => resolve({ answer, ...(error !== undefined && { error }), ended }))
    socket.write(
      `POST /api/send HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${declared}\r\n\r\n`,
    )
    socket.write(Buffer.alloc(early, 0x78))
  })
}

/** A chunked body twice the limit, sent as fetch streams it. */
async function chunkedOverLimit(url: string): Promise<{ status: number; code: string }> {
  const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
  let sent = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent > 2 * BODY_LIMIT) return controller.close()
      sent += chunk.byteLength
      controller.enqueue(chunk)
    },
  })
  const res = await fetch(`${url}/api/send`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
    duplex: 'half',
  } as RequestInit)
  return { status: res.status, code: ErrorBody.parse(await res.json()).error.code }
}

describe.each(['node', 'deno'] as const)('lingering close on %s', (runtime) => {
  let relay: RelayProcess
  beforeAll(async () => {
    relay = await startRelay({
      runtime,
      env: { RELAY_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES), RELAY_RATE_LIMIT: '100000' },
    })
  })
  afterAll(async () => {
    await relay?.stop()
  })

  it('answers 413 and reads on until a client still sending 4 MB has finished', async () => {
    const out = await postThenKeepSending(relay.url, 4 * 1024 * 1024, 512 * 1024)
    expect(out.answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(out.answer).toMatch(/"code":"PAYLOAD_TOO_LARGE"/)
    expect(out.error).toBeUndefined()
    expect(out.ended).toBe(true)
  })

  it('answers 413 to a client that sends all of a 30 MB body before it reads', async () => {
    const size = 30 * 1024 * 1024
    const out = await postThenKeepSending(relay.url, size, size)
    expect(out.answer).toMatch(/^HTTP\/1\.1 413 /)
    expect(out.error).toBeUndefined()
  })

  it('answers every one of 120 chunked bodies over the limit, 4 at a time', async () => {
    const outcomes: string[] = []
    const worker = async () => {
      while (outcomes.length < 120) {
        const i = outcomes.push('pending') - 1
        outcomes[i] = await chunkedOverLimit(relay.url).then(
          (r) => `${r.status} ${r.code}`,
          (err: unknown) => `failed: ${err instanceof Error ? (err.cause ?? err.message) : err}`,
        )
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    const wrong = outcomes.filter((o) => o !== '413 PAYLOAD_TOO_LARGE')
    expect(wrong).toEqual([])
  })

  it('is healthy afterwards', async () => {
    expect((await fetch(`${relay.url}/api/health`)).status).toBe(200)
    expect(relay.exitCode()).toBeNull()
  })
})
