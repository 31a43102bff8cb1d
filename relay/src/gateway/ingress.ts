/**
 * The SMTP ingress: where LAN devices (scanners, MFDs, scripts that only know a password) hand
 * their mail to the gateway (shared/GATEWAY.md, "SMTP ingress"). `smtp-server` speaks the
 * protocol; this file only decides, through three narrow hooks the gateway supplies:
 *
 * - `authenticate` — AUTH PLAIN/LOGIN credentials → the device, or null (→ `535 5.7.8`);
 * - `allowUnauthenticated` — a client address on a device's allow-list → the device, or null;
 * - `accept` — commits a message (envelope, bytes, device) and resolves with its id. The `250` is
 *   sent only after it resolves; if it throws, the device gets `451 4.3.0` (or the reply of an
 *   `IngressReply`), never a `250` without a committed row.
 *
 * Each tolerance for old devices is explicit (see README, "SMTP ingress"): HELO as well as EHLO
 * with AUTH after either; AUTH PLAIN and LOGIN with the standard prompts (`334 VXNlcm5hbWU6`,
 * `334 UGFzc3dvcmQ6`), LOGIN with the user inline, the old `AUTH=` EHLO line; TLS down to 1.0
 * when configured; AUTH without TLS when configured; bare LF and 8-bit bodies.
 *
 * @module
 */
import type { AddressInfo } from 'node:net'
import {
  SMTPServer,
  type SMTPServerAuthentication,
  type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from 'smtp-server'
import { ConfigError, formatHostPort } from '../config-values.ts'
import { stdoutLog } from '../http/log.ts'
import {
  DEFAULT_LIMITS,
  ingressInfo,
  IngressReply,
  type Ingress,
  type IngressDevice,
  type IngressLimits,
  type IngressListenerInfo,
  type IngressOptions,
} from './ingress-api.ts'
import { loadIngressCertificate, type IngressCertificate } from './ingress-cert.ts'
import { ingressWarnings, type IngressListenerConfig } from './ingress-config.ts'
import { AuthThrottle, ConnectionCounter } from './ingress-guard.ts'
import { adaptConnection, type Connection } from './ingress-smtp.ts'

export * from './ingress-api.ts'

const TEMPORARY: [number, string] = [451, '4.3.0 Temporary local error, try again later']

const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code })
const replyOf = (err: unknown, fallback: [number, string]) =>
  err instanceof IngressReply ? err : smtpError(...fallback)

/** What one session did, for its log line. */
interface SessionRecord<D extends IngressDevice> {
  started: number
  counted: boolean
  connection?: Connection
  timer?: ReturnType<typeof setTimeout>
  username?: string
  auth?: 'PLAIN' | 'LOGIN' | 'address'
  device?: D
  authFailures: number
  accepted: string[]
  refused: number
  lastError?: string
}

/**
 * Starts every listener of `config` (none: resolves with an ingress that has no listeners).
 * A listener that cannot bind throws `ConfigError('RELAY_INGRESS', …)` after closing the others.
 */
export async function startIngress<D extends IngressDevice>(opts: IngressOptions<D>): Promise<Ingress> {
  const { config } = opts
  const limits: IngressLimits = { ...DEFAULT_LIMITS, ...opts.limits }
  const log = opts.log ?? stdoutLog
  const needsTls = config.listeners.some((l) => l.security !== 'none')
  let certificate: IngressCertificate | null = null
  if (needsTls || config.certificate) {
    if (!config.certificate && !opts.dataDir) throw new Error('startIngress: dataDir or a certificate is needed for TLS')
    certificate = await loadIngressCertificate({
      dataDir: opts.dataDir ?? '',
      ...(config.certificate && { own: config.certificate }),
      extraIps: config.listeners.map((l) => l.host).filter((h) => /^[\d.]+$|:/.test(h)),
    })
  }
  const perAddress = new ConnectionCounter(config.maxConnectionsPerAddress)
  const throttle = new AuthThrottle(opts.authThrottle)
  const oldTls = config.minTls === 'TLSv1' || config.minTls === 'TLSv1.1'
  /** Bytes of messages being received or committed, all listeners together. */
  let buffered = 0
  /** close() has begun: no new message is taken, sessions end once between messages. */
  let closing = false

  const servers: SMTPServer[] = []
  /** While closing: every session not inside a message gets `421 4.3.2` and is closed. */
  const endIdleSessions = () => {
    for (const server of servers) {
      for (const connection of server.connections) {
        if (connection._closing || connection._closed) continue
        if (connection._handlerPending || connection._dataStream) continue
        connection.send(421, '4.3.2 Service shutting down, try again later')
        connection.close()
      }
    }
  }
  const listeners: IngressListenerInfo[] = []
  try {
    for (const listener of config.listeners) {
      const server = createServer(listener)
      const port = await listen(server, listener)
      servers.push(server)
      listeners.push({ host: listener.host, port, security: listener.security })
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))))
    throw err
  }
  for (const message of ingressWarnings(config)) log({ level: 'warn', event: 'ingress.warning', message })
  if (listeners.length > 0) {
    log({
      level: 'info',
      event: 'ingress.listening',
      listeners: listeners.map((l) => `${formatHostPort(l)}/${l.security}`),
      minTls: config.minTls,
      certificateSha256: certificate?.sha256 ?? null,
    })
  }

  const ingress: Ingress = {
    listeners,
    certificate,
    info: () => ingressInfo(ingress),
    close: async () => {
      closing = true
      // smtp-server stops listening (new connections are refused) and, after closeTimeoutMs,
      // ends what is still open with 421. Until then a session idle between commands ends
      // now, and one inside a message (receiving it, or committing it) finishes that message,
      // hears its 250 (or 451) and ends after it: nothing committed goes unanswered.
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
      const drain = setInterval(endIdleSessions, 50)
      endIdleSessions()
      await closed
      clearInterval(drain)
    },
  }
  return ingress

  function createServer(listener: IngressListenerConfig): SMTPServer {
    const sessions = new Map<string, SessionRecord<D>>()
    const label = `${formatHostPort(listener)}/${listener.security}`
    const record = (session: SMTPServerSession): SessionRecord<D> => {
      let r = sessions.get(session.id)
      if (!r) {
        r = { started: Date.now(), counted: false, authFailures: 0, accepted: [], refused: 0 }
        sessions.set(session.id, r)
      }
      return r
    }
    /** AUTH is offered with TLS, or without it when the administrator allowed that. */
    const authUsable = (secure: boolean) => secure || config.plaintextAuth
    const disabled = (secure: boolean) => [
      ...(listener.security === 'none' ? ['STARTTLS'] : []),
      ...(authUsable(secure) ? [] : ['AUTH']),
    ]

    const options: SMTPServerOptions = {
      name: opts.name,
      banner: 'mailkey',
      secure: listener.security === 'tls',
      ...(certificate && { key: certificate.keyPem, cert: certificate.certPem }),
      minVersion: config.minTls,
      // OpenSSL 3 refuses TLS 1.0/1.1 handshakes at its default security level (their
      // MD5/SHA-1 signatures are below level 1): "no suitable signature algorithm".
      ...(oldTls && { ciphers: 'DEFAULT:@SECLEVEL=0' }),
      hideSTARTTLS: listener.security !== 'starttls',
      allowInsecureAuth: config.plaintextAuth,
      authOptional: true, // MAIL without AUTH reaches onMailFrom, which consults the allow-list
      authMethods: ['PLAIN', 'LOGIN'],
      size: limits.maxMessageBytes,
      maxRecipients: limits.maxRecipients,
      socketTimeout: limits.commandTimeoutMs,
      closeTimeout: limits.closeTimeoutMs,
      maxClients: limits.maxConnections,
      disableReverseLookup: true,
      hideDSN: true,
      hideREQUIRETLS: true,
      hideENHANCEDSTATUSCODES: false,
      useXClient: false,
      useXForward: false,
      // Behind a TCP load balancer (RELAY_INGRESS_PROXY): the PROXY header's address is the
      // session's remoteAddress from the start, so limits, allow-lists and logs see the device.
      useProxy: config.proxy ?? false,
      heloResponse: '%s Hello %s',
      logger: false,

      onConnect(session, done) {
        const r = record(session)
        if (!perAddress.acquire(session.remoteAddress)) {
          return done(smtpError(421, '4.7.0 Too many connections from your address, try again later'))
        }
        r.counted = true
        session.disabledCommands = disabled(session.secure)
        done()
      },
      onSecure(_socket, session, done) {
        session.disabledCommands = disabled(true)
        done()
      },
      onAuth(auth, session, done) {
        void authenticate(auth, session, record(session)).then(
          (device) => done(null, { user: device } as SMTPServerAuthenticationResponse),
          (err: unknown) => done(err as Error),
        )
      },
      onMailFrom(_address, session, done) {
        if (closing) return done(smtpError(421, '4.3.2 Service shutting down, try again later'))
        void mayMail(session, record(session)).then(() => done(), (err: unknown) => done(err as Error))
      },
      onData(stream, session, done) {
        receive(stream, session, record(session)).then(
          (id) => done(null, `2.0.0 OK: queued as ${id}`),
          (err: unknown) => done(err as Error),
        )
      },
      onClose(session) {
        const r = sessions.get(session.id)
        if (!r) return
        sessions.delete(session.id)
        clearTimeout(r.timer)
        if (r.counted) perAddress.release(session.remoteAddress)
        logSession(session, r)
      },
    }
    const server = new SMTPServer(options)

    const add = server.connections.add.bind(server.connections)
    server.connections.add = (connection: Connection) => {
      const r = record(connection.session)
      r.connection = connection
      adaptConnection(connection, {
        rewrite(code, _data, context) {
          // AUTH while it is not offered (no TLS yet): smtp-server does not know the command
          // then; RFC 4954 §4 has the reply for a mechanism that needs encryption.
          if (code === 500 && context === 'AUTH' && !connection.secure) {
            return [538, '5.7.11 Encryption required for requested authentication mechanism']
          }
          return undefined
        },
        sent(code, text) {
          if (code >= 400) r.lastError = `${code} ${text}`
        },
      })
      armSessionTimer(connection, r)
      return add(connection)
    }
    return server

    function logSession(session: SMTPServerSession, r: SessionRecord<D>): void {
      const outcome = r.accepted.length > 0
        ? 'accepted'
        : r.authFailures > 0 && !r.device
          ? 'auth-failed'
          : r.lastError
            ? 'refused'
            : 'no-message'
      log({
        level: outcome === 'accepted' || outcome === 'no-message' ? 'info' : 'warn',
        event: 'ingress.session',
        outcome,
        session: session.id,
        listener: label,
        remoteAddress: session.remoteAddress,
        helo: session.hostNameAppearsAs || undefined,
        tls: session.tlsOptions ? session.tlsOptions.version || session.tlsOptions.name : null,
        ...(r.auth && { auth: r.auth }),
        ...(r.username !== undefined && { username: r.username.slice(0, 100) }),
        ...(r.device && { device: r.device.id }),
        ...(r.authFailures > 0 && { authFailures: r.authFailures }),
        accepted: r.accepted.length,
        ...(r.accepted.length > 0 && { ids: r.accepted.slice(0, 20) }),
        ...(r.refused > 0 && { refused: r.refused }),
        ...(r.lastError && { lastError: r.lastError.slice(0, 200) }),
        ms: Date.now() - r.started,
      })
    }
  }

  function armSessionTimer(connection: Connection, r: SessionRecord<D>, delay = limits.sessionTimeoutMs) {
    r.timer = setTimeout(() => {
      if (connection._closing || connection._closed) return
      // Never inside a message or while a hook decides: the device would resend what may be committed.
      if (connection._handlerPending || connection._dataStream) {
        return armSessionTimer(connection, r, Math.min(1000, limits.sessionTimeoutMs))
      }
      connection.send(421, '4.4.2 Session time limit reached, closing connection')
    }, delay)
    r.timer.unref?.()
  }

  async function authenticate(
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    r: SessionRecord<D>,
  ): Promise<D> {
    if (auth.method !== 'PLAIN' && auth.method !== 'LOGIN') {
      throw smtpError(504, '5.7.4 Unrecognized authentication type')
    }
    const username = auth.username ?? ''
    r.username = username
    let device: D | null
    try {
      device = await opts.authenticate({
        method: auth.method,
        username,
        password: auth.password ?? '',
        remoteAddress: session.remoteAddress,
      })
    } catch (err) {
      throw replyOf(err, [454, '4.7.0 Temporary authentication failure, try again later'])
    }
    if (device) {
      r.device = device
      r.auth = auth.method
      return device
    }
    r.authFailures++
    const wait = throttle.fail(session.remoteAddress)
    await new Promise((resolve) => setTimeout(resolve, wait))
    if (r.authFailures >= limits.maxAuthFailuresPerSession) {
      throw smtpError(421, '4.7.0 Too many failed authentication attempts, closing connection')
    }
    throw smtpError(535, '5.7.8 Authentication credentials invalid')
  }

  async function mayMail(session: SMTPServerSession, r: SessionRecord<D>): Promise<void> {
    if (session.user) return
    if (!r.device) {
      let device: D | null
      try {
        device = await opts.allowUnauthenticated(session.remoteAddress)
      } catch (err) {
        throw replyOf(err, TEMPORARY)
      }
      if (device) {
        r.device = device
        r.auth = 'address'
      }
    }
    if (r.device) return
    if (needsTlsFirst(session)) throw smtpError(530, '5.7.0 Must issue a STARTTLS command first')
    throw smtpError(530, '5.7.0 Authentication required')
  }

  /** Without TLS on a STARTTLS listener, where AUTH waits for TLS. */
  function needsTlsFirst(session: SMTPServerSession): boolean {
    return !session.secure && !config.plaintextAuth && !session.disabledCommands?.includes('STARTTLS')
  }

  async function receive(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    r: SessionRecord<D>,
  ): Promise<string> {
    const chunks: Buffer[] = []
    let size = 0
    let held = 0
    let overloaded = false
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > limits.maxMessageBytes || overloaded) return
          if (buffered + chunk.length > limits.maxBufferedBytes) {
            overloaded = true
            buffered -= held
            held = 0
            chunks.length = 0
            return
          }
          chunks.push(chunk)
          held += chunk.length
          buffered += chunk.length
        })
        stream.once('end', resolve)
        stream.once('error', reject)
      })
      if (stream.sizeExceeded || size > limits.maxMessageBytes) {
        r.refused++
        throw smtpError(552, '5.3.4 Message size exceeds fixed maximum message size')
      }
      if (overloaded) {
        r.refused++
        throw smtpError(452, '4.3.1 Insufficient system resources, try again later')
      }
      const bytes = Buffer.concat(chunks, size)
      // The chunks stay reachable from the stream's listeners while the commit runs: let go of them.
      chunks.length = 0
      return await commit(bytes, session, r)
    } finally {
      buffered -= held
    }
  }

  async function commit(bytes: Buffer, session: SMTPServerSession, r: SessionRecord<D>): Promise<string> {
    const device = r.device
    if (!device) throw smtpError(...TEMPORARY) // unreachable: onMailFrom let the transaction start
    const tls = session.tlsOptions ? session.tlsOptions.version || session.tlsOptions.name : null
    try {
      const { id } = await opts.accept({
        device,
        envelope: {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        },
        bytes,
        remoteAddress: session.remoteAddress,
        session: {
          id: session.id,
          helo: session.hostNameAppearsAs || '',
          tls,
          auth: r.auth ?? 'address',
        },
      })
      r.accepted.push(id)
      return id
    } catch (err) {
      r.refused++
      throw replyOf(err, TEMPORARY)
    }
  }
}

function listen(server: SMTPServer, listener: IngressListenerConfig): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: Error & { code?: string }) => {
      reject(
        new ConfigError(
          'RELAY_INGRESS',
          `cannot listen on ${formatHostPort(listener)} (${err.code ?? err.message}); choose another port`,
        ),
      )
    }
    server.once('error', onError)
    server.listen(listener.port, listener.host, () => {
      server.removeListener('error', onError)
      // Connection-level errors (a device dropping mid-handshake) are normal; keep serving.
      server.on('error', () => undefined)
      resolve((server.server.address() as AddressInfo).port)
    })
  })
}
