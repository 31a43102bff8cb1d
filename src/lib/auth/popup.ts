/**
 * The sign-in window of the web-secret and implicit modes, and the channel its answer comes back
 * on. The popup is opened synchronously inside the click (user activation), then pointed at the
 * authorize URL once that is built. The page it returns to (`callback.ts`) posts the fragment over
 * a BroadcastChannel, which works even when the identity provider's COOP header severed
 * `window.opener` (M365-FACTS §3.2).
 *
 * @module
 */
import { AuthFailure } from './errors.ts'
import { AUTH_CHANNEL, STATE_PREFIX, type AuthMessage } from './channel.ts'

/** How long a sign-in may take in the popup (typing a password, MFA). */
const SIGN_IN_TIMEOUT_MS = 5 * 60 * 1000
/** After the window reads as closed, a late answer still in flight may arrive within this. */
const CLOSED_GRACE_MS = 1000
const POLL_MS = 300

/**
 * Opens an empty, centred popup, showing `note` (e.g. "connecting…") until it is sent to the
 * sign-in page; throws AuthFailure('popup_blocked') when the browser refuses.
 */
export function openPopup(note?: { text: string; lang: string }): Window {
  const w = 520
  const h = 680
  const left = Math.max(0, Math.round(screenX + (outerWidth - w) / 2))
  const top = Math.max(0, Math.round(screenY + (outerHeight - h) / 2))
  const popup = window.open('', 'mailkey-signin', `popup=yes,width=${w},height=${h},left=${left},top=${top}`)
  if (!popup) throw new AuthFailure('popup_blocked')
  if (note) {
    try {
      // about:blank is same-origin with this page: plain DOM, no script or style (CSP inherited).
      const doc = popup.document
      doc.documentElement.lang = note.lang
      doc.title = note.text
      const p = doc.createElement('p')
      p.textContent = note.text
      doc.body?.replaceChildren(p)
    } catch {
      // A window of that name already on another origin: it only misses the note.
    }
  }
  return popup
}

/**
 * True when a closed-looking popup means the user closed it. Microsoft's sign-in pages send a
 * COOP header that cuts the popup off from this page, after which the popup always reads as
 * closed; there only the answer or the timeout (or [Cancel]) ends the wait.
 */
export function closedIsReliable(authorizeEndpoint: string): boolean {
  try {
    const host = new URL(authorizeEndpoint).hostname
    return !/(^|\.)(microsoftonline\.com|microsoftonline\.us|chinacloudapi\.cn|microsoft\.com)$/i.test(host)
  } catch {
    return true
  }
}

/**
 * Waits for the authorization response with `state`. Rejects with AuthFailure `popup_closed`
 * (closed window, when that signal is reliable), `bridge_timeout`, or when `signal` aborts.
 */
export function waitForResponse(
  popup: Window,
  state: string,
  opts: { closedReliable: boolean; signal?: AbortSignal; timeoutMs?: number },
): Promise<URLSearchParams> {
  if (!state.startsWith(STATE_PREFIX)) throw new Error('state must carry the mailkey prefix')
  return new Promise((resolve, reject) => {
    const channel = new BroadcastChannel(AUTH_CHANNEL)
    let closedAt = 0
    const finish = (fn: () => void) => {
      channel.close()
      clearInterval(poll)
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      fn()
    }
    const onAbort = () => finish(() => {
      if (!popup.closed) popup.close()
      reject(new AuthFailure('popup_closed', { detail: 'cancelled' }))
    })
    channel.onmessage = (event: MessageEvent<AuthMessage>) => {
      if (event.data?.v !== 1 || typeof event.data.fragment !== 'string') return
      const q = new URLSearchParams(event.data.fragment)
      // Another tab's sign-in answers on the same channel: only ours ends this wait.
      if (q.get('state') !== state) return
      finish(() => resolve(q))
    }
    const poll = setInterval(() => {
      if (!opts.closedReliable || !popup.closed) return
      closedAt ||= Date.now()
      if (Date.now() - closedAt >= CLOSED_GRACE_MS) finish(() => reject(new AuthFailure('popup_closed')))
    }, POLL_MS)
    const timer = setTimeout(
      () => finish(() => reject(new AuthFailure('bridge_timeout'))),
      opts.timeoutMs ?? SIGN_IN_TIMEOUT_MS,
    )
    opts.signal?.addEventListener('abort', onAbort)
  })
}

/**
 * Rejects with AuthFailure `popup_closed` once the window `current()` returns reads as closed
 * for longer than the grace period (only when that signal is reliable), or when `signal`
 * aborts. Never resolves: race it with the sign-in. `stop()` ends the watch.
 */
export function watchClosed(
  current: () => Window | null | undefined,
  opts: { closedReliable: boolean; signal?: AbortSignal | undefined },
): { closed: Promise<never>; stop(): void } {
  let stop = () => {}
  const closed = new Promise<never>((_, reject) => {
    let closedAt = 0
    const onAbort = () => {
      stop()
      current()?.close()
      reject(new AuthFailure('popup_closed', { detail: 'cancelled' }))
    }
    const poll = setInterval(() => {
      const w = current()
      if (!opts.closedReliable || !w?.closed) return
      closedAt ||= Date.now()
      if (Date.now() - closedAt >= CLOSED_GRACE_MS) {
        stop()
        reject(new AuthFailure('popup_closed'))
      }
    }, POLL_MS)
    stop = () => {
      clearInterval(poll)
      opts.signal?.removeEventListener('abort', onAbort)
    }
    opts.signal?.addEventListener('abort', onAbort)
  })
  // The watch may lose the race; its rejection is then nobody's business.
  closed.catch(() => undefined)
  return { closed, stop: () => stop() }
}
