/**
 * The redirect URI each token mode uses on this deployment, as the admin must register it.
 *
 * @module
 */
import type { TokenMode } from '../settings/model.ts'

/**
 * The MSAL v5 redirect bridge page (bridge/), a static file no route uses: the popup lands there
 * and only that tiny script runs (PROVEN.md: a kit route would boot the whole app in the popup).
 */
export const BRIDGE_PATH = '/redirect-bridge.html'

export interface RedirectInfo {
  uri: string
  /** False when the mode needs `http://localhost:<port>/` and this page is served elsewhere. */
  usable: boolean
}

/**
 * spa-pkce returns to the bridge page; web-secret and implicit return to this origin's root, which
 * must be `http://localhost:<port>/` to match the seed's Web registration `http://localhost`
 * (Entra ignores the port for localhost and allows http only there: M365-FACTS §2.5).
 */
export function redirectUriFor(mode: TokenMode, loc: { origin: string; hostname: string }): RedirectInfo {
  if (mode === 'spa-pkce') return { uri: `${loc.origin}${BRIDGE_PATH}`, usable: true }
  return { uri: `${loc.origin}/`, usable: loc.hostname === 'localhost' }
}
