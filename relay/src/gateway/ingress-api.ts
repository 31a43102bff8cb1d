/**
 * The SMTP ingress's interface (see ingress.ts): the hooks the gateway supplies, the message a
 * commit receives, the limits, and what a running ingress reports. Re-exported by ingress.ts.
 *
 * @module
 */
import type { LogFn } from '../http/log.ts'
import type { IngressCertificate } from './ingress-cert.ts'
import type { IngressConfig, IngressListenerConfig } from './ingress-config.ts'
import type { AuthThrottleOptions } from './ingress-guard.ts'

/** What the ingress needs of a device: an id for the log. The hooks may return richer objects. */
export interface IngressDevice {
  id: string
  name?: string
}

export interface AuthAttempt {
  method: 'PLAIN' | 'LOGIN'
  username: string
  /** The password as the device sent it. Compare it; never log or store it. */
  password: string
  remoteAddress: string
}

export interface IngressMessage<D extends IngressDevice> {
  device: D
  /** `from` is '' for a null reverse path (`MAIL FROM:<>`). */
  envelope: { from: string; to: string[] }
  /** The message as received, dot-unstuffed, every line ending CRLF. */
  bytes: Buffer
  remoteAddress: string
  session: {
    id: string
    /** The name the device gave in HELO/EHLO. */
    helo: string
    /** `TLSv1.3`… or null without TLS. */
    tls: string | null
    /** How the device authenticated: AUTH mechanism, or `address` (allow-list). */
    auth: 'PLAIN' | 'LOGIN' | 'address'
  }
}

export interface IngressHooks<D extends IngressDevice> {
  authenticate(attempt: AuthAttempt): Promise<D | null>
  allowUnauthenticated(remoteAddress: string): Promise<D | null>
  accept(message: IngressMessage<D>): Promise<{ id: string }>
}

/**
 * A reply a hook wants the device to get instead of the default (e.g. a disabled device:
 * `new IngressReply(550, '5.7.1', 'Device disabled')`). Any other error thrown by a hook means
 * "unavailable" and gives a temporary failure.
 */
export class IngressReply extends Error {
  readonly responseCode: number
  readonly enhanced: string
  constructor(code: number, enhanced: string, text: string) {
    super(`${enhanced} ${text}`)
    this.name = 'IngressReply'
    this.responseCode = code
    this.enhanced = enhanced
  }
}

export interface IngressLimits {
  /** Exchange Online's default maximum message size (35 MB): larger could never be delivered. */
  maxMessageBytes: number
  /** Recipients per message (`452 4.5.3` beyond). */
  maxRecipients: number
  /** Idle time allowed while the relay waits for the device's next command or data (ms). */
  commandTimeoutMs: number
  /** Longest session (ms); ended with `421 4.4.2` between commands, never inside a message. */
  sessionTimeoutMs: number
  /** Connections per listener in total. */
  maxConnections: number
  /** Failed AUTH attempts per connection before it is closed with `421 4.7.0`. */
  maxAuthFailuresPerSession: number
  /**
   * Message bytes held in memory across all sessions (messages are committed whole). A message
   * that would go past it is answered `452 4.3.1` (try later) instead of exhausting memory.
   */
  maxBufferedBytes: number
  /** How long close() lets sessions finish before they get `421` (ms). */
  closeTimeoutMs: number
}

export const DEFAULT_LIMITS: IngressLimits = {
  maxMessageBytes: 35 * 1024 * 1024,
  maxRecipients: 500,
  // RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes for the next command.
  commandTimeoutMs: 5 * 60_000,
  sessionTimeoutMs: 30 * 60_000,
  maxConnections: 500,
  maxAuthFailuresPerSession: 3,
  maxBufferedBytes: 256 * 1024 * 1024,
  // Within the relay's shutdown grace (RELAY_SHUTDOWN_GRACE_MS, 20 s by default), so delivery
  // still has time to give back what it holds.
  closeTimeoutMs: 10_000,
}

export interface IngressOptions<D extends IngressDevice> extends IngressHooks<D> {
  config: IngressConfig
  /** Where a generated certificate is kept (`<dataDir>/ingress/`); needed without the operator's. */
  dataDir?: string
  /** The name in the greeting and EHLO (default: the machine's host name). */
  name?: string
  limits?: Partial<IngressLimits>
  authThrottle?: AuthThrottleOptions
  log?: LogFn
}

export interface IngressListenerInfo {
  host: string
  port: number
  security: IngressListenerConfig['security']
}

/** The body of `GET /api/admin/ingress` (src/lib/contract/gateway.ts `IngressInfo`). */
export interface IngressInfoBody {
  ok: true
  listeners: IngressListenerInfo[]
  certificateSha256: string | null
}

export interface Ingress {
  /** The listeners with their bound ports. */
  listeners: IngressListenerInfo[]
  certificate: IngressCertificate | null
  info(): IngressInfoBody
  /**
   * Stops accepting (new connections are refused), ends the sessions between messages at once
   * with `421 4.3.2`, lets a message being received or committed finish and be answered, then
   * ends its session; after `closeTimeoutMs` whatever is left gets `421`. Resolves when all
   * are closed.
   */
  close(): Promise<void>
}

/** `{ok, listeners, certificateSha256}` for GET /api/admin/ingress. */
export const ingressInfo = (ingress: Pick<Ingress, 'listeners' | 'certificate'>): IngressInfoBody => ({
  ok: true,
  listeners: ingress.listeners.map(({ host, port, security }) => ({ host, port, security })),
  certificateSha256: ingress.certificate?.sha256 ?? null,
})
