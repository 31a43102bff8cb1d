/**
 * Failures that happen in the browser during sign-in, each with a stable code the diagnosis
 * catalogue explains. Messages never contain a token, code or secret.
 *
 * @module
 */

export const BROWSER_FAILURES = [
  /** window.open returned null: the browser blocked the popup. */
  'popup_blocked',
  /** The user closed the sign-in window before it finished. */
  'popup_closed',
  /** No answer from the popup in time (MSAL: redirect bridge timeout). */
  'bridge_timeout',
  /** The `state` of the response is not the one sent (CSRF, RFC 6749 §10.12). */
  'state_mismatch',
  /** The ID token's nonce, audience or hash does not match the request (OIDC Core §3.2.2.11). */
  'id_token_invalid',
  /** MSAL refused an http authority (`authority_uri_insecure`). */
  'authority_insecure',
  /** The page is not on http://localhost, which the Web redirect URI needs. */
  'not_localhost',
  /** The authorize endpoint answered with an error (AADSTS code in `aadsts` when known). */
  'authorize_error',
  /** Any other MSAL error (its errorCode in `detail`). */
  'msal',
  /** The implicit token expired: it cannot be renewed, sign in again. */
  'implicit_expired',
  /** Another sign-in is already waiting for its popup. */
  'in_progress',
  /** A part of the page (MSAL, the sign-in code) could not be loaded from the relay. */
  'load_failed',
  /** This browser cannot reach the authority's host at all (network, proxy, firewall): host in `detail`. */
  'authority_unreachable',
] as const
export type BrowserFailure = (typeof BROWSER_FAILURES)[number]

export class AuthFailure extends Error {
  readonly code: BrowserFailure
  /** e.g. `AADSTS9002326`, when the identity provider named one. */
  readonly aadsts: string | undefined
  /** A non-secret detail to show (an MSAL errorCode, an OAuth error name, an error_description). */
  readonly detail: string | undefined
  /**
   * True when the authority answered this browser's probe (reach.ts): then a popup that never
   * came back points at the redirect URI; false or undefined, it says nothing about it.
   */
  readonly authorityReachable: boolean | undefined

  constructor(
    code: BrowserFailure,
    opts: { aadsts?: string | undefined; detail?: string | undefined; cause?: unknown; authorityReachable?: boolean } = {},
  ) {
    super(opts.detail ? `${code}: ${opts.detail}` : code, { cause: opts.cause })
    this.name = 'AuthFailure'
    this.code = code
    this.aadsts = opts.aadsts
    this.detail = opts.detail
    this.authorityReachable = opts.authorityReachable
  }
}
