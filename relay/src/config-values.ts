/**
 * The pieces of configuration parsing that the relay's config and the gateway's ingress config
 * share: host entries and the one-line error naming a variable. Its own module so that
 * config.ts and gateway/ingress-config.ts do not import each other.
 *
 * @module
 */
import { HostName } from '../../src/lib/contract/api.ts'

/** One allow-list entry: `host:port`, or for token hosts also `host` (= port 443). */
export interface HostEntry {
  /** Lower-case host name or IP literal (IPv6 without brackets). */
  host: string
  port: number
  /**
   * A built-in Microsoft default (the variable was not set): its name must resolve to public
   * addresses only, so a poisoned or rebinding DNS cannot turn it into a path to the LAN.
   * Entries an administrator configured may resolve to anything.
   */
  publicOnly: boolean
}

/** A configuration value that cannot be used; `message` is the one line to print. */
export class ConfigError extends Error {
  readonly variable: string
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

/** Parses `host:port`, `[v6]:port`, or (when `defaultPort` is given) a bare host. */
export function parseHostEntry(
  text: string,
  publicOnly: boolean,
  defaultPort?: number,
): HostEntry | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(text)
  if (!m) return undefined
  const host = (m[1] ?? m[2] ?? '').toLowerCase()
  const port = m[3] !== undefined ? Number(m[3]) : defaultPort
  if (port === undefined || port < 1 || port > 65535) return undefined
  if (!HostName.safeParse(host).success) return undefined
  return { host, port, publicOnly }
}

/** `host:port` as shown in `/api/config` and compared in allow-lists (IPv6 in brackets). */
export const formatHostPort = (e: { host: string; port: number }) =>
  `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`
