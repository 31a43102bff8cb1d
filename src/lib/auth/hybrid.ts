/**
 * Token mode `web-secret`: the seed's Web registration as written. The popup asks for the OIDC
 * hybrid response `code id_token` (PKCE S256, state, nonce); the ID token names the account at
 * once, and the relay redeems the code with the client secret (POST /api/token), which a browser
 * may not do for a Web registration (AADSTS9002326). The refresh token renews through the relay.
 *
 * @module
 */
import { SMTP_SCOPE, TOKEN_SCOPES } from '../settings/model.ts'
import { AuthFailure } from './errors.ts'
import { accountName, decodeJwt, halfHash, type IdClaims } from './jwt.ts'
import {
  authorizeUrl,
  canonicalEndpoint,
  codeChallenge,
  randomString,
  responseError,
  STATE_PREFIX,
} from './oauth.ts'
import { closedIsReliable, waitForResponse } from './popup.ts'
import { idTokenProblem, scopeList, type TokenSet } from './tokens.ts'

export interface WebSecretConfig {
  authorizeEndpoint: string
  tokenEndpoint: string
  clientId: string
  clientSecret: string
  /** This origin's root on http://localhost (the seed's `http://localhost` registration). */
  redirectUri: string
}

const SCOPE = TOKEN_SCOPES.join(' ')

/** `AADSTS7000222` from an error_description (the diagnosis explains it). */
function aadstsIn(description: string): string | undefined {
  return /\bAADSTS\d{4,7}\b/.exec(description)?.[0]
}

/** Throws the AuthFailure for an error answer of the authorize endpoint. */
export function throwIfError(q: URLSearchParams): void {
  const err = responseError(q)
  if (err) {
    throw new AuthFailure('authorize_error', {
      aadsts: aadstsIn(err.description),
      detail: err.description ? `${err.error}: ${err.description}` : err.error,
    })
  }
}

/** What the hybrid popup returned: the code to redeem and the checked ID token's claims. */
export interface HybridCode {
  code: string
  /** The PKCE verifier the code must be redeemed with. */
  codeVerifier: string
  redirectUri: string
  claims: IdClaims
}

/**
 * Runs the hybrid `code id_token` sign-in in `popup` (already open, opened inside the click) and
 * checks the ID token (nonce, audience, expiry, c_hash). Whoever holds the client secret redeems
 * the code: the relay's /api/token for web-secret, the gateway's mailbox for a delegated one.
 */
export async function authorizeHybrid(
  cfg: Pick<WebSecretConfig, 'authorizeEndpoint' | 'clientId' | 'redirectUri'>,
  popup: Window,
  signal: AbortSignal,
): Promise<HybridCode> {
  const state = STATE_PREFIX + randomString(16)
  const nonce = randomString(16)
  const verifier = randomString(32)
  popup.location.href = authorizeUrl({
    endpoint: cfg.authorizeEndpoint,
    clientId: cfg.clientId,
    redirectUri: cfg.redirectUri,
    responseType: 'code id_token',
    scope: SCOPE,
    state,
    nonce,
    codeChallenge: await codeChallenge(verifier),
  })
  const q = await waitForResponse(popup, state, {
    closedReliable: closedIsReliable(cfg.authorizeEndpoint),
    signal,
  })
  throwIfError(q)
  const code = q.get('code')
  const idToken = q.get('id_token')
  if (!code || !idToken) throw new AuthFailure('authorize_error', { detail: 'no code or id_token in the answer' })
  const claims = decodeJwt(idToken)
  const problem = idTokenProblem(claims, { nonce, clientId: cfg.clientId, nowMs: Date.now() })
  if (problem) throw new AuthFailure('id_token_invalid', { detail: problem })
  if (claims.c_hash !== undefined && claims.c_hash !== (await halfHash(code))) {
    throw new AuthFailure('id_token_invalid', { detail: 'c_hash' })
  }
  return { code, codeVerifier: verifier, redirectUri: cfg.redirectUri, claims }
}

/** Signs in through `popup` (already open, opened inside the click). */
export async function signInWebSecret(
  cfg: WebSecretConfig,
  popup: Window,
  signal: AbortSignal,
): Promise<TokenSet> {
  const { code, codeVerifier, claims } = await authorizeHybrid(cfg, popup, signal)
  const { postToken } = await import('../relay/client.ts')
  const res = await postToken({
    tokenEndpoint: canonicalEndpoint(cfg.tokenEndpoint),
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    scope: SCOPE,
    grant: { type: 'authorization_code', code, codeVerifier, redirectUri: cfg.redirectUri },
  })
  return {
    accessToken: res.accessToken,
    expiresAt: Date.now() + res.expiresIn * 1000,
    account: accountName(res.idToken ? decodeJwt(res.idToken) : claims),
    scopes: scopeList(res.scope, [SMTP_SCOPE]),
    refreshToken: res.refreshToken,
  }
}

/** Renews with the refresh token through the relay; keeps the old refresh token if none rotated. */
export async function refreshWebSecret(
  cfg: Omit<WebSecretConfig, 'redirectUri' | 'authorizeEndpoint'>,
  previous: TokenSet,
): Promise<TokenSet> {
  if (!previous.refreshToken) throw new AuthFailure('implicit_expired', { detail: 'no refresh token' })
  const { postToken } = await import('../relay/client.ts')
  const res = await postToken({
    tokenEndpoint: canonicalEndpoint(cfg.tokenEndpoint),
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    // Entra answers AADSTS900144 to refreshes without scope (M365-FACTS §2.4).
    scope: SCOPE,
    grant: { type: 'refresh_token', refreshToken: previous.refreshToken },
  })
  return {
    accessToken: res.accessToken,
    expiresAt: Date.now() + res.expiresIn * 1000,
    account: previous.account,
    scopes: scopeList(res.scope, previous.scopes),
    refreshToken: res.refreshToken ?? previous.refreshToken,
  }
}
