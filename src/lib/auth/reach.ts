/**
 * Can this browser reach the authority at all? A proxy, a firewall or a PC without internet
 * leaves the sign-in popup on the browser's "This site can't be reached" page, which the page
 * cannot see (another origin). So the page asks on its own: it fetches the authority's OpenID
 * discovery document (Entra and the sandbox serve it with CORS) when sign-in starts and when the
 * endpoints are filled in. Any HTTP answer, even an error or one without CORS headers, means the
 * host is reachable; only a network failure (or no answer in time) means it is not.
 *
 * Only hosts the page's CSP `connect-src` allows are probed (svelte.config.js): Entra's
 * `login.microsoftonline.com` and the sandbox's `https://localhost:*`. Others answer `unknown`.
 *
 * @module
 */

export type Reach =
  | { kind: 'reachable'; host: string }
  | { kind: 'unreachable'; host: string }
  | { kind: 'unknown' }

/** How long the discovery document may take before the host counts as unreachable. */
export const PROBE_TIMEOUT_MS = 8000

/** Hosts of `connect-src` in svelte.config.js, besides the page's own origin. */
function allowedByCsp(url: URL): boolean {
  if (url.protocol !== 'https:') return false
  return url.hostname === 'login.microsoftonline.com' || url.hostname === 'localhost'
}

/**
 * The discovery document of the authority an Entra-shaped authorize endpoint names
 * (`https://host/{tenant}/oauth2/v2.0/authorize` → `https://host/{tenant}/v2.0/.well-known/openid-configuration`),
 * when the CSP lets the page fetch it.
 */
export function discoveryUrl(authorizeEndpoint: string): URL | undefined {
  let url: URL
  try {
    url = new URL(authorizeEndpoint.trim())
  } catch {
    return undefined
  }
  if (!allowedByCsp(url)) return undefined
  const tenant = url.pathname.split('/')[1] || 'common'
  return new URL(`/${tenant}/v2.0/.well-known/openid-configuration`, url.origin)
}

async function answers(url: URL, mode: RequestMode, signal: AbortSignal): Promise<boolean> {
  try {
    await fetch(url, { mode, credentials: 'omit', cache: 'no-store', signal })
    return true
  } catch {
    return false
  }
}

/**
 * Probes the authority of `authorizeEndpoint`. Never rejects: `unknown` for a host the page may
 * not fetch (or when `signal` aborts), else `reachable` or `unreachable` (within `timeoutMs`).
 */
export async function probeAuthority(
  authorizeEndpoint: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Reach> {
  const url = discoveryUrl(authorizeEndpoint)
  if (!url) return { kind: 'unknown' }
  const host = url.host
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? PROBE_TIMEOUT_MS)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  // A CORS answer first; a host that answers without CORS headers fails that but still answers
  // an opaque (no-cors) request, which only a network failure rejects.
  const ok = (await answers(url, 'cors', signal)) || (!signal.aborted && (await answers(url, 'no-cors', signal)))
  if (ok) return { kind: 'reachable', host }
  if (opts.signal?.aborted) return { kind: 'unknown' }
  return { kind: 'unreachable', host }
}
