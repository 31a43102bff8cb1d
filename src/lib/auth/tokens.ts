/**
 * What a sign-in yields, whatever the mode, and the checks on an ID token that come back through
 * the front channel (OIDC Core §3.2.2.11 for implicit, §3.3.2.12 for hybrid).
 *
 * @module
 */
import type { IdClaims } from './jwt.ts'

export interface TokenSet {
  /** Kept in memory only; never logged, stored persistently or exported. */
  accessToken: string
  /** Epoch milliseconds. */
  expiresAt: number
  /** The signed-in account's sign-in name (the XOAUTH2 `user=`). */
  account: string
  scopes: string[]
  /** web-secret only: the rotated refresh token (session memory/storage). */
  refreshToken?: string | undefined
}

/** Allowed clock difference between this computer and the identity provider. */
const CLOCK_SKEW_S = 300

/** Why an ID token is refused, or undefined when it is acceptable. */
export function idTokenProblem(
  claims: IdClaims,
  expect: { nonce: string; clientId: string; nowMs: number },
): string | undefined {
  if (claims.nonce !== expect.nonce) return 'nonce'
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!aud.includes(expect.clientId)) return 'aud'
  if (typeof claims.exp === 'number' && claims.exp + CLOCK_SKEW_S < expect.nowMs / 1000) return 'exp'
  return undefined
}

/** Scopes of a token answer (`scope` is space separated, RFC 6749 §3.3). */
export function scopeList(scope: string | null | undefined, fallback: readonly string[]): string[] {
  const list = (scope ?? '').split(' ').filter(Boolean)
  return list.length ? list : [...fallback]
}
