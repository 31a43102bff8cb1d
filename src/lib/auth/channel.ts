/**
 * The two constants the sign-in popup and the page agree on. Kept alone so the callback check
 * that runs on every page load stays a few hundred bytes.
 *
 * @module
 */

/** The BroadcastChannel the callback page posts authorization responses on. */
export const AUTH_CHANNEL = 'mailkey-auth'

/** Our `state` values start with this, so the callback page recognises its own responses. */
export const STATE_PREFIX = 'mk1.'

export interface AuthMessage {
  v: 1
  /** The fragment without `#`: `code=…&id_token=…&state=…` or `error=…`. */
  fragment: string
}

/** True when a URL fragment is an authorization response addressed to this page. */
export function isOurAuthResponse(hash: string): boolean {
  const q = new URLSearchParams(hash.replace(/^#/, ''))
  const state = q.get('state')
  return (
    !!state &&
    state.startsWith(STATE_PREFIX) &&
    (q.has('code') || q.has('access_token') || q.has('id_token') || q.has('error'))
  )
}
