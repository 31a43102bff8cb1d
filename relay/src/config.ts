/**
 * The relay's configuration, read from the environment once at start-up (shared/API.md,
 * "Starting the relay, and its configuration") and validated with zod. A bad value stops the
 * start with one line naming the variable (`ConfigError`).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { ConfigError, type HostEntry, parseHostEntry } from './config-values.ts'
import { type IngressConfig, loadIngressConfig } from './gateway/ingress-config.ts'

export { ConfigError, formatHostPort, type HostEntry, parseHostEntry } from './config-values.ts'

export interface RelayConfig {
  port: number
  host: string
  smtpHosts: HostEntry[]
  plaintextHosts: HostEntry[]
  tokenHosts: HostEntry[]
  /** Extra trusted CAs (PEM, one certificate each); never replaces verification. */
  ca: string[]
  /** Origins CORS allows; by default the relay's own origin (and its loopback aliases). */
  origins: string[]
  /**
   * The origin users open the page at: the first of RELAY_ORIGINS, else `http://localhost:PORT`
   * when listening on loopback or all interfaces, else `http://HOST:PORT`.
   */
  publicOrigin: string
  sandbox: boolean
  /**
   * Behind a reverse proxy (RELAY_TRUST_PROXY=1): the client address for the rate limit is the
   * last X-Forwarded-For entry, the one the proxy appended; otherwise the connection's peer.
   */
  trustProxy: boolean
  /** Ports of the sandbox's IdP and SMTP server (RELAY_SANDBOX_IDP_PORT / _SMTP_PORT; 0 = any). */
  sandboxIdpPort?: number
  sandboxSmtpPort?: number
  /**
   * Lifetime in seconds of the sandbox's access tokens (RELAY_SANDBOX_TOKEN_TTL, default 3600 as
   * Entra's typical 60–90 minutes); short values let tests watch renewal and expiry happen.
   */
  sandboxTokenTtl: number
  maxMessageBytes: number
  rateLimitPerMinute: number
  /**
   * How long an idle authenticated SMTP connection is kept for the next send with the same
   * host, port, security, user and token (RELAY_SMTP_IDLE_MS; at most, and by default, the
   * 30 s API.md promises; 0 = a new connection for every send).
   */
  smtpIdleMs: number
  /**
   * How long the requests in flight may take to finish after SIGINT/SIGTERM before they are
   * answered that the relay stopped with their outcome unknown (RELAY_SHUTDOWN_GRACE_MS).
   */
  shutdownGraceMs: number
  dataDir: string
  staticDir: string
  /**
   * The gateway (shared/GATEWAY.md): RELAY_GATEWAY=1, or on by default when RELAY_ADMIN_PASSWORD
   * or RELAY_DATABASE_URL is set; off otherwise (the stateless test relay only).
   */
  gateway: boolean
  /** RELAY_DATABASE_URL: PostgreSQL for the gateway's store; the embedded SQLite when absent. */
  databaseUrl?: string
  /** RELAY_SECRET_KEY: base64 of the 32-byte key for secrets at rest (else a generated key file). */
  secretKey?: string
  /** RELAY_ADMIN_PASSWORD: the admin password (else the one chosen through the setup link). */
  adminPassword?: string
  /** RELAY_MAILBOX_RATE: messages a minute per gateway mailbox, across instances (default 30). */
  mailboxRate: number
  /** RELAY_QUEUE_MAX_AGE: how long a queued message may keep retrying, ms (default 48 h). */
  queueMaxAgeMs: number
  /**
   * RELAY_QUEUE_LEASE: how long a claim on a message (and a connection slot) lasts without
   * renewal, ms (default 2 min); a dead instance's claims are taken again after it.
   */
  queueLeaseMs: number
  /** RELAY_INGRESS and its companions: the SMTP listeners for devices; none when unset. */
  ingress?: IngressConfig
}

export const DEFAULT_SMTP_HOSTS = 'smtp.office365.com:587,smtp.office365.com:465'
export const DEFAULT_TOKEN_HOSTS = 'login.microsoftonline.com'
const DEFAULT_MAX_MESSAGE_BYTES = 26_214_400
/** Exchange Online's own ceiling (SIZE 157286400 in its EHLO): nothing larger can ever pass. */
const MAX_MESSAGE_BYTES_CEILING = 157_286_400

const list = (s: string | undefined) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0)

const hostList = (fallback: string, defaultPort?: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const publicOnly = value === undefined
      const entries: HostEntry[] = []
      for (const item of list(value ?? fallback)) {
        const entry = parseHostEntry(item, publicOnly, defaultPort)
        if (!entry) {
          ctx.addIssue({
            code: 'custom',
            message: `"${item}" is not ${defaultPort ? 'host or host:port' : 'host:port'}`,
          })
          return z.NEVER
        }
        entries.push(entry)
      }
      return entries
    })

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback
      const n = Number(value)
      if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a whole number ${min}…${max}, got "${value}"`,
        })
        return z.NEVER
      }
      return n
    })

const EnvSchema = z.object({
  PORT: integer(0, 65535, 8787),
  HOST: z.string().regex(/^[^\s/]+$/, 'expected a host name or address').default('127.0.0.1'),
  RELAY_SMTP_HOSTS: hostList(DEFAULT_SMTP_HOSTS),
  RELAY_PLAINTEXT_HOSTS: hostList(''),
  RELAY_TOKEN_HOSTS: hostList(DEFAULT_TOKEN_HOSTS, 443),
  RELAY_CA_FILE: z.string().optional(),
  RELAY_ORIGINS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const origins: string[] = []
      for (const item of list(value)) {
        let origin: string | undefined
        try {
          const url = new URL(item)
          if (/^https?:$/.test(url.protocol) && url.origin === item.replace(/\/$/, '')) {
            origin = url.origin
          }
        } catch {
          // reported below
        }
        if (!origin) {
          ctx.addIssue({
            code: 'custom',
            message: `"${item}" is not an origin like https://host[:port]`,
          })
          return z.NEVER
        }
        origins.push(origin)
      }
      return origins
    }),
  RELAY_SANDBOX: z
    .enum(['0', '1', 'true', 'false', ''], { message: 'expected 1 or 0' })
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  RELAY_TRUST_PROXY: z
    .enum(['0', '1', 'true', 'false', ''], { message: 'expected 1 or 0' })
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  RELAY_SANDBOX_IDP_PORT: integer(0, 65535, -1),
  RELAY_SANDBOX_SMTP_PORT: integer(0, 65535, -1),
  // At least 10 s: the page renews at 80 % of a short token's life and needs time to do it.
  RELAY_SANDBOX_TOKEN_TTL: integer(10, 86_400, 3600),
  RELAY_MAX_MESSAGE_BYTES: integer(1024, MAX_MESSAGE_BYTES_CEILING, DEFAULT_MAX_MESSAGE_BYTES),
  RELAY_RATE_LIMIT: integer(1, 100_000, 30),
  RELAY_SMTP_IDLE_MS: integer(0, 30_000, 30_000),
  RELAY_SHUTDOWN_GRACE_MS: integer(0, 600_000, 20_000),
  RELAY_DATA_DIR: z.string().min(1).default('./data'),
  RELAY_STATIC_DIR: z.string().min(1).default('./build'),
  RELAY_GATEWAY: z
    .enum(['0', '1', 'true', 'false', ''], { message: 'expected 1 or 0' })
    .optional(),
  RELAY_MAILBOX_RATE: integer(1, 10_000, 30),
  RELAY_QUEUE_MAX_AGE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return 48 * 3_600_000
      const m = /^(\d+)\s*(s|m|h|d)?$/.exec(v.trim())
      const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 's'] : NaN
      if (!(ms >= 60_000 && ms <= 30 * 86_400_000)) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration from 1m to 30d such as 48h, 90m or 172800 (seconds)' })
        return z.NEVER
      }
      return ms
    }),
  RELAY_QUEUE_LEASE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return 120_000
      const m = /^(\d+)\s*(s|m|h)?$/.exec(v.trim())
      const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's'] : NaN
      if (!(ms >= 3_000 && ms <= 3_600_000)) {
        ctx.addIssue({ code: 'custom', message: 'expected a duration from 3s to 1h such as 2m, 30s or 120 (seconds)' })
        return z.NEVER
      }
      return ms
    }),
  RELAY_DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^postgres(?:ql)?:\/\/\S+$/.test(v), {
      message: 'expected a PostgreSQL URL such as postgres://user:password@host:5432/mailkey',
    }),
  RELAY_SECRET_KEY: z
    .string()
    .optional()
    .refine((v) => !v || /^[A-Za-z0-9+/]{43}=$/.test(v.trim()), {
      message: 'expected base64 of 32 bytes (44 characters, e.g. from `openssl rand -base64 32`)',
    }),
  RELAY_ADMIN_PASSWORD: z
    .string()
    .optional()
    .refine((v) => !v || ([...v].length >= 12 && !/[\r\n\0]/.test(v)), {
      message: 'the admin password needs at least 12 characters (and no line breaks)',
    }),
})

const LOOPBACK_OR_ANY = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0', '::'])

/** The relay's own origins: `http://HOST:PORT`, plus the loopback names when it listens there. */
export function ownOrigins(host: string, port: number): string[] {
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h)
  const origins = new Set<string>()
  if (!['0.0.0.0', '::'].includes(host)) origins.add(`http://${bracket(host)}:${port}`)
  if (LOOPBACK_OR_ANY.has(host)) {
    for (const h of ['localhost', '127.0.0.1', '[::1]']) origins.add(`http://${h}:${port}`)
  }
  return [...origins]
}

/**
 * Reads and validates the configuration. Throws `ConfigError` naming the first bad variable.
 * `readFile` reads RELAY_CA_FILE (injectable for tests).
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): RelayConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(String(issue?.path[0] ?? 'environment'), issue?.message ?? 'invalid')
  }
  const v = parsed.data
  let ca: string[] = []
  if (v.RELAY_CA_FILE) {
    let pem: string
    try {
      pem = readFile(v.RELAY_CA_FILE)
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'unreadable'
      throw new ConfigError('RELAY_CA_FILE', `cannot read "${v.RELAY_CA_FILE}" (${code})`)
    }
    ca = splitPem(pem)
    if (ca.length === 0) {
      throw new ConfigError('RELAY_CA_FILE', `"${v.RELAY_CA_FILE}" holds no PEM certificate`)
    }
  }
  return {
    port: v.PORT,
    host: v.HOST,
    smtpHosts: v.RELAY_SMTP_HOSTS,
    plaintextHosts: v.RELAY_PLAINTEXT_HOSTS,
    tokenHosts: v.RELAY_TOKEN_HOSTS,
    ca,
    origins: v.RELAY_ORIGINS.length > 0 ? v.RELAY_ORIGINS : ownOrigins(v.HOST, v.PORT),
    publicOrigin: v.RELAY_ORIGINS[0] ??
      (LOOPBACK_OR_ANY.has(v.HOST)
        ? `http://localhost:${v.PORT}`
        : (ownOrigins(v.HOST, v.PORT)[0] ?? '')),
    sandbox: v.RELAY_SANDBOX,
    trustProxy: v.RELAY_TRUST_PROXY,
    ...(v.RELAY_SANDBOX_IDP_PORT >= 0 && { sandboxIdpPort: v.RELAY_SANDBOX_IDP_PORT }),
    ...(v.RELAY_SANDBOX_SMTP_PORT >= 0 && { sandboxSmtpPort: v.RELAY_SANDBOX_SMTP_PORT }),
    sandboxTokenTtl: v.RELAY_SANDBOX_TOKEN_TTL,
    maxMessageBytes: v.RELAY_MAX_MESSAGE_BYTES,
    rateLimitPerMinute: v.RELAY_RATE_LIMIT,
    smtpIdleMs: v.RELAY_SMTP_IDLE_MS,
    shutdownGraceMs: v.RELAY_SHUTDOWN_GRACE_MS,
    dataDir: v.RELAY_DATA_DIR,
    staticDir: v.RELAY_STATIC_DIR,
    gateway: v.RELAY_GATEWAY === undefined || v.RELAY_GATEWAY === ''
      ? Boolean(v.RELAY_ADMIN_PASSWORD || v.RELAY_DATABASE_URL)
      : v.RELAY_GATEWAY === '1' || v.RELAY_GATEWAY === 'true',
    ...(v.RELAY_DATABASE_URL && { databaseUrl: v.RELAY_DATABASE_URL }),
    ...(v.RELAY_SECRET_KEY && { secretKey: v.RELAY_SECRET_KEY.trim() }),
    ...(v.RELAY_ADMIN_PASSWORD && { adminPassword: v.RELAY_ADMIN_PASSWORD }),
    mailboxRate: v.RELAY_MAILBOX_RATE,
    queueMaxAgeMs: v.RELAY_QUEUE_MAX_AGE,
    queueLeaseMs: v.RELAY_QUEUE_LEASE,
    ...(env.RELAY_INGRESS?.trim() && {
      ingress: loadIngressConfig(env, typeof (globalThis as { Deno?: unknown }).Deno === 'undefined' ? 'node' : 'deno', readFile),
    }),
  }
}

/** The certificates of a PEM bundle, one string each. */
export function splitPem(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
}
