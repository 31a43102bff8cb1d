/**
 * Token mode `implicit`: the seed's "Access tokens" + "ID tokens" checkboxes. The popup returns
 * `access_token` and `id_token` in the fragment; there is no refresh token, so the token cannot be
 * renewed and the user signs in again when it expires.
 *
 * @module
 */
import { SMTP_SCOPE } from '../settings/model.ts'
import { AuthFailure } from './errors.ts'
import { throwIfError } from './hybrid.ts'
import { accountName, decodeJwt, halfHash } from './jwt.ts'
import { authorizeUrl, randomString, STATE_PREFIX } from './oauth.ts'
import { closedIsReliable, waitForResponse } from './popup.ts'
import { idTokenProblem, scopeList, type TokenSet } from './tokens.ts'

export interface ImplicitConfig {
  authorizeEndpoint: string
  clientId: string
  redirectUri: string
}

/** Signs in through `popup` (already open, opened inside the click). */
export async function signInImplicit(
  cfg: ImplicitConfig,
  popup: Window,
  signal: AbortSignal,
): Promise<TokenSet> {
  const state = STATE_PREFIX + randomString(16)
  const nonce = randomString(16)
  popup.location.href = authorizeUrl({
    endpoint: cfg.authorizeEndpoint,
    clientId: cfg.clientId,
    redirectUri: cfg.redirectUri,
    responseType: 'token id_token',
    // No offline_access: the implicit grant never issues refresh tokens (RFC 6749 §4.2.2).
    scope: `${SMTP_SCOPE} openid profile`,
    state,
    nonce,
  })
  const q = await waitForResponse(popup, state, {
    closedReliable: closedIsReliable(cfg.authorizeEndpoint),
    signal,
  })
  throwIfError(q)
  const accessToken = q.get('access_token')
  const idToken = q.get('id_token')
  const expiresIn = Number(q.get('expires_in') ?? '3600')
  if (!accessToken || !idToken) {
    throw new AuthFailure('authorize_error', { detail: 'no access_token or id_token in the answer' })
  }
  const claims = decodeJwt(idToken)
  const problem = idTokenProblem(claims, { nonce, clientId: cfg.clientId, nowMs: Date.now() })
  if (problem) throw new AuthFailure('id_token_invalid', { detail: problem })
  if (claims.at_hash !== undefined && claims.at_hash !== (await halfHash(accessToken))) {
    throw new AuthFailure('id_token_invalid', { detail: 'at_hash' })
  }
  return {
    accessToken,
    expiresAt: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000,
    account: accountName(claims),
    scopes: scopeList(q.get('scope'), [SMTP_SCOPE]),
  }
}
