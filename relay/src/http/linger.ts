/**
 * Lingering close for Node's HTTP server (nginx's `lingering_close`, Apache's
 * `lingering_close()`): when the relay answers before it has read the whole request body (413,
 * a refused origin …) with `Connection: close`, Node ends the socket at once and closes it while
 * the client is still sending. Closing a socket with unread bytes makes the kernel send a reset,
 * and a reset throws away the answer the client has not read yet: the client sees `EPIPE` or
 * "other side closed" instead of the 413.
 *
 * Here the answer and the FIN still go out at once, but the socket stays open for reading: what
 * the client keeps sending is read and discarded until it has finished (its FIN), or a bound in
 * bytes or time is hit, and only then is the socket closed (`Deno.serve` did this on its own; the
 * relay now serves with `node:http` on both runtimes, http/serve.ts).
 *
 * @module
 */
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'

export interface LingerLimits {
  /** Bytes discarded at most after the answer before the socket is closed anyway. */
  maxBytes: number
  /** Milliseconds at most from the answer to the close, however the client behaves. */
  maxMs: number
  /** Milliseconds without a byte from the client after which the socket is closed. */
  idleMs: number
}

/**
 * Generous for a client uploading a too-large message at LAN speed (64 MiB, 30 s), short for one
 * that stalls (2 s without a byte). Each lingering socket costs one small read buffer.
 */
export const LINGER_LIMITS: LingerLimits = { maxBytes: 64 * 1024 * 1024, maxMs: 30_000, idleMs: 2_000 }

const current = new WeakMap<Socket, IncomingMessage>()
const patched = new WeakSet<Socket>()
const lingering = new WeakSet<Socket>()

/**
 * Makes every connection of `server` close lingeringly when its request was answered before its
 * body was read to the end. Requests read to the end close as before.
 */
export function lingeringClose(server: Server, limits: LingerLimits = LINGER_LIMITS): void {
  server.on('request', (req: IncomingMessage) => {
    const socket = req.socket
    current.set(socket, req)
    if (patched.has(socket)) return
    patched.add(socket)
    // Node's server ends a `Connection: close` socket with destroySoon() as the answer finishes
    // (and @hono/node-server's own drain ends with it): the one place every early close passes.
    const destroySoon = socket.destroySoon.bind(socket)
    socket.destroySoon = () => {
      const req = current.get(socket)
      if (lingering.has(socket)) return
      if (!req || req.complete || socket.destroyed || socket.readableEnded) return destroySoon()
      lingering.add(socket)
      linger(socket, req, limits)
    }
  })
}

/**
 * Sends the answer and the FIN, then reads and discards until the request body has arrived to
 * its end or the client has closed its side, then closes. The bytes are counted as the request's
 * data: Node's HTTP parser reads the socket's handle directly, and a 'data' listener on the
 * socket itself would take the handle from the parser (and stall it).
 */
function linger(socket: Socket, req: IncomingMessage, limits: LingerLimits): void {
  let read = 0
  let idle: ReturnType<typeof setTimeout> | undefined
  const done = () => {
    clearTimeout(idle)
    clearTimeout(overall)
    req.off('data', onData)
  }
  const close = () => {
    done()
    socket.destroy()
  }
  const overall = setTimeout(close, limits.maxMs)
  const restartIdle = () => {
    clearTimeout(idle)
    idle = setTimeout(close, limits.idleMs)
  }
  const onData = (chunk: Buffer) => {
    read += chunk.byteLength
    if (read > limits.maxBytes) close()
    else restartIdle()
  }
  // The read side stays open (Node's HTTP server allows half-open sockets).
  socket.end()
  // The body's reader (the adapter's web stream, which nobody reads once the answer is sent)
  // would hold the flow back: the bytes are discarded here instead, as Node's own dump does.
  req.removeAllListeners('data')
  req.on('data', onData)
  req.once('end', close)
  socket.once('end', close)
  socket.once('error', close)
  socket.once('close', done)
  restartIdle()
  req.resume()
}
