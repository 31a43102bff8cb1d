/**
 * The sign-in session of the page: the state machine of machine.ts as rune state, the access
 * token in memory (never persisted), a one-second clock for the countdown, and renewal before
 * expiry. The web-secret refresh token is kept in sessionStorage (this tab only) so a reload can
 * renew without a new popup.
 *
 * @module
 */
import type { Settings } from '../settings/model.ts'
import { AuthFailure, type BrowserFailure } from './errors.ts'
import { next, renewAt, renewIsDue, type AuthEvent, type AuthState } from './machine.ts'
import { openPopup } from './popup.ts'
import { probeAuthority, type Reach } from './reach.ts'
import { redirectUriFor } from './redirect.ts'
import type { TokenSet } from './tokens.ts'

const REFRESH_KEY = 'mailkey.webSecretSession'

interface StoredRefresh {
  key: string
  account: string
  scopes: string[]
  refreshToken: string
}

/** Which registration a token belongs to: a token is only reused for the same one. */
function sessionKey(s: Settings): string {
  return `${s.tokenMode}|${s.clientId.trim()}|${s.tokenEndpoint.trim().toLowerCase()}`
}

/** Failures that an unreachable authority would explain better. */
const PROBE_EXPLAINS = new Set<BrowserFailure>(['popup_closed', 'bridge_timeout', 'msal', 'in_progress'])

function unreachableFailure(host: string): AuthFailure {
  return new AuthFailure('authority_unreachable', { detail: host, authorityReachable: false })
}

/**
 * A sign-in failure seen with what the probe found: an unreachable authority explains a closed or
 * cancelled popup, a timeout or MSAL's failed discovery better than they do; a popup that timed
 * out with the authority reachable points at the redirect URI.
 */
async function explainWithReach(e: unknown, probe: Promise<Reach>): Promise<unknown> {
  // The authority answered (an AADSTS code, the relay's answer) or was never asked.
  if (!(e instanceof AuthFailure) || !PROBE_EXPLAINS.has(e.code)) return e
  const reach = await probe
  if (reach.kind === 'unreachable') return unreachableFailure(reach.host)
  if (e instanceof AuthFailure && e.code === 'bridge_timeout' && reach.kind === 'reachable') {
    return new AuthFailure('bridge_timeout', { detail: e.detail, cause: e, authorityReachable: true })
  }
  return e
}

export class AuthSession {
  state = $state<AuthState>({ kind: 'signedOut' })
  /** Ticks every second while a token is held, for the live countdown. */
  now = $state(Date.now())

  #token: TokenSet | undefined
  #key = ''
  #settings: Settings | undefined
  #abort: AbortController | undefined
  #clock: ReturnType<typeof setInterval> | undefined
  #renewTimer: ReturnType<typeof setTimeout> | undefined
  /** When the token held is to be renewed (epoch ms); never for implicit. */
  #renewDue = Infinity
  /** The renewal running, shared by everyone who asks meanwhile. */
  #renewal: Promise<void> | undefined

  #send(event: AuthEvent): void {
    this.state = next(this.state, event)
  }

  /** msal.ts once loaded, so the click can ask synchronously whether MSAL is ready. */
  #msal: typeof import('./msal.ts') | undefined

  async #loadMsal(): Promise<typeof import('./msal.ts')> {
    try {
      this.#msal ??= await import('./msal.ts')
    } catch (e) {
      throw new AuthFailure('load_failed', { detail: e instanceof Error ? e.message : String(e), cause: e })
    }
    return this.#msal
  }

  /**
   * Loads and initialises MSAL early (focus/hover of [認証]). Failures wait for the click, which
   * tries again and shows them.
   */
  warm(s: Settings): void {
    if (s.tokenMode !== 'spa-pkce') return
    const settings = $state.snapshot(s) as Settings
    this.#loadMsal()
      .then((m) => m.getMsal(settings))
      .catch(() => undefined)
  }

  /**
   * Signs in with the mode of `s`. Must be called synchronously from the click handler: the
   * popup is opened before the first await (web-secret, implicit; spa-pkce unless MSAL is ready
   * and may renew silently), so it never depends on how long the rest takes. `note` is shown in
   * the popup until the sign-in page loads. Every failure ends in the `failed` state.
   */
  async signIn(s: Settings, note?: { text: string; lang: string }): Promise<void> {
    const settings = $state.snapshot(s) as Settings
    this.#abort?.abort()
    const abort = new AbortController()
    this.#abort = abort
    let popup: Window | undefined
    let probe: Promise<Reach> = Promise.resolve({ kind: 'unknown' })
    this.#send({ type: 'start', mode: settings.tokenMode })
    try {
      const redirect = redirectUriFor(settings.tokenMode, location)
      if (settings.tokenMode !== 'spa-pkce') {
        if (!redirect.usable) throw new AuthFailure('not_localhost')
        popup = openPopup(note)
      } else if (!this.#msal?.msalHasAccount(settings)) {
        // MSAL not loaded or initialised yet, or nothing to renew silently: the popup is
        // certainly needed, and only this click may open it (its user activation expires).
        popup = openPopup(note)
      }
      // After the popup opened (the click's activation is spent): can this browser reach the
      // authority at all? If not, the popup only shows the browser's error page: say so now.
      probe = probeAuthority(settings.authorizeEndpoint)
      const unreachable = probe.then((r) =>
        r.kind === 'unreachable' ? Promise.reject(unreachableFailure(r.host)) : new Promise<never>(() => {}),
      )
      const tokens = await Promise.race([this.#acquire(settings, redirect.uri, popup, abort.signal), unreachable])
      // A newer sign-in (or a cancel) superseded this one: its answer is dropped.
      if (this.#abort !== abort || abort.signal.aborted) return
      this.#accept(settings, tokens)
    } catch (e) {
      if (popup && !popup.closed) popup.close()
      if (this.#abort !== abort) return
      const problem = await explainWithReach(e, probe)
      // Stops the popup's wait (channel, timers, MSAL's watch) when the probe ended it.
      abort.abort()
      if (this.#abort !== abort) return
      this.#send({ type: 'fail', problem })
    }
  }

  async #acquire(s: Settings, redirectUri: string, popup: Window | undefined, signal: AbortSignal): Promise<TokenSet> {
    switch (s.tokenMode) {
      case 'spa-pkce': {
        const { signInMsal } = await this.#loadMsal()
        return signInMsal(s, true, { signal, popup })
      }
      // Loaded after the popup opened: the click's user activation is already used.
      case 'web-secret': {
        const { signInWebSecret } = await import('./hybrid.ts')
        return signInWebSecret({ ...s, redirectUri }, popup as Window, signal)
      }
      case 'implicit': {
        const { signInImplicit } = await import('./implicit.ts')
        return signInImplicit({ ...s, redirectUri }, popup as Window, signal)
      }
    }
  }

  /** True when the token held belongs to these settings (mode, client ID, token endpoint). */
  isFor(s: Settings): boolean {
    return this.#key === sessionKey(s)
  }

  /** Stops waiting for the popup (the user closed it, or changed their mind). */
  cancel(): void {
    this.#abort?.abort()
  }

  #accept(s: Settings, tokens: TokenSet): void {
    this.#token = tokens
    this.#key = sessionKey(s)
    this.#settings = s
    this.#send({
      type: 'success',
      account: { account: tokens.account, expiresAt: tokens.expiresAt, scopes: tokens.scopes, mode: s.tokenMode },
    })
    this.#storeRefresh()
    this.#startClock()
    this.#scheduleRenew()
  }

  #storeRefresh(): void {
    const t = this.#token
    try {
      if (t?.refreshToken) {
        const stored: StoredRefresh = { key: this.#key, account: t.account, scopes: t.scopes, refreshToken: t.refreshToken }
        sessionStorage.setItem(REFRESH_KEY, JSON.stringify(stored))
      } else sessionStorage.removeItem(REFRESH_KEY)
    } catch {
      // No sessionStorage: the refresh token then lives in memory only.
    }
  }

  /**
   * After a reload: picks the session of this tab up again without a popup, if there is one for
   * these settings: spa-pkce from MSAL's cache (sessionStorage), web-secret from the refresh token
   * kept for this tab (with the secret at hand). Silent: failures just leave signedOut.
   */
  async resume(s: Settings): Promise<void> {
    if (this.state.kind !== 'signedOut') return
    const settings = $state.snapshot(s) as Settings
    try {
      if (settings.tokenMode === 'spa-pkce') {
        // Load MSAL only when it has cached something in this tab.
        if (!Object.keys(sessionStorage).some((k) => k.startsWith('msal.'))) return
        const { signInMsal } = await this.#loadMsal()
        const tokens = await signInMsal(settings, false)
        this.#send({ type: 'start', mode: 'spa-pkce' })
        this.#accept(settings, tokens)
        return
      }
      if (settings.tokenMode !== 'web-secret' || !settings.clientSecret) return
      const stored: StoredRefresh | null = JSON.parse(sessionStorage.getItem(REFRESH_KEY) ?? 'null')
      if (!stored || stored.key !== sessionKey(settings)) return
      const { refreshWebSecret } = await import('./hybrid.ts')
      const tokens = await refreshWebSecret(settings, { accessToken: '', expiresAt: 0, ...stored })
      this.#send({ type: 'start', mode: 'web-secret' })
      this.#accept(settings, tokens)
    } catch {
      // Nothing to resume (expired, revoked, other settings): the user signs in as usual.
      if (settings.tokenMode === 'web-secret') this.#forget()
    }
  }

  #startClock(): void {
    clearInterval(this.#clock)
    this.now = Date.now()
    this.#clock = setInterval(() => {
      this.now = Date.now()
      const st = this.state
      if (st.kind === 'signedIn' && this.now >= st.expiresAt) this.#send({ type: 'expire' })
      // Catches up a renewal timer that fired late (throttled background tab, sleep).
      if (renewIsDue(this.state, this.now, this.#renewDue)) void this.renew()
    }, 1000)
  }

  #scheduleRenew(): void {
    clearTimeout(this.#renewTimer)
    this.#renewDue = Infinity
    const t = this.#token
    if (!t || this.state.kind !== 'signedIn' || this.state.mode === 'implicit') return
    this.#renewDue = renewAt(t.expiresAt, Date.now())
    this.#renewTimer = setTimeout(() => void this.renew(), this.#renewDue - Date.now())
  }

  /**
   * Renews the token now (spa-pkce through MSAL's silent call, web-secret through the relay).
   * One renewal at a time: a test send during the timed renewal waits for it rather than
   * redeeming the same refresh token twice, which a rotating provider answers by revoking the
   * grant (RFC 9700 §4.14.2, refresh token reuse detection).
   */
  renew(): Promise<void> {
    this.#renewal ??= this.#renewOnce().finally(() => {
      this.#renewal = undefined
    })
    return this.#renewal
  }

  async #renewOnce(): Promise<void> {
    const s = this.#settings
    const t = this.#token
    if (!s || !t || s.tokenMode === 'implicit') return
    this.#send({ type: 'renew' })
    try {
      const tokens =
        s.tokenMode === 'web-secret'
          ? await import('./hybrid.ts').then((m) => m.refreshWebSecret(s, t))
          : await this.#loadMsal().then((m) => m.signInMsal(s, false))
      // Signed out (or signing in anew) meanwhile: the answer belongs to no session any more,
      // and must not bring its refresh token back into sessionStorage.
      if (this.#superseded(t)) return
      this.#accept(s, tokens)
    } catch (e) {
      if (this.#superseded(t)) return
      this.#send({ type: 'fail', problem: e })
    }
  }

  /** True when the token `t` being renewed was given up (sign-out) or is being replaced. */
  #superseded(t: TokenSet): boolean {
    return this.#token !== t || this.state.kind === 'signedOut' || this.state.kind === 'signingIn'
  }

  /**
   * The access token and its user for a test send with settings `s`; renews first when it ran
   * out (or is about to). Undefined when there is no usable token for these settings.
   */
  async accessToken(s: Settings): Promise<{ token: string; user: string } | undefined> {
    if (!this.#token || this.#key !== sessionKey(s)) return undefined
    if (this.#token.expiresAt - Date.now() < 30_000) {
      if (s.tokenMode === 'implicit') {
        this.#send({ type: 'expire' })
        return undefined
      }
      await this.renew()
    }
    const t = this.#token
    return t && t.expiresAt > Date.now() ? { token: t.accessToken, user: t.account } : undefined
  }

  #forget(): void {
    this.#token = undefined
    this.#settings = undefined
    clearInterval(this.#clock)
    clearTimeout(this.#renewTimer)
    this.#renewDue = Infinity
    try {
      sessionStorage.removeItem(REFRESH_KEY)
    } catch {
      // Nothing stored then.
    }
  }

  async signOut(): Promise<void> {
    const s = this.#settings
    this.#abort?.abort()
    this.#forget()
    this.#send({ type: 'signOut' })
    if (s?.tokenMode === 'spa-pkce') {
      const { signOutMsal } = await this.#loadMsal()
      await signOutMsal(s)
    }
  }
}

/** The page's one sign-in session; it survives navigation between the settings page and the guide. */
export const session = new AuthSession()
