/**
 * Where a request may make the relay connect: the SMTP and token-endpoint allow-lists, the
 * plain-text rule, and the name resolution whose checked result is the address connected to
 * (resolving once closes the gap a second, rebinding DNS answer would open).
 *
 * @module
 */
import { isIP } from 'node:net'
import type { Security } from '../../../src/lib/contract/api.ts'
import { formatHostPort, type HostEntry, type RelayConfig } from '../config.ts'
import { isPublicAddress } from './addresses.ts'
import { ApiError } from './errors.ts'

/** All addresses a name resolves to (`node:dns/promises` `lookup(host, { all: true })`). */
export type ResolveHost = (host: string) => Promise<string[]>

const normalHost = (host: string) => host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase()

const findEntry = (entries: readonly HostEntry[], host: string, port: number) =>
  entries.find((e) => e.host === host && e.port === port)

/**
 * Resolves `host` once and returns the address to connect to. Built-in entries must resolve to
 * public addresses; administrator entries may resolve to anything (a LAN mail server, the
 * sandbox on localhost). `failure` builds the error for a name that does not resolve.
 */
async function resolveChecked(
  entry: HostEntry,
  host: string,
  resolveHost: ResolveHost,
  failure: (message: string) => ApiError,
): Promise<string[]> {
  let addresses: string[]
  if (isIP(host)) {
    addresses = [host]
  } else {
    try {
      addresses = await resolveHost(host)
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'unknown error'
      throw failure(`Could not resolve ${host} (${code}).`)
    }
  }
  const usable = [...new Set(entry.publicOnly ? addresses.filter(isPublicAddress) : addresses)]
  // IPv4 first: local servers (the sandbox, test peers) often listen on 127.0.0.1 only while
  // `localhost` resolves to ::1 first; later addresses are tried when a connection is refused.
  usable.sort((a, b) => Number(isIP(a) === 6) - Number(isIP(b) === 6))
  if (usable.length === 0) {
    throw addresses.length === 0
      ? failure(`${host} has no address.`)
      : new ApiError('HOST_NOT_ALLOWED', `${host} resolves to a private or loopback address.`, {
        hint:
          "The built-in Microsoft hosts must resolve to public addresses; check this machine's DNS.",
      })
  }
  return usable
}

export interface CheckedSmtpTarget {
  /** The checked addresses, in the order to try them (IPv4 first). */
  connectAddresses: string[]
  allowPlaintextAuth: boolean
}

export interface AllowedSmtpTarget {
  allowPlaintextAuth: boolean
  /**
   * Resolves the host and checks its addresses (the order to try them in, IPv4 first). Only
   * needed to open a connection: a send on a reused one was connected to an address checked
   * when it was opened, and resolves nothing.
   */
  resolve(): Promise<string[]>
}

/** Checks `host:port` and `security` against the configuration and resolves the host. */
export async function checkSmtpTarget(
  config: RelayConfig,
  target: { host: string; port: number; security: Security },
  resolveHost: ResolveHost,
): Promise<CheckedSmtpTarget> {
  const allowed = allowSmtpTarget(config, target, resolveHost)
  return { connectAddresses: await allowed.resolve(), allowPlaintextAuth: allowed.allowPlaintextAuth }
}

/**
 * Checks `host:port` and `security` against the configuration (throws `HOST_NOT_ALLOWED`);
 * the name is resolved, and its addresses checked, only when `resolve` is called.
 */
export function allowSmtpTarget(
  config: RelayConfig,
  target: { host: string; port: number; security: Security },
  resolveHost: ResolveHost,
): AllowedSmtpTarget {
  const host = normalHost(target.host)
  const shown = formatHostPort({ host, port: target.port })
  const plaintext = findEntry(config.plaintextHosts, host, target.port)
  const entry = findEntry(config.smtpHosts, host, target.port) ?? plaintext
  if (!entry) {
    throw new ApiError('HOST_NOT_ALLOWED', `${shown} is not in this relay's SMTP allow-list.`, {
      hint: `Allowed: ${
        config.smtpHosts.map(formatHostPort).join(', ') || 'none'
      }. An administrator adds host:port to RELAY_SMTP_HOSTS.`,
      path: 'smtp.host',
    })
  }
  if (target.security === 'none' && !plaintext) {
    throw new ApiError(
      'HOST_NOT_ALLOWED',
      `Plain text (security "none") is not allowed for ${shown}.`,
      {
        hint:
          'Choose StartTLS (587) or SSL/TLS (465). Plain text is only for hosts in RELAY_PLAINTEXT_HOSTS.',
        path: 'smtp.security',
      },
    )
  }
  return {
    allowPlaintextAuth: target.security === 'none',
    resolve: () =>
      resolveChecked(
        entry,
        host,
        resolveHost,
        (message) =>
          new ApiError('CONNECTION_FAILED', message, {
            hint: 'Check the SMTP server name (Microsoft 365: smtp.office365.com).',
          }),
      ),
  }
}

export interface CheckedTokenEndpoint {
  url: URL
  /** The name the certificate must carry. */
  host: string
  port: number
  /** The checked addresses, in the order to try them (IPv4 first). */
  connectAddresses: string[]
}

/** A token endpoint's path: `/{tenant}/oauth2/v2.0/token` (any case: the seed writes `V2.0`). */
const TOKEN_PATH = /^\/[^/]+\/oauth2\/(?:v2\.0\/)?token$/i

/** Checks a token endpoint URL against the configuration and resolves its host. */
export async function checkTokenEndpoint(
  config: RelayConfig,
  endpoint: string,
  resolveHost: ResolveHost,
): Promise<CheckedTokenEndpoint> {
  const url = new URL(endpoint)
  if (
    url.protocol !== 'https:' || url.username || url.password || url.hash ||
    !TOKEN_PATH.test(url.pathname)
  ) {
    throw new ApiError('INVALID_REQUEST', 'The token endpoint is not a token endpoint URL.', {
      hint: 'Expected https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.',
      path: 'tokenEndpoint',
    })
  }
  const host = normalHost(url.hostname)
  const port = url.port ? Number(url.port) : 443
  const entry = findEntry(config.tokenHosts, host, port)
  if (!entry) {
    throw new ApiError(
      'HOST_NOT_ALLOWED',
      `${url.host} is not in this relay's token host allow-list.`,
      {
        hint: `Allowed: ${
          config.tokenHosts.map(formatHostPort).join(', ') || 'none'
        }. An administrator adds the host to RELAY_TOKEN_HOSTS.`,
        path: 'tokenEndpoint',
      },
    )
  }
  const connectAddresses = await resolveChecked(
    entry,
    host,
    resolveHost,
    (message) =>
      new ApiError('TOKEN_ENDPOINT_ERROR', message, {
        hint:
          'Check the token endpoint (https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token).',
      }),
  )
  return { url, host, port, connectAddresses }
}
