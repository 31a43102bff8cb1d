/**
 * TLS sessions kept for resumption (RFC 8446 §2.2, RFC 5077): a new connection to a server we
 * have talked to lately offers the ticket it last gave us, so the server skips its certificate
 * and its signature, and we skip verifying a chain. The handshake still takes one round trip;
 * what it saves is CPU on both sides (the server's RSA signature is the dearest step) and, with
 * servers that send a ticket only on full handshakes (Postfix), the ticket itself, which can
 * hold back the EHLO reply until our delayed ACK (~40 ms).
 *
 * Security: only sessions of verified handshakes are kept; a session is offered only to the
 * same host name and port under the same set of extra trusted roots it was verified with, and
 * Node checks the certificate it carries against the host name again on resumption. Sessions
 * stay in memory only.
 *
 * A ticket is offered until the server gives a newer one. RFC 8446 §C.4 says clients SHOULD
 * NOT reuse a ticket, so that passive observers cannot link connections; a relay's connections
 * to its submission server are linked by their source address anyway, and servers such as
 * Postfix send no new ticket on a resumed handshake, so single use would resume only every other
 * connection. A server that refuses a ticket simply runs a full handshake.
 *
 * @module
 */

/** Servers remembered; the one used least recently is forgotten first. */
const MAX_SERVERS = 64
/** A ticket older than this is not offered (servers give hours to days). */
const MAX_AGE_MS = 30 * 60_000

const kept = new Map<string, { session: Uint8Array; at: number }>()

/** The cache key: host name, port and the extra trusted roots. */
export function sessionKeyFor(host: string, port: number | undefined, caKey: string): string {
  return JSON.stringify([host.toLowerCase(), port ?? 0, caKey])
}

/** The session to offer to the server under `key`; undefined when none is fresh enough. */
export function sessionFor(key: string): Uint8Array | undefined {
  const entry = kept.get(key)
  if (!entry) return undefined
  if (performance.now() - entry.at > MAX_AGE_MS) {
    kept.delete(key)
    return undefined
  }
  // Re-inserted last, so the map's first key is the server used least recently.
  kept.delete(key)
  kept.set(key, entry)
  return entry.session
}

/** Keeps a session the server sent on a verified connection, replacing the older one. */
export function keepSession(key: string, session: Uint8Array): void {
  kept.delete(key)
  kept.set(key, { session, at: performance.now() })
  if (kept.size > MAX_SERVERS) kept.delete(kept.keys().next().value as string)
}

/** Forgets every kept session. */
export function clearSessions(): void {
  kept.clear()
}
