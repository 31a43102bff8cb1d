/**
 * Entra's redirect URI rules (entra-docs `reply-url.md`): an exact match, except that for
 * `http://localhost` the port is ignored (RFC 8252 §7.3) and a URI without a path is the same as
 * one ending in `/` (the WHATWG URL parser gives both the path `/`).
 *
 * @module
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1'])

function parse(uri: string): URL | undefined {
  try {
    return new URL(uri)
  } catch {
    return undefined
  }
}

/** True when `requested` matches one of `registered` under Entra's rules. */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  const wanted = parse(requested)
  if (!wanted || wanted.hash) return false
  return registered.some((entry) => {
    const allowed = parse(entry)
    if (!allowed) return false
    if (allowed.href === wanted.href) return true
    if (allowed.protocol !== 'http:' || !LOOPBACK_HOSTS.has(allowed.hostname)) return false
    if (wanted.protocol !== 'http:' || wanted.hostname !== allowed.hostname) return false
    const a = new URL(allowed.href)
    const b = new URL(wanted.href)
    a.port = ''
    b.port = ''
    return a.href === b.href
  })
}
