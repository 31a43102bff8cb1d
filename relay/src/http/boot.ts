/**
 * Start-up steps both entrypoints share: configuration or a one-line exit, the version, name
 * resolution, adding the sandbox's hosts and CA, and a bounded graceful shutdown that answers
 * what it could not wait for.
 *
 * @module
 */
import { lookup } from 'node:dns/promises'
import { createServer } from 'node:net'
import { ConfigError, loadConfig, parseHostEntry, type RelayConfig, splitPem } from '../config.ts'
import type { GatewayHandle, GatewayOptions } from '../gateway/index.ts'
import type { SandboxHandle } from '../sandbox/types.ts'
import pkg from '../../../package.json' with { type: 'json' }
import type { InFlight } from './in-flight.ts'
import { flushLog } from './log.ts'

/** Reads the configuration; on a bad value prints one line naming the variable and exits 1. */
export function configOrExit(
  env: Record<string, string | undefined>,
  exit: (code: number) => never,
): RelayConfig {
  try {
    return loadConfig(env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`relay: ${err.message}`)
    return exit(1)
  }
}

/** The version in package.json (read at build time in the compiled relay). */
export function relayVersion(): string {
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0'
}

/** Every address of a name, as the allow-list check wants them. */
export async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address)
}

/** PORT=0 means "any free port"; pick it before start so the sandbox knows the origin. */
export async function concretePort(config: RelayConfig): Promise<RelayConfig> {
  if (config.port !== 0) return config
  const port = await new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, config.host, () => {
      const a = s.address()
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
  const swap = (o: string) => o.replace(/:0$/, `:${port}`)
  return {
    ...config,
    port,
    origins: config.origins.map(swap),
    publicOrigin: swap(config.publicOrigin),
  }
}

/** The configuration with the sandbox's SMTP server, token host and CA added. */
export function withSandbox(config: RelayConfig, sandbox: SandboxHandle): RelayConfig {
  const smtp = parseHostEntry(sandbox.smtpHostPort, false)
  const token = parseHostEntry(sandbox.tokenHost, false, 443)
  if (!smtp || !token) throw new Error('the sandbox reported unusable host names')
  return {
    ...config,
    smtpHosts: [...config.smtpHosts, smtp],
    tokenHosts: [...config.tokenHosts, token],
    ca: [...config.ca, ...splitPem(sandbox.caPem)],
  }
}

/** A start-up failure in a few words: the error code (EADDRINUSE …) or the message's first line. */
export function startFailure(err: unknown): string {
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') return code
  const name = err instanceof Error ? err.name : 'error'
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''
  return `${name}: ${first.slice(0, 200)}`
}

/**
 * Listen failures that are the address's fault, not the port's: a name that does not resolve,
 * an address this machine does not have (Node codes, Deno's class names and messages).
 */
const HOST_FAILURE =
  /^(EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|EINVAL)$|AddrNotAvailable|lookup address/

/** The one line for a listen failure, naming HOST or PORT as the variable to change. */
export function listenFailure(host: string, port: number, err: unknown): string {
  const detail = startFailure(err)
  const variable = HOST_FAILURE.test(detail) ? 'HOST' : 'PORT'
  return `relay: ${variable}: cannot listen on ${listenUrl(host, port)} (${detail})`
}

/** `concretePort`, or on failure (HOST unusable) one line naming the variable and exit 1. */
export async function concretePortOrExit(
  config: RelayConfig,
  exit: (code: number) => never,
): Promise<RelayConfig> {
  try {
    return await concretePort(config)
  } catch (err) {
    console.error(listenFailure(config.host, config.port, err))
    return exit(1)
  }
}

/** File-system failures: the data folder cannot hold the sandbox's files. */
const FS_FAILURE = /^(ENOTDIR|EACCES|EPERM|EROFS|ENOSPC|EEXIST|EISDIR|ENOENT|EDQUOT)$/

/**
 * The one line for a sandbox that did not start, naming the variable to change: the port
 * variable of a server that could not listen, RELAY_DATA_DIR for files that could not be
 * written, else RELAY_SANDBOX.
 */
export function sandboxFailure(err: unknown, dataDir: string): string {
  const variable = (err as { variable?: unknown }).variable
  if (typeof variable === 'string') return `relay: ${variable}: ${(err as Error).message}`
  const detail = startFailure(err)
  if (FS_FAILURE.test(detail)) {
    return `relay: RELAY_DATA_DIR: the sandbox cannot keep its files in "${dataDir}" (${detail})`
  }
  return `relay: RELAY_SANDBOX: the sandbox did not start (${detail})`
}

/** `http://HOST:PORT` as printed when ready (IPv6 in brackets). */
export const listenUrl = (host: string, port: number) =>
  `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`

/**
 * After the grace, how long the answers to the requests still in flight have to go out (and
 * their connections to close) before the process exits anyway.
 */
export const ANSWER_FLUSH_MS = 2_000

export interface Stopping {
  /** Stops accepting, lets the requests in flight finish, closes the rest; resolves when done. */
  stop(): Promise<void>
  /** The requests in flight, answered at the end of the grace if still running. */
  inFlight: Pick<InFlight, 'size' | 'abandon'>
  /** How long the requests in flight may take to finish (RELAY_SHUTDOWN_GRACE_MS). */
  graceMs: number
}

/**
 * Runs `stop` once on the first SIGINT/SIGTERM (later signals are ignored while it runs) and
 * exits 0 when it is done. A request still in flight at the end of the grace is answered with
 * the shutdown error (`abandon`) rather than dropped with its connection; the exit follows once
 * `stop` is done or ANSWER_FLUSH_MS later.
 */
export function onShutdown(
  listen: (signal: 'SIGINT' | 'SIGTERM', handler: () => void) => void,
  { stop, inFlight, graceMs }: Stopping,
  exit: (code: number) => void,
): void {
  let stopping = false
  const handler = (signal: string) => {
    if (stopping) return
    stopping = true
    console.error(
      `relay: ${signal}: stopping; ${inFlight.size} request(s) in flight may take ${graceMs} ms to finish`,
    )
    let flush: ReturnType<typeof setTimeout> | undefined
    const grace = setTimeout(() => {
      const n = inFlight.abandon()
      if (n > 0) {
        console.error(
          `relay: stopped after ${graceMs} ms with ${n} request(s) in flight; answered TIMEOUT (outcome unknown)`,
        )
      }
      flush = setTimeout(() => (flushLog(), exit(0)), ANSWER_FLUSH_MS)
    }, graceMs)
    stop()
      .catch(() => {})
      .finally(() => {
        clearTimeout(grace)
        clearTimeout(flush)
        flushLog()
        exit(0)
      })
  }
  listen('SIGINT', () => handler('SIGINT'))
  listen('SIGTERM', () => handler('SIGTERM'))
}

/**
 * Starts the gateway when RELAY_GATEWAY is on; a key that cannot decrypt the store, a store
 * that cannot be opened or migrated, is one line naming the variable, then exit 1.
 */
export async function gatewayOrExit(
  config: RelayConfig,
  relay: GatewayOptions['relay'],
  exit: (code: number) => never,
): Promise<GatewayHandle | undefined> {
  if (!config.gateway) return undefined
  try {
    // Loaded only when on: the stateless relay carries none of the store's code.
    const { startGateway } = await import('../gateway/index.ts')
    return await startGateway({ config, relay })
  } catch (err) {
    if (err instanceof Error && err.name === 'KeyError') console.error(`relay: ${err.message}`)
    else {
      const variable = config.databaseUrl ? 'RELAY_DATABASE_URL' : 'RELAY_DATA_DIR'
      console.error(`relay: ${variable}: the gateway's store cannot be opened (${startFailure(err)})`)
    }
    return exit(1)
  }
}

/** What the start prints about the gateway: store, key and the setup link while one is needed. */
export function gatewayWelcome(gateway: GatewayHandle): string {
  const lines = [`relay: ${gateway.summary}`]
  if (gateway.setupLink) {
    lines.push(
      'ゲートウェイの管理者パスワードを設定してください (1 回限りのリンク) / Choose the gateway admin password (one-time link):',
      `  ${gateway.setupLink}`,
    )
  }
  const ingress = gateway.sending.ingress?.info()
  if (ingress) {
    const where = ingress.listeners.map((l) => `${l.host}:${l.port}/${l.security}`).join(', ')
    lines.push(`relay: 機器からの SMTP 受付 / SMTP ingress for devices: ${where}`)
    if (ingress.certificateSha256) lines.push(`  certificate SHA-256 ${ingress.certificateSha256}`)
  }
  return lines.join('\n')
}
