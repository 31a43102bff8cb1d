/**
 * Checks an XOAUTH2 bearer token the way Exchange Online does before it lets a client submit:
 * a JWT signed by the tenant's IdP (its published keys), not expired, for an Exchange Online
 * audience (`https://outlook.office.com` or `https://outlook.office365.com`), and either
 * delegated (the SMTP.Send scope, naming the same user as the SASL `user=`) or app-only
 * (`roles` with SMTP.SendAsApp and no `scp`: which mailboxes it may use is Exchange's
 * decision, see exchange.ts).
 *
 * @module
 */
import { request } from 'node:https'
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose'
import { OUTLOOK_ALIASES, SMTP_SEND, SMTP_SEND_AS_APP } from './tenant.ts'

export type TokenVerdict =
  | { ok: true; kind: 'delegated'; upn: string; oid: string }
  | { ok: true; kind: 'app'; appId: string; oid: string }
  | { ok: false; reason: 'invalid' | 'expired' | 'audience' | 'scope' | 'user' }

/** Public half of a JWK set: what the IdP publishes at its `keys` endpoint. */
export function publicJwks(privateJwk: Record<string, unknown>): JSONWebKeySet {
  const { kty, n, e, kid, alg, use } = privateJwk as Record<string, string>
  return { keys: [{ kty, n, e, kid, alg, use }] }
}

/** Fetches the key set the IdP publishes (its `jwks_uri`), trusting the sandbox CA. */
export function fetchJwks(jwksUri: string, caPem: string): Promise<JSONWebKeySet> {
  return new Promise((resolve, reject) => {
    const req = request(jwksUri, { ca: caPem, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONWebKeySet
          if (res.statusCode !== 200 || !Array.isArray(body.keys)) throw new Error(`HTTP ${res.statusCode}`)
          resolve(body)
        } catch (err) {
          reject(new Error(`cannot read the IdP's keys at ${jwksUri}: ${(err as Error).message}`))
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

export function createTokenVerifier(jwks: JSONWebKeySet, issuer: string) {
  const keys = createLocalJWKSet(jwks)
  return async (token: string, user: string): Promise<TokenVerdict> => {
    let payload: Record<string, unknown>
    try {
      ;({ payload } = await jwtVerify(token, keys, { issuer, algorithms: ['RS256'] }))
    } catch (err) {
      const code = (err as { code?: string }).code
      return { ok: false, reason: code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid' }
    }
    const aud = ([] as unknown[]).concat(payload.aud ?? [])
    if (!aud.some((a) => OUTLOOK_ALIASES.includes(String(a)))) return { ok: false, reason: 'audience' }
    if (payload.scp === undefined && Array.isArray(payload.roles)) {
      if (!payload.roles.includes(SMTP_SEND_AS_APP)) return { ok: false, reason: 'scope' }
      return { ok: true, kind: 'app', appId: String(payload.appid ?? ''), oid: String(payload.oid ?? '') }
    }
    const scp = typeof payload.scp === 'string' ? payload.scp.split(' ') : []
    if (!scp.includes(SMTP_SEND)) return { ok: false, reason: 'scope' }
    const upn = typeof payload.upn === 'string' ? payload.upn : ''
    if (!upn || upn.toLowerCase() !== user.trim().toLowerCase()) {
      return { ok: false, reason: 'user' }
    }
    return { ok: true, kind: 'delegated', upn, oid: String(payload.oid ?? '') }
  }
}
