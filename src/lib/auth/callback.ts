/**
 * Runs first in every page load (hooks.client.ts): when this window is the sign-in popup of the
 * web-secret or implicit mode coming back with `#code=…&state=mk1.…`, it removes the response from
 * the address bar and history, hands it to the opener over BroadcastChannel and closes itself.
 *
 * @module
 */
import { AUTH_CHANNEL, isOurAuthResponse, type AuthMessage } from './channel.ts'

/** Returns true when this load was an authorization response (the window then closes). */
export function relayAuthResponse(win: Window = window): boolean {
  const { hash, pathname, search } = win.location
  if (!isOurAuthResponse(hash)) return false
  // The code and tokens must not stay in the address bar or the session history.
  win.history.replaceState(null, '', pathname + search)
  const channel = new BroadcastChannel(AUTH_CHANNEL)
  const message: AuthMessage = { v: 1, fragment: hash.slice(1) }
  channel.postMessage(message)
  channel.close()
  win.close()
  return true
}
