/**
 * The connection: a socket (plain, then maybe TLS), the replies read from it, and writes.
 * It knows bytes, replies, timeouts and TLS; it does not know SMTP commands.
 *
 * Uses only `node:net` and `node:tls`, so it runs on Node and on Deno.
 *
 * @module
 */
import net from 'node:net'
import tls from 'node:tls'
import { ReplyFormatError, ReplyReader } from './reply.ts'
import { keepSession, sessionFor, sessionKeyFor } from './tls-sessions.ts'
import type { Reply } from './types.ts'

/** The named timeouts; `Timeouts` in types.ts gives their lengths. */
export type TimeoutName = 'connect' | 'greeting' | 'command' | 'dataEnd'

export type WireFailure = 'timeout' | 'socket' | 'tls' | 'protocol' | 'aborted'

/** A failure below the SMTP layer; the session turns it into an `SmtpError` with its stage. */
export class WireError extends Error {
  readonly kind: WireFailure
  readonly timeout?: TimeoutName

  constructor(
    kind: WireFailure,
    message: string,
    opts: { timeout?: TimeoutName; cause?: unknown } = {}
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'WireError'
    this.kind = kind
    if (opts.timeout) this.timeout = opts.timeout
  }
}

export interface TlsParams {
  /** The name the certificate must carry; sent as SNI unless it is an IP literal. */
  host: string
  /** Extra trusted roots (PEM), added to the default ones. */
  ca?: string | string[]
  /** The server's port: with the host and the roots, it keys the TLS sessions kept to resume. */
  port?: number
}

/** How long a server may take to answer a QUIT sent with the last flight before we close. */
export const QUIT_GRACE_MS = 2_000

const seconds = (ms: number) => `${ms / 1000} s`

/**
 * Settles a socket-level step once: clears its timer and its abort listener; on failure
 * destroys `sockets`.
 */
function step<T>(
  signal: AbortSignal | undefined,
  timeoutMs: number,
  onTimeout: () => WireError,
  sockets: net.Socket[],
  resolve: (value: T) => void,
  reject: (error: WireError) => void
) {
  const fail = (error: WireError) => {
    done()
    for (const s of sockets) s.destroy()
    reject(error)
  }
  const onAbort = () =>
    fail(new WireError('aborted', 'the send was aborted', { cause: signal?.reason }))
  const timer = setTimeout(() => fail(onTimeout()), timeoutMs)
  const done = () => {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  return {
    fail,
    succeed: (value: T) => {
      done()
      resolve(value)
    },
  }
}

/** Opens a TCP connection within `timeoutMs` (the connect timeout). */
export function connectTcp(
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted()
    const socket = net.connect({ host: address, port })
    const { fail, succeed } = step(
      signal,
      timeoutMs,
      () =>
        new WireError(
          'timeout',
          `no connection to ${address}:${port} within ${seconds(timeoutMs)}`,
          {
            timeout: 'connect',
          }
        ),
      [socket],
      resolve,
      reject
    )
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      // Each flight is one write; without this, a command written right after the TLS Finished
      // (EHLO) waits for the server to acknowledge it (Nagle, RFC 896): up to a round trip.
      socket.setNoDelay(true)
      succeed(socket)
    })
    socket.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        new WireError(
          'socket',
          `could not connect to ${address}:${port} (${e.code ?? e.message})`,
          {
            cause: e,
          }
        )
      ))
  })
}

const contexts = new Map<string, tls.SecureContext>()
const MAX_CONTEXTS = 16

/** The extra trusted roots as one string: the key of their context and of kept TLS sessions. */
const caKey = (ca: string | string[] | undefined) => [ca ?? []].flat().join('\n')

/**
 * The client TLS context trusting the default roots plus `ca`. Built once per CA set: a context
 * holding every root certificate costs tens of milliseconds to build, more than the handshake.
 */
function secureContextFor(ca: string | string[] | undefined): tls.SecureContext {
  const extra = ca === undefined ? [] : [ca].flat()
  const key = caKey(ca)
  let context = contexts.get(key)
  if (!context) {
    // `ca` replaces the default roots in Node, so they are listed too: `ca` only adds roots.
    context = tls.createSecureContext({
      minVersion: 'TLSv1.2',
      ...(extra.length ? { ca: [...tls.rootCertificates, ...extra] } : {}),
    })
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value as string)
    contexts.set(key, context)
  }
  return context
}

const IS_DENO = 'Deno' in globalThis

/**
 * Deno's `node:tls` takes no prebuilt context: it hands `ca` to its own TLS (rustls) on every
 * connection, where it adds to the built-in roots. So only the extra roots are passed: listing
 * every root certificate too, as Node needs, parsed ~140 PEMs per connection and kept ~0.5 MB
 * each (300 connections: 232 MB).
 */
function denoTrust(ca: string | string[] | undefined): tls.ConnectionOptions {
  const extra = ca === undefined ? [] : [ca].flat()
  return extra.length ? { ca: extra } : {}
}

/**
 * Runs a TLS handshake over `plain` (implicit TLS or after STARTTLS). The certificate is always
 * verified against `host`; TLS 1.2 at least (Microsoft 365 refuses older, 421 4.7.66).
 * On failure both sockets are destroyed.
 */
export function handshake(
  plain: net.Socket,
  params: TlsParams,
  timeoutMs: number,
  signal?: AbortSignal
): Promise<tls.TLSSocket> {
  const options: tls.ConnectionOptions = {
    socket: plain,
    host: params.host,
    ...(IS_DENO ? denoTrust(params.ca) : { secureContext: secureContextFor(params.ca) }),
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  }
  // RFC 6066 §3: SNI carries DNS names only; an IP literal is still verified through `host`.
  if (!net.isIP(params.host)) options.servername = params.host
  const sessionKey = sessionKeyFor(params.host, params.port, caKey(params.ca))
  const offered = sessionFor(sessionKey)
  if (offered) options.session = offered as Buffer
  return new Promise((resolve, reject) => {
    const secure = tls.connect(options)
    // Kept only from a verified connection: a TLS 1.2 ticket arrives before the verification.
    let early: Uint8Array | undefined
    secure.on('session', (session: Uint8Array) => {
      if (secure.authorized) keepSession(sessionKey, session)
      else early = session
    })
    const { fail, succeed } = step(
      signal,
      timeoutMs,
      () =>
        new WireError('timeout', `TLS handshake not done within ${seconds(timeoutMs)}`, {
          timeout: 'connect',
        }),
      [secure, plain],
      resolve,
      reject
    )
    // Errors of the plain socket during the handshake end it too; afterwards they surface
    // through the TLS socket, and an unlistened 'error' must never crash the process.
    const onPlainError = (e: NodeJS.ErrnoException) =>
      fail(new WireError('socket', `connection error (${e.code ?? e.message})`, { cause: e }))
    plain.on('error', onPlainError)
    secure.once('secureConnect', () => {
      if (early && secure.authorized) keepSession(sessionKey, early)
      secure.removeAllListeners('error')
      plain.off('error', onPlainError)
      plain.on('error', () => {})
      succeed(secure)
    })
    secure.once('error', (e: NodeJS.ErrnoException) =>
      fail(
        new WireError('tls', `TLS with ${params.host} failed (${e.code ?? e.message})`, {
          cause: e,
        })
      ))
  })
}

/**
 * One SMTP connection. Replies are queued as they arrive; `read` takes the next one or fails
 * with a `WireError`. Any failure destroys the socket, so a failed wire is always closed.
 */
export class Wire {
  #socket: net.Socket
  #reader: ReplyReader
  #queue: Reply[] = []
  #waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined
  #failure: WireError | undefined
  #detach: () => void = () => {}
  #closeListeners = new Set<() => void>()
  /** Sees every server line (the session points it at its transcript). */
  onLine: (line: string) => void = () => {}

  constructor(socket: net.Socket) {
    this.#socket = socket
    this.#reader = new ReplyReader((line) => this.onLine(line))
    this.#attach(socket)
  }

  get closed(): boolean {
    return this.#failure !== undefined
  }

  get encrypted(): boolean {
    return this.#socket instanceof tls.TLSSocket
  }

  /** `TLSv1.3 TLS_AES_256_GCM_SHA384`, plus `(session resumed)` when it was; for the transcript. */
  get tlsDescription(): string {
    const s = this.#socket
    if (!(s instanceof tls.TLSSocket)) return 'none'
    const resumed = s.isSessionReused() ? ' (session resumed)' : ''
    return `${s.getProtocol() ?? 'TLS'} ${s.getCipher()?.name ?? ''}`.trim() + resumed
  }

  /** The local IP address, for an EHLO address literal. */
  get localAddress(): string | undefined {
    return this.#socket.localAddress
  }

  /** True when a reply or part of one has arrived that nobody has read. */
  get hasUnread(): boolean {
    return this.#queue.length > 0 || this.#reader.hasPartial
  }

  write(data: string | Uint8Array): void {
    if (!this.#failure) this.#socket.write(data)
  }

  /** The next reply, within `timeoutMs` (the timeout named `name`). */
  read(timeoutMs: number, name: TimeoutName): Promise<Reply> {
    const next = this.#queue.shift()
    if (next) return Promise.resolve(next)
    if (this.#failure) return Promise.reject(this.#failure)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(
          new WireError('timeout', `no reply within ${seconds(timeoutMs)}`, { timeout: name })
        )
      }, timeoutMs)
      this.#waiter = {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      }
    })
  }

  /**
   * Wraps the connection in TLS after a 220 to STARTTLS. Refuses when anything arrived after
   * that 220: such bytes were sent in clear text and would be read as if protected (RFC 3207
   * §4.2, "STARTTLS response injection", CVE-2011-0411 and kin).
   */
  async startTls(params: TlsParams, timeoutMs: number): Promise<void> {
    if (this.hasUnread) {
      const error = new WireError(
        'protocol',
        'the server sent data after its STARTTLS reply (response injection); refusing to continue'
      )
      this.fail(error)
      throw error
    }
    // Detach our listeners and timers before the TLS socket takes the plain one over.
    this.#detach()
    try {
      this.#socket = await handshake(this.#socket, params, timeoutMs)
    } catch (e) {
      this.fail(e as WireError)
      // When the caller aborted, that is the reason, not the handshake it interrupted.
      throw this.#failure ?? e
    }
    this.#attach(this.#socket)
  }

  /** Ends the wire with `error`: destroys the socket and fails the pending and later reads. */
  fail(error: WireError): void {
    if (this.#failure) return
    this.#failure = error
    this.#detach()
    this.#socket.on('error', () => {})
    this.#socket.destroy()
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.reject(error)
    for (const listener of this.#closeListeners) listener()
    this.#closeListeners.clear()
  }

  /** Destroys the connection now. */
  close(): void {
    this.fail(new WireError('socket', 'connection closed by the client'))
  }

  /**
   * Lets the server answer a QUIT already written, then closes; returns at once. The socket is
   * destroyed at the latest after `graceMs`.
   */
  closeAfterQuit(graceMs = QUIT_GRACE_MS): void {
    if (this.#failure) return
    const timer = setTimeout(() => this.close(), graceMs)
    ;(timer as { unref?: () => void }).unref?.()
    this.onClose(() => clearTimeout(timer))
  }

  /** Calls `listener` once when the wire closes for any reason. */
  onClose(listener: () => void): () => void {
    if (this.#failure) listener()
    else this.#closeListeners.add(listener)
    return () => this.#closeListeners.delete(listener)
  }

  /** Rejects reads and closes when `signal` aborts; returns the unbinding function. */
  bindSignal(signal: AbortSignal | undefined): () => void {
    if (!signal) return () => {}
    const onAbort = () =>
      this.fail(new WireError('aborted', 'the send was aborted', { cause: signal.reason }))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    return () => signal.removeEventListener('abort', onAbort)
  }

  #attach(socket: net.Socket): void {
    const onData = (chunk: Uint8Array) => {
      try {
        this.#queue.push(...this.#reader.push(chunk))
      } catch (e) {
        if (e instanceof ReplyFormatError) {
          return this.fail(new WireError('protocol', e.message, { cause: e }))
        }
        throw e
      }
      const waiter = this.#waiter
      const next = waiter && this.#queue.shift()
      if (waiter && next) {
        this.#waiter = undefined
        waiter.resolve(next)
      }
    }
    const onError = (e: NodeJS.ErrnoException) =>
      this.fail(new WireError('socket', `connection error (${e.code ?? e.message})`, { cause: e }))
    const onEnd = () => this.fail(new WireError('socket', 'connection closed by the server'))
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('end', onEnd)
    socket.on('close', onEnd)
    this.#detach = () => {
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('end', onEnd)
      socket.off('close', onEnd)
      socket.setTimeout(0)
    }
  }
}
