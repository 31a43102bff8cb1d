/**
 * The redirect URI each token mode uses on this deployment, and the value the admin registers.
 *
 * @module
 */
import type { TokenMode } from '../settings/model.ts'

/**
 * The MSAL v5 redirect bridge page (bridge/), a static file no route uses: the popup lands there
 * and only that tiny script runs (PROVEN.md: a kit route would boot the whole app in the popup).
 */
export const BRIDGE_PATH = '/redirect-bridge.html'

/** The seed's Web redirect URI, as it is registered in Entra. */
export const SEED_WEB_REDIRECT = 'http://localhost'

export interface RedirectInfo {
  /** What the page sends as `redirect_uri`. */
  uri: string
  /**
   * The one value to register in Entra for this mode on this deployment: the bridge URI
   * (spa-pkce), the seed's `http://localhost` on localhost (Entra ignores the port there), or
   * this https origin's root when the relay runs on a server.
   */
  register: string
  /** True when `register` is not the seed's `http://localhost` but this origin (a server). */
  onServer: boolean
  /** False when the mode cannot redirect back to this page: plain http on a host that is not localhost. */
  usable: boolean
}

/**
 * spa-pkce returns to the bridge page; web-secret and implicit return to this origin's root,
 * which matches the seed's Web registration `http://localhost` on `http://localhost:<port>/`
 * (Entra ignores the port for localhost and allows http only there: M365-FACTS §2.5), and needs
 * its own https registration elsewhere.
 */
export function redirectUriFor(mode: TokenMode, loc: { origin: string; hostname: string; protocol?: string }): RedirectInfo {
  if (mode === 'spa-pkce') {
    const uri = `${loc.origin}${BRIDGE_PATH}`
    return { uri, register: uri, onServer: loc.hostname !== 'localhost', usable: true }
  }
  const uri = `${loc.origin}/`
  if (loc.hostname === 'localhost') return { uri, register: SEED_WEB_REDIRECT, onServer: false, usable: true }
  const https = (loc.protocol ?? new URL(loc.origin).protocol) === 'https:'
  return { uri, register: uri, onServer: true, usable: https }
}
