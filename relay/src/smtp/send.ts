/**
 * `sendMail`: the whole dialogue, top to bottom. Connect (plain or implicit TLS), greeting,
 * EHLO, STARTTLS and EHLO again, AUTH, then the mail transaction, with QUIT written along with
 * the last flight and not awaited.
 *
 * @module
 */
import type net from 'node:net'
import { Session } from './client.ts'
import { formatReply, SmtpError } from './errors.ts'
import { mechanismFor, type SaslMechanism } from './sasl/index.ts'
import { transact } from './transaction.ts'
import { Transcript } from './transcript.ts'
import type { Lease } from './pool.ts'
import type {
  SendOptions,
  SendResult,
  Stage,
  Timeouts,
  Timings,
  TranscriptLine,
} from './types.ts'
import { connectTcp, handshake, Wire, WireError } from './wire.ts'

/** Defaults of the named timeouts (ms). */
export const DEFAULT_TIMEOUTS: Timeouts = {
  // TCP connect, and the TLS handshake (implicit TLS or after STARTTLS).
  connectMs: 15_000,
  // From connection to the 220 greeting; servers may delay it on purpose
  // (RFC 5321 §4.5.3.2.1 suggests 5 min; a web request cannot wait that long).
  greetingMs: 30_000,
  // Any other reply (EHLO, AUTH, MAIL, RCPT, DATA's 354).
  commandMs: 30_000,
  // From the last byte of the message to the server's verdict (Microsoft 365 checks the
  // message and stores it in Sent Items first).
  dataEndMs: 60_000,
}

const ms = (start: number) => Math.round((performance.now() - start) * 10) / 10

/**
 * Sends one message. Resolves with the accepted and rejected recipients (partial acceptance is
 * a success) and the transcript; rejects with an `SmtpError` for every failure, the socket then
 * closed.
 *
 * With `pool`, an idle session for the same key is reused (an RSET first, pipelined) and the
 * session goes back to the pool afterwards; with `fresh` as well, a new connection carries the
 * message and ends with QUIT. A reused session the server had closed while it was idle is
 * replaced by a new connection without the caller seeing a failure (`closedBeforeMessage`).
 */
export function sendMail(opts: SendOptions): Promise<SendResult> {
  return attempt(opts, opts.fresh === true, [])
}

async function attempt(
  opts: SendOptions,
  fresh: boolean,
  earlier: TranscriptLine[]
): Promise<SendResult> {
  const start = performance.now()
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts }
  const mech = mechanismFor(opts.auth)
  const transcript = new Transcript(mech?.secrets ?? [])
  transcript.lines.push(...earlier)
  const timings: Timings = { connectMs: 0, tlsMs: 0, authMs: 0, totalMs: 0 }
  const keep = opts.fresh !== true
  let session: Session | undefined
  let lease: Lease | undefined
  try {
    checkEnvelope(opts)
    lease = await opts.pool?.acquire(opts, { fresh })
    if (lease?.session) {
      session = lease.session
      session.transcript = transcript
      transcript.info(reuseNote(opts, lease))
    } else {
      session = await open(opts, mech, timeouts, transcript, timings)
    }
    const unbind = session.wire.bindSignal(opts.signal)
    try {
      const result = await transact(session, {
        from: opts.envelope.from,
        to: opts.envelope.to,
        message: opts.message,
        eightBit: opts.eightBit,
        smtpUtf8: opts.smtpUtf8,
        reset: lease?.session !== undefined,
        quit: !lease || !keep,
      })
      timings.totalMs = ms(start)
      if (lease && keep) lease.release(session)
      else {
        session.wire.closeAfterQuit()
        // The slot is the pool's again once the connection has closed, not at the QUIT.
        const slot = lease
        if (slot) session.wire.onClose(() => slot.release(undefined))
      }
      return {
        accepted: result.accepted,
        rejected: result.rejected,
        response: formatReply(result.final),
        transcript: transcript.snapshot(),
        timings,
      }
    } finally {
      unbind()
    }
  } catch (e) {
    session?.wire.close()
    lease?.release(undefined)
    if (e instanceof CallerFailure) throw e.cause
    const error = e instanceof SmtpError ? e : new SmtpError({
      stage: 'connect',
      // The caller's signal fired before a connection existed (connecting, waiting for the pool).
      kind: opts.signal?.aborted ? 'aborted' : 'local',
      message: opts.signal?.aborted
        ? 'the send was aborted'
        : transcript.scrub(String((e as Error)?.message ?? e)),
      cause: e,
    })
    if (lease?.session && closedBeforeMessage(error, transcript.lines.slice(earlier.length))) {
      const why = error.reply ? formatReply(error.reply) : error.message
      transcript.info(
        `the server had closed the reused connection (${why}) before taking anything of ` +
          'this message; sending it on a new connection'
      )
      return attempt(opts, true, transcript.snapshot())
    }
    error.transcript = transcript.snapshot()
    throw error
  }
}

/** The transcript's line for a reused session: what is not repeated, and why. */
function reuseNote(opts: SendOptions, lease: Lease): string {
  const skipped = [
    'greeting',
    'EHLO',
    ...(opts.security === 'none' ? [] : ['TLS']),
    ...(opts.auth.type === 'none' ? [] : ['AUTH']),
  ]
  const idle = `${((lease.idleMs ?? 0) / 1000).toFixed(1)} s`
  const n = (lease.messages ?? 0) + 1
  return `reusing the connection to ${opts.host} port ${opts.port} opened for an earlier ` +
    `message (message ${n} on it, idle ${idle}): ${skipped.slice(0, -1).join(', ')} and ` +
    `${skipped.at(-1)} not repeated`
}

/**
 * Whether a reused connection failed before the server took up anything of this message, so
 * that sending it again cannot deliver it twice: the connection ended without a single reply
 * to this message's flight, or the first reply, the one to RSET, was 421 (the server closing
 * the channel, RFC 5321 §3.8). Servers close idle connections on their own timer; the close can
 * cross our flight on the way, and the server never reads it. Any other failure, a timeout
 * included, may follow a message the server accepted, and is the caller's to see.
 */
function closedBeforeMessage(error: SmtpError, lines: TranscriptLine[]): boolean {
  if (error.kind === 'socket') return !lines.some((l) => l.dir === 'S')
  return error.kind === 'reply' && error.command === 'RSET' && error.reply?.code === 421
}

/** A failure of the caller's own `resolveAddress`: handed back to the caller as it is. */
class CallerFailure {
  readonly cause: unknown
  constructor(cause: unknown) {
    this.cause = cause
  }
}

/** Where a new connection goes: the caller's `resolveAddress`, `connectAddress` or `host`. */
async function addressOf(opts: SendOptions): Promise<string> {
  if (!opts.resolveAddress) return opts.connectAddress ?? opts.host
  try {
    return await opts.resolveAddress()
  } catch (e) {
    throw new CallerFailure(e)
  }
}

/** Connects, greets, secures and authenticates a new session. */
async function open(
  opts: SendOptions,
  mech: SaslMechanism | undefined,
  timeouts: Timeouts,
  transcript: Transcript,
  timings: Timings
): Promise<Session> {
  const address = await addressOf(opts)
  const tlsParams = { host: opts.host, port: opts.port, ...(opts.ca ? { ca: opts.ca } : {}) }
  let t = performance.now()
  let socket: net.Socket = await lower(
    'connect',
    transcript,
    connectTcp(address, opts.port, timeouts.connectMs, opts.signal)
  )
  timings.connectMs = ms(t)
  transcript.info(`connected to ${address} port ${opts.port}`)
  if (opts.security === 'tls') {
    t = performance.now()
    socket = await lower(
      'tls',
      transcript,
      handshake(socket, tlsParams, timeouts.connectMs, opts.signal)
    )
    timings.tlsMs = ms(t)
  }
  const wire = new Wire(socket)
  const session = new Session(wire, timeouts, transcript)
  if (opts.security === 'tls') transcript.info(`TLS established: ${wire.tlsDescription}`)
  const unbind = wire.bindSignal(opts.signal)
  try {
    await session.greeting()
    const name = opts.clientName ?? addressLiteral(wire.localAddress)
    await session.hello(name)
    if (opts.security === 'starttls') {
      t = performance.now()
      await session.startTls(tlsParams, name)
      timings.tlsMs = ms(t)
    }
    if (mech) {
      // Credentials never cross the network in clear text unless the relay allowed this host.
      if (!wire.encrypted && !opts.allowPlaintextAuth) {
        throw session.fail('auth', 'unavailable', 'refusing to send credentials without TLS')
      }
      t = performance.now()
      await session.authenticate(mech)
      timings.authMs = ms(t)
    }
    return session
  } catch (e) {
    wire.close()
    throw e
  } finally {
    unbind()
  }
}

/** Awaits a socket-level step, turning its `WireError` into an `SmtpError` of `stage`. */
async function lower<T>(stage: Stage, transcript: Transcript, step: Promise<T>): Promise<T> {
  try {
    return await step
  } catch (e) {
    if (!(e instanceof WireError)) throw e
    const message = e.kind === 'timeout' ? `${e.message} (${e.timeout} timeout)` : e.message
    throw new SmtpError({
      stage,
      kind: e.kind,
      message,
      cause: e,
      ...(e.timeout ? { timeout: e.timeout } : {}),
      transcript: transcript.lines,
    })
  }
}

/** RFC 5321 §4.1.3: the client's own address when it has no name to give. */
function addressLiteral(ip: string | undefined): string {
  if (!ip) return '[127.0.0.1]'
  if (ip.startsWith('::ffff:')) return `[${ip.slice(7)}]`
  return ip.includes(':') ? `[IPv6:${ip}]` : `[${ip}]`
}

const CONTROL = /[\r\n\0]/

function checkEnvelope(opts: SendOptions): void {
  const { from, to } = opts.envelope
  const bad = (stage: Stage, message: string) => new SmtpError({ stage, kind: 'local', message })
  if (CONTROL.test(from) || /[<>\s]/.test(from)) {
    throw bad('mail', 'the sender address holds characters not allowed on the envelope')
  }
  if (to.length === 0) throw bad('rcpt', 'no recipients')
  for (const address of to) {
    if (CONTROL.test(address) || /[<>\s]/.test(address)) {
      throw bad('rcpt', 'a recipient address holds characters not allowed on the envelope')
    }
  }
}
