/**
 * The SMTP ingress's configuration (shared/GATEWAY.md, "SMTP ingress"), read from the
 * environment and validated like relay/src/config.ts: a bad value stops the start with one line
 * naming the variable (`ConfigError`).
 *
 * - `RELAY_INGRESS`: listeners, `host:port/security` separated by commas, security `starttls`
 *   (the default), `tls` (implicit, port 465 style) or `none` (no TLS at all, LAN only). Empty:
 *   the ingress is off.
 * - `RELAY_INGRESS_CERT` / `RELAY_INGRESS_KEY`: PEM files; both or neither (then a certificate
 *   is generated into RELAY_DATA_DIR at first start, see ingress-cert.ts).
 * - `RELAY_INGRESS_MIN_TLS`: `TLSv1.2` (default), `TLSv1.3`, or `TLSv1`/`TLSv1.1` for old
 *   devices (Node only: Deno's TLS has no protocol older than 1.2).
 * - `RELAY_INGRESS_PLAINTEXT_AUTH=1`: AUTH without TLS, for LAN devices that have none.
 * - `RELAY_INGRESS_MAX_PER_ADDRESS`: concurrent connections per client address (default 10).
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { z } from 'zod'
import { ConfigError, formatHostPort, parseHostEntry } from '../config-values.ts'

export type IngressSecurity = 'starttls' | 'tls' | 'none'
export type TlsMinimum = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'

export interface IngressListenerConfig {
  /** Address to bind (IPv6 without brackets). */
  host: string
  /** 0 = any free port (tests); the bound port is reported by the running ingress. */
  port: number
  security: IngressSecurity
}

export interface IngressConfig {
  /** Empty when RELAY_INGRESS is unset: the ingress is off. */
  listeners: IngressListenerConfig[]
  /** The operator's certificate and key (PEM), when RELAY_INGRESS_CERT/_KEY are set. */
  certificate?: { certPem: string; keyPem: string }
  minTls: TlsMinimum
  plaintextAuth: boolean
  maxConnectionsPerAddress: number
  /**
   * RELAY_INGRESS_PROXY: connections start with a PROXY protocol header (v1, as HAProxy and
   * TCP load balancers send it) giving the device's own address, which the per-address limits,
   * the AUTH slow-down, the allow-lists and the logs then use. `true`: from every peer; a list:
   * from those peers only (the load balancers), others connect directly. Absent: off.
   */
  proxy?: true | string[]
}

const SECURITIES = ['starttls', 'tls', 'none'] as const
const TLS_MINIMUMS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const
export const DEFAULT_MAX_PER_ADDRESS = 10

/** Parses one listener: `host:port[/security]`, `[v6]:port[/security]`. */
export function parseListener(text: string): IngressListenerConfig | undefined {
  const m = /^(.+?)(?:\/([a-z]+))?$/i.exec(text.trim())
  if (!m?.[1]) return undefined
  const security = (m[2] ?? 'starttls').toLowerCase()
  if (!(SECURITIES as readonly string[]).includes(security)) return undefined
  // parseHostEntry refuses port 0; tests may want it, so it is checked separately here.
  const zero = /^(.*):0$/.exec(m[1])
  const entry = zero?.[1] ? parseHostEntry(`${zero[1]}:1`, false) : parseHostEntry(m[1], false)
  if (!entry) return undefined
  return { host: entry.host, port: zero ? 0 : entry.port, security: security as IngressSecurity }
}

const flag = z
  .enum(['0', '1', 'true', 'false', ''], { message: 'expected 1 or 0' })
  .optional()
  .transform((v) => v === '1' || v === 'true')

const EnvSchema = z.object({
  RELAY_INGRESS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const listeners: IngressListenerConfig[] = []
      const seen = new Set<string>()
      for (const item of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
        const listener = parseListener(item)
        if (!listener) {
          ctx.addIssue({
            code: 'custom',
            message: `"${item}" is not host:port/security (security: starttls, tls or none), ` +
              'e.g. 0.0.0.0:2525/starttls,0.0.0.0:465/tls',
          })
          return z.NEVER
        }
        const key = formatHostPort(listener)
        if (listener.port !== 0 && seen.has(key)) {
          ctx.addIssue({ code: 'custom', message: `"${key}" is listed twice` })
          return z.NEVER
        }
        seen.add(key)
        listeners.push(listener)
      }
      return listeners
    }),
  RELAY_INGRESS_CERT: z.string().optional(),
  RELAY_INGRESS_KEY: z.string().optional(),
  RELAY_INGRESS_MIN_TLS: z
    .enum(['', ...TLS_MINIMUMS], { message: `expected one of ${TLS_MINIMUMS.join(', ')}` })
    .optional()
    .transform((v): TlsMinimum => (v ? v : 'TLSv1.2')),
  RELAY_INGRESS_PLAINTEXT_AUTH: flag,
  RELAY_INGRESS_PROXY: z
    .string()
    .optional()
    .transform((value, ctx): true | string[] | undefined => {
      const v = (value ?? '').trim()
      if (v === '' || v === '0' || v === 'false') return undefined
      if (v === '1' || v === 'true') return true
      const list = v.split(',').map((s) => s.trim()).filter(Boolean)
      const bad = list.find((a) => isIP(a) === 0)
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `expected 1, 0 or the load balancers' IP addresses (comma-separated), got "${bad}"` })
        return z.NEVER
      }
      return list
    }),
  RELAY_INGRESS_MAX_PER_ADDRESS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return DEFAULT_MAX_PER_ADDRESS
      const n = Number(value)
      if (!/^\d+$/.test(value.trim()) || n < 1 || n > 10_000) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number 1…10000, got "${value}"` })
        return z.NEVER
      }
      return n
    }),
})

function readPem(variable: string, path: string, readFile: (p: string) => string): string {
  try {
    return readFile(path)
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable'
    throw new ConfigError(variable, `cannot read "${path}" (${code})`)
  }
}

/** Checks the operator's PEM pair: a certificate, a private key, and that they belong together. */
function checkPair(certPem: string, keyPem: string, certPath: string, keyPath: string): void {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch {
    throw new ConfigError('RELAY_INGRESS_CERT', `"${certPath}" holds no PEM certificate`)
  }
  let key: ReturnType<typeof createPrivateKey>
  try {
    key = createPrivateKey(keyPem)
  } catch {
    throw new ConfigError('RELAY_INGRESS_KEY', `"${keyPath}" holds no unencrypted PEM private key`)
  }
  if (!cert.checkPrivateKey(key)) {
    throw new ConfigError('RELAY_INGRESS_KEY', `"${keyPath}" is not the key of "${certPath}"`)
  }
}

/**
 * Reads and validates the ingress variables. Throws `ConfigError` naming the first bad one.
 * `runtime` refuses what the runtime cannot do (TLS below 1.2 on Deno); `readFile` reads the
 * PEM files (injectable for tests).
 */
export function loadIngressConfig(
  env: Record<string, string | undefined>,
  runtime: 'node' | 'deno' = 'node',
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): IngressConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(String(issue?.path[0] ?? 'environment'), issue?.message ?? 'invalid')
  }
  const v = parsed.data
  const certPath = v.RELAY_INGRESS_CERT?.trim() || undefined
  const keyPath = v.RELAY_INGRESS_KEY?.trim() || undefined
  if (certPath && !keyPath) throw new ConfigError('RELAY_INGRESS_KEY', 'needed with RELAY_INGRESS_CERT')
  if (keyPath && !certPath) throw new ConfigError('RELAY_INGRESS_CERT', 'needed with RELAY_INGRESS_KEY')
  let certificate: IngressConfig['certificate']
  if (certPath && keyPath) {
    const certPem = readPem('RELAY_INGRESS_CERT', certPath, readFile)
    const keyPem = readPem('RELAY_INGRESS_KEY', keyPath, readFile)
    checkPair(certPem, keyPem, certPath, keyPath)
    certificate = { certPem, keyPem }
  }
  if (runtime === 'deno' && (v.RELAY_INGRESS_MIN_TLS === 'TLSv1' || v.RELAY_INGRESS_MIN_TLS === 'TLSv1.1')) {
    throw new ConfigError(
      'RELAY_INGRESS_MIN_TLS',
      `${v.RELAY_INGRESS_MIN_TLS} needs the relay on Node (Deno's TLS speaks only TLS 1.2 and 1.3)`,
    )
  }
  return {
    listeners: v.RELAY_INGRESS,
    ...(certificate && { certificate }),
    minTls: v.RELAY_INGRESS_MIN_TLS,
    plaintextAuth: v.RELAY_INGRESS_PLAINTEXT_AUTH,
    maxConnectionsPerAddress: v.RELAY_INGRESS_MAX_PER_ADDRESS,
    ...(v.RELAY_INGRESS_PROXY !== undefined && { proxy: v.RELAY_INGRESS_PROXY }),
  }
}

/**
 * The start-up warnings (Japanese, then English) for what an administrator opted into knowingly:
 * old TLS, passwords without TLS, a listener without TLS on a non-loopback address.
 */
export function ingressWarnings(config: IngressConfig): string[] {
  const warnings: string[] = []
  if (config.listeners.length === 0) return warnings
  if (config.minTls === 'TLSv1' || config.minTls === 'TLSv1.1') {
    warnings.push(
      `RELAY_INGRESS_MIN_TLS=${config.minTls}: 古い TLS (1.0/1.1) と弱い暗号を受け付けます。古い複合機のためだけに使い、LAN の外に公開しないでください。 / ` +
        `accepting old TLS (1.0/1.1) and weak ciphers (OpenSSL security level 0): for old devices only, never expose this listener beyond the LAN.`,
    )
  }
  if (config.plaintextAuth) {
    warnings.push(
      'RELAY_INGRESS_PLAINTEXT_AUTH=1: TLS なしでパスワード認証を受け付けます。パスワードは LAN 上を平文で流れます。 / ' +
        'accepting AUTH without TLS: device passwords cross the LAN in clear text.',
    )
  }
  if (config.proxy === true) {
    warnings.push(
      'RELAY_INGRESS_PROXY=1: すべての接続の先頭に PROXY ヘッダーが必要で、そこに書かれたアドレスを信用します。ロード バランサーだけがこのポートに届くようにしてください。 / ' +
        'every connection must start with a PROXY header and its address is believed: let only the load balancer reach these ports (or list its addresses instead of 1).',
    )
  }
  for (const l of config.listeners) {
    if (l.security === 'none' && !['127.0.0.1', '::1', 'localhost'].includes(l.host)) {
      warnings.push(
        `RELAY_INGRESS ${formatHostPort(l)}/none: TLS なしの受付です (LAN 内の機器向け)。 / ` +
          'a listener without TLS: for devices on a trusted LAN only.',
      )
    }
  }
  return warnings
}
