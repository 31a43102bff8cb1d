/**
 * Reading (not verifying) a JWT's claims, and the OIDC hash checks (`c_hash`, `at_hash`) that bind
 * a code or access token to the ID token of the same response (OIDC Core §3.3.2.11, §3.2.2.9).
 * The ID token is only used to name the account and to check the nonce; the relay and the mail
 * server verify the tokens that matter.
 *
 * @module
 */

export interface IdClaims {
  aud?: string | string[]
  iss?: string
  exp?: number
  nonce?: string
  name?: string
  preferred_username?: string
  upn?: string
  email?: string
  c_hash?: string
  at_hash?: string
  tid?: string
  [claim: string]: unknown
}

function base64UrlToBytes(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=')
  const bin = atob(b64)
  return Uint8Array.from(bin, (c) => c.charCodeAt(0))
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The claims of a JWT; throws on anything that is not three base64url parts with a JSON payload. */
export function decodeJwt(token: string): IdClaims {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[1]) throw new Error('Not a JWT')
  const json: unknown = JSON.parse(new TextDecoder().decode(base64UrlToBytes(parts[1])))
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('Not a JWT')
  return json as IdClaims
}

/** The account name to show: the sign-in name, as Entra puts it in the ID token. */
export function accountName(claims: IdClaims): string {
  return claims.preferred_username ?? claims.upn ?? claims.email ?? claims.name ?? '?'
}

/** `c_hash` / `at_hash`: base64url of the left half of SHA-256 of the value (RS256/ES256/PS256). */
export async function halfHash(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value)))
  return bytesToBase64Url(digest.slice(0, digest.length / 2))
}
