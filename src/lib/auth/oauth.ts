/**
 * The pieces of the hand-made OAuth popups (web-secret and implicit modes) that need no browser
 * window: random values, PKCE (RFC 7636 §4.2, S256), the authorize URL, and reading the
 * fragment the popup comes back with.
 *
 * @module
 */
import { bytesToBase64Url } from './jwt.ts'

export { isOurAuthResponse, STATE_PREFIX } from './channel.ts'

/** A URL-safe random string of `bytes` random bytes (32 bytes → 43 characters, RFC 7636 §4.1). */
export function randomString(bytes = 32): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** The S256 code challenge of a verifier (RFC 7636 §4.2). */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return bytesToBase64Url(new Uint8Array(digest))
}

/** Microsoft documents `v2.0`; the seed writes `V2.0`. Requests use Microsoft's form. */
export function canonicalEndpoint(url: string): string {
  return url.trim().replace(/\/oauth2\/V2\.0\//, '/oauth2/v2.0/')
}

export interface AuthorizeParams {
  endpoint: string
  clientId: string
  redirectUri: string
  responseType: 'code id_token' | 'token id_token'
  scope: string
  state: string
  nonce: string
  codeChallenge?: string
}

export function authorizeUrl(p: AuthorizeParams): string {
  const url = new URL(canonicalEndpoint(p.endpoint))
  const q = url.searchParams
  q.set('client_id', p.clientId)
  q.set('response_type', p.responseType)
  q.set('redirect_uri', p.redirectUri)
  // Both hybrid and implicit responses carry tokens: never in a query string (OIDC Core §3.3.2.5).
  q.set('response_mode', 'fragment')
  q.set('scope', p.scope)
  q.set('state', p.state)
  q.set('nonce', p.nonce)
  // The admin's browser is often signed in as the admin, not as the sending mailbox.
  q.set('prompt', 'select_account')
  if (p.codeChallenge) {
    q.set('code_challenge', p.codeChallenge)
    q.set('code_challenge_method', 'S256')
  }
  return url.toString()
}

export interface AuthorizeError {
  error: string
  description: string
}

/** The error of an authorization response (RFC 6749 §4.1.2.1), if it is one. */
export function responseError(q: URLSearchParams): AuthorizeError | undefined {
  const error = q.get('error')
  return error ? { error, description: q.get('error_description') ?? '' } : undefined
}
