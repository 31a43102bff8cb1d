/**
 * A scripted SMTP server on a real loopback socket, for transcript tests in the style of Go's
 * net/smtp tests: the script says what the server sends and the exact bytes the client must
 * send at each point. A client that sends other bytes, or waits where the script expects it to
 * have sent something already (no pipelining), fails the test.
 *
 * @example
 * const peer = await scriptedPeer([
 *   { s: '220 ready\r\n' },
 *   { c: 'EHLO client.example\r\n' },
 *   { s: '250 hi\r\n' },
 * ])
 * ... run the client against peer.port ...
 * expect(await peer.done).toEqual({ ok: true, extra: '' })
 *
 * @module
 */
import { once } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'
import type { ServerCertificate } from '../../relay/src/tls/certs.ts'

export type Step =
  /** The server writes these bytes (a string is written as UTF-8). */
  | { s: string | Uint8Array }
  /** The client must send exactly these bytes next. */
  | { c: string }
  /**
   * The client sends anything up to and including these bytes (for clients whose exact bytes
   * are not the point, such as a relay's MIME message): waits for them and discards it all.
   */
  | { upto: string }
  /** The server wraps the connection in TLS (after its 220 to STARTTLS). */
  | { tls: true }
  /** The server closes the connection. */
  | { end: true }
  /** The server waits, saying nothing, until the promise this returns (called here) settles. */
  | { wait: () => Promise<unknown> }

export interface ScriptOutcome {
  /** True when every `c` step matched. */
  ok: boolean
  /** What differed, when `ok` is false. */
  mismatch?: string
  /** Bytes the client sent after the last `c` step (UTF-8), until it closed. */
  extra: string
  /** Whether the client completed a TLS handshake with the peer. */
  tls: boolean
}

export interface ScriptedPeer {
  port: number
  /** Resolves when the client has closed the connection (or the script ended it). */
  done: Promise<ScriptOutcome>
  /** The outcome of every connection so far (each one plays the whole script). */
  outcomes: ScriptOutcome[]
  /** How many connections have played the whole script (and may still be open). */
  played(): number
  close(): Promise<void>
}

export async function scriptedPeer(
  steps: Step[],
  opts: { cert?: ServerCertificate; implicitTls?: boolean } = {}
): Promise<ScriptedPeer> {
  const context = opts.cert
    ? tls.createSecureContext({ key: opts.cert.keyPem, cert: opts.cert.certPem })
    : undefined
  const server = opts.implicitTls && opts.cert
    ? tls.createServer({ key: opts.cert.keyPem, cert: opts.cert.certPem })
    : net.createServer()
  let resolveDone: (o: ScriptOutcome) => void = () => {}
  const done = new Promise<ScriptOutcome>((resolve) => (resolveDone = resolve))
  const sockets = new Set<net.Socket>()
  const outcomes: ScriptOutcome[] = []
  let played = 0
  server.on(opts.implicitTls ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    sockets.add(socket)
    const onPlayed = () => void played++
    void run(socket, steps, context, opts.implicitTls === true, onPlayed).then((outcome) => {
      outcomes.push(outcome)
      resolveDone(outcome)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  return {
    port,
    done,
    outcomes,
    played: () => played,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

async function run(
  first: net.Socket,
  steps: Step[],
  context: tls.SecureContext | undefined,
  startsSecure: boolean,
  onPlayed: () => void
): Promise<ScriptOutcome> {
  let socket = first
  let buffer = Buffer.alloc(0)
  let closed = false
  let wake = () => {}
  let secure = startsSecure
  const onData = (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    wake()
  }
  const onClose = () => {
    closed = true
    wake()
  }
  const listen = (s: net.Socket) => {
    s.on('data', onData)
    s.on('close', onClose)
    s.on('end', onClose)
    s.on('error', onClose)
  }
  const unlisten = (s: net.Socket) => {
    s.off('data', onData)
    s.off('close', onClose)
    s.off('end', onClose)
  }
  const until = async (ready: () => boolean) => {
    while (!ready() && !closed) await new Promise<void>((resolve) => (wake = resolve))
  }
  listen(socket)
  const outcome = (mismatch?: string): ScriptOutcome => ({
    ok: mismatch === undefined,
    ...(mismatch === undefined ? {} : { mismatch }),
    extra: buffer.toString('utf8'),
    tls: secure,
  })

  for (const step of steps) {
    if ('s' in step) {
      if (!closed) socket.write(step.s)
    } else if ('c' in step) {
      const want = Buffer.from(step.c, 'utf8')
      await until(() => buffer.length >= want.length)
      const got = buffer.subarray(0, want.length)
      if (!got.equals(want)) {
        socket.destroy()
        return outcome(
          `expected ${JSON.stringify(step.c)}, got ${JSON.stringify(buffer.toString('utf8'))}`
        )
      }
      buffer = buffer.subarray(want.length)
    } else if ('upto' in step) {
      const want = Buffer.from(step.upto, 'utf8')
      await until(() => buffer.indexOf(want) !== -1)
      const at = buffer.indexOf(want)
      if (at === -1) return outcome(`the client closed before sending ${JSON.stringify(step.upto)}`)
      buffer = buffer.subarray(at + want.length)
    } else if ('wait' in step) {
      await step.wait().catch(() => {})
    } else if ('tls' in step) {
      if (!context) throw new Error('a TLS step needs a certificate')
      unlisten(socket)
      const wrapped = new tls.TLSSocket(socket, { isServer: true, secureContext: context })
      socket = wrapped
      listen(wrapped)
      await Promise.race([once(wrapped, 'secure'), until(() => false)])
      if (closed) return outcome('the client closed during the TLS handshake')
      secure = true
    } else {
      socket.end()
    }
  }
  onPlayed()
  await until(() => false)
  socket.destroy()
  return outcome()
}
