/**
 * One SMTP session over a `Wire`: the command helper every verb goes through, and the verbs
 * that set a connection up (greeting, EHLO/HELO, STARTTLS, AUTH). The mail transaction lives in
 * transaction.ts, the order of things in send.ts.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import { Extensions } from './ehlo.ts'
import { formatReply, SmtpError } from './errors.ts'
import { base64, type SaslMechanism } from './sasl/index.ts'
import type { Transcript } from './transcript.ts'
import type { FailureKind, Reply, Stage, Timeouts } from './types.ts'
import { type TimeoutName, type TlsParams, type Wire, WireError } from './wire.ts'

/** If the server keeps sending challenges, something is wrong (as smtplib's _MAXCHALLENGE). */
export const MAX_SASL_ROUNDS = 5

/** A command line, or bytes (the body), each with what the transcript shows for it. */
export type Outgoing = string | { line: string; log: string } | { bytes: Uint8Array; log: string[] }

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const timeoutOf: Record<TimeoutName, keyof Timeouts> = {
  connect: 'connectMs',
  greeting: 'greetingMs',
  command: 'commandMs',
  dataEnd: 'dataEndMs',
}

export class Session {
  readonly wire: Wire
  readonly timeouts: Timeouts
  /** Where lines go; replaced for each send on a reused connection. */
  transcript: Transcript
  /** The extensions of the last EHLO; empty after HELO and forgotten across STARTTLS. */
  ext = new Extensions()
  /**
   * An RSET was begun after the last message (`holdReset`): the next transaction reads its reply
   * first instead of sending another RSET.
   */
  resetOwed = false
  /** The letters `RSET` are on the wire without their line end; the next write ends the line. */
  #resetHeld = false
  /**
   * The message's bytes are on the wire and the server's verdict on them (the reply to the final
   * dot or to BDAT LAST) has not been read: a failure now may follow an acceptance.
   */
  #verdictOwed = false

  constructor(wire: Wire, timeouts: Timeouts, transcript: Transcript) {
    this.wire = wire
    this.timeouts = timeouts
    this.transcript = transcript
    wire.onLine = (line) => this.transcript.server(line)
  }

  /** Writes everything in one write (one TCP segment where it fits: RFC 2920 pipelining). */
  send(items: Outgoing[]): void {
    const parts: Uint8Array[] = []
    if (this.#resetHeld) {
      this.#resetHeld = false
      parts.push(Buffer.from('\r\n'))
      this.transcript.client('RSET')
    }
    for (const item of items) {
      if (typeof item !== 'string' && 'bytes' in item) {
        parts.push(item.bytes)
        this.#verdictOwed = true
        for (const log of item.log) this.transcript.client(log)
        continue
      }
      const line = typeof item === 'string' ? item : item.line
      // A CR or LF would end the command early and start another one (command injection).
      if (/[\r\n]/.test(line)) {
        throw this.fail('quit', 'local', 'refusing to send a command holding CR or LF')
      }
      parts.push(Buffer.from(`${line}\r\n`, 'utf8'))
      this.transcript.client(typeof item === 'string' ? item : item.log)
    }
    this.wire.write(parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts))
  }

  /** The next reply; a wire failure becomes an `SmtpError` of `stage`. */
  async read(
    stage: Stage,
    command: string | undefined,
    timeout: TimeoutName = 'command'
  ): Promise<Reply> {
    try {
      // Scrubbed: a server could echo a credential back in its reply text.
      const reply = this.transcript.scrubReply(
        await this.wire.read(this.timeouts[timeoutOf[timeout]], timeout)
      )
      // The verdict on the message is the one reply read with the end-of-data timeout.
      if (timeout === 'dataEnd') this.#verdictOwed = false
      return reply
    } catch (e) {
      throw this.fromWire(stage, command, e)
    }
  }

  /**
   * Sends `command` and reads its reply, which must start with the digits of `expect`
   * (2 = any 2xx, 25 = 25x, 334 exactly). `log` replaces the command in the transcript.
   */
  async cmd(stage: Stage, command: string, expect: number, log = command): Promise<Reply> {
    this.send([{ line: command, log }])
    const reply = await this.read(stage, log)
    if (!String(reply.code).startsWith(String(expect))) throw this.refused(stage, log, reply)
    return reply
  }

  async greeting(): Promise<Reply> {
    const reply = await this.read('greeting', undefined, 'greeting')
    if (reply.code !== 220) throw this.refused('greeting', undefined, reply)
    return reply
  }

  /** EHLO, or HELO when EHLO is refused (RFC 5321 §3.2); extensions are parsed once here. */
  async hello(name: string): Promise<void> {
    const ehlo = `EHLO ${name}`
    this.send([ehlo])
    const reply = await this.read('ehlo', ehlo)
    if (reply.code === 250) {
      this.ext = Extensions.parse(reply)
      return
    }
    if (reply.code < 500) throw this.refused('ehlo', ehlo, reply)
    await this.cmd('ehlo', `HELO ${name}`, 250)
    this.ext = new Extensions()
  }

  /**
   * STARTTLS (RFC 3207), then EHLO again. Never falls back to clear text: a server that does not
   * offer it, or refuses it, ends the send at the starttls stage.
   */
  async startTls(params: TlsParams, name: string): Promise<void> {
    if (!this.ext.has('STARTTLS')) {
      throw this.fail(
        'starttls',
        'unavailable',
        'the server does not offer STARTTLS; refusing to continue without TLS'
      )
    }
    await this.cmd('starttls', 'STARTTLS', 220)
    try {
      await this.wire.startTls(params, this.timeouts.connectMs)
    } catch (e) {
      throw this.fromWire(
        e instanceof WireError && e.kind === 'protocol' ? 'starttls' : 'tls',
        'STARTTLS',
        e
      )
    }
    this.transcript.info(`TLS established: ${this.wire.tlsDescription}`)
    // RFC 3207 §4.2: the client MUST discard any knowledge obtained from the server before TLS.
    this.ext = new Extensions()
    await this.hello(name)
  }

  /**
   * AUTH with `mech` (RFC 4954). The AUTH line and every continuation show as `****`; on its own
   * failure the client aborts the exchange with `*` (§4).
   */
  async authenticate(mech: SaslMechanism): Promise<void> {
    const offered = this.ext.authMechanisms
    if (!offered.includes(mech.name)) {
      const what = offered.length ? `it offers ${offered.join(', ')}` : 'it offers no AUTH'
      throw this.fail(
        'auth',
        'unavailable',
        `the server does not offer AUTH ${mech.name} (${what})`
      )
    }
    const initial = mech.initial()
    const command = `AUTH ${mech.name}`
    const log = initial === undefined ? command : `${command} ****`
    // §4: an empty initial response is sent as "=".
    this.send([{
      line: initial === undefined
        ? command
        : `${command} ${initial.length ? base64(initial) : '='}`,
      log,
    }])
    let serverError: unknown
    for (let round = 0;; round++) {
      const reply = await this.read('auth', log)
      if (reply.code === 235) return
      if (reply.code !== 334) throw this.refused('auth', log, reply, serverError)
      const text = reply.lines.join('').trim()
      let response: Uint8Array
      try {
        if (round >= MAX_SASL_ROUNDS) throw new Error(`more than ${MAX_SASL_ROUNDS} challenges`)
        if (!BASE64.test(text)) throw new Error('a challenge that is not base64')
        const step = mech.next(Buffer.from(text, 'base64'))
        if (step.serverError !== undefined) serverError = step.serverError
        response = step.response
      } catch (e) {
        this.send(['*'])
        const abortReply = await this.read('auth', '*')
        throw this.fail(
          'auth',
          'reply',
          `AUTH ${mech.name} aborted by the client: ${(e as Error).message}`,
          {
            command: log,
            reply: abortReply,
            saslChallenge: serverError,
          }
        )
      }
      this.send([{ line: base64(response), log: '****' }])
    }
  }

  /**
   * Writes `RSET` without its CRLF: bytes that carry our TCP acknowledgement to the server at
   * once, and that the server answers only when the next write (the next message's commands, or
   * QUIT) ends the line. Why: see `releaseFinalReply` in transaction.ts.
   */
  holdReset(): void {
    this.wire.write(Buffer.from('RSET', 'ascii'))
    this.#resetHeld = true
    this.resetOwed = true
  }

  /** Ends a pooled session politely: QUIT, not awaited. */
  dispose(): void {
    if (this.wire.closed) return
    this.send(['QUIT'])
    this.wire.closeAfterQuit()
  }

  /** An `SmtpError` for a refusal `reply` to `command`. */
  refused(
    stage: Stage,
    command: string | undefined,
    reply: Reply,
    saslChallenge?: unknown
  ): SmtpError {
    const what = command ? `${command} refused` : 'the server refused the session'
    return this.fail(stage, 'reply', `${what}: ${formatReply(reply)}`, {
      command,
      reply,
      saslChallenge,
    })
  }

  fail(
    stage: Stage,
    kind: FailureKind,
    message: string,
    extra: {
      command?: string | undefined
      reply?: Reply
      saslChallenge?: unknown
      cause?: unknown
      timeout?: string
    } = {}
  ): SmtpError {
    const init = {
      stage,
      kind,
      message: this.transcript.scrub(message),
      maybeAccepted: this.#verdictOwed,
      transcript: this.transcript.lines,
    }
    return new SmtpError(Object.assign(init, stripUndefined(extra)))
  }

  fromWire(stage: Stage, command: string | undefined, e: unknown): SmtpError {
    if (e instanceof SmtpError) return e
    if (!(e instanceof WireError)) {
      return this.fail(stage, 'local', (e as Error).message ?? String(e), { cause: e })
    }
    const subject = command ?? (stage === 'greeting' ? 'greeting' : stage)
    const message = e.kind === 'timeout'
      ? `${subject}: ${e.message} (${e.timeout} timeout)`
      : `${subject}: ${e.message}`
    return this.fail(stage, e.kind, message, { command, cause: e, timeout: e.timeout })
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
