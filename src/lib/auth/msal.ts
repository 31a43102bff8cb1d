/**
 * Token mode `spa-pkce`: the one module that touches MSAL (STYLE.md guideline 15). MSAL (about
 * 75 KB gzipped) is imported only when sign-in is near: `warmMsal()` starts the import on focus
 * or hover of [認証]. When the click comes before MSAL is ready (a busy machine, a very quick
 * click), the caller opens the popup itself inside the click and hands it over: MSAL's
 * `window.open` then gets that window, pointed at MSAL's URL, through the `popupWindowParent`
 * proxy. Errors propagate; the logger drops anything containing PII.
 *
 * @module
 */
import type {
  AuthenticationResult,
  Configuration,
  IPublicClientApplication,
} from '@azure/msal-browser'
import { findAadsts } from '../contract/m365.ts'
import { authorityOf, SMTP_SCOPE } from '../settings/model.ts'
import { AuthFailure } from './errors.ts'
import { closedIsReliable, watchClosed } from './popup.ts'
import { BRIDGE_PATH } from './redirect.ts'
import type { TokenSet } from './tokens.ts'

export interface MsalSettings {
  clientId: string
  authorizeEndpoint: string
}

/** openid, profile and offline_access are added by MSAL itself; asked explicitly for clarity. */
const SCOPES = [SMTP_SCOPE, 'offline_access']
/** How long MSAL waits for the bridge page to answer (default 60 s is short for MFA). */
const POPUP_BRIDGE_TIMEOUT_MS = 5 * 60 * 1000

let library: Promise<typeof import('@azure/msal-browser')> | undefined
let instance: { key: string; pca: Promise<IPublicClientApplication> } | undefined
/** The instance once `initialize()` resolved: what `readyMsal` answers synchronously. */
let initialised: { key: string; pca: IPublicClientApplication } | undefined

/** Starts loading MSAL without waiting (idempotent). */
export function warmMsal(): Promise<typeof import('@azure/msal-browser')> {
  library ??= import('@azure/msal-browser').catch((e: unknown) => {
    // Not cached: a later click tries again (the relay may be back).
    library = undefined
    throw new AuthFailure('load_failed', { detail: e instanceof Error ? e.message : String(e), cause: e })
  })
  return library
}

/** MSAL's configuration for an Entra-shaped authorize endpoint (the sandbox's or Microsoft's). */
export function msalConfig(s: MsalSettings, origin: string): Configuration {
  const { authority, host } = authorityOf(s.authorizeEndpoint.replace(/\/oauth2\/V2\.0\//, '/oauth2/v2.0/'))
  return {
    auth: {
      clientId: s.clientId.trim(),
      authority,
      // Without it MSAL asks login.microsoftonline.com for instance discovery (PROVEN.md).
      knownAuthorities: [host],
      redirectUri: `${origin}${BRIDGE_PATH}`,
      postLogoutRedirectUri: `${origin}${BRIDGE_PATH}`,
    },
    // Tokens live for this tab only, never across browser restarts.
    cache: { cacheLocation: 'sessionStorage' },
    system: {
      popupBridgeTimeout: POPUP_BRIDGE_TIMEOUT_MS,
      loggerOptions: {
        piiLoggingEnabled: false,
        loggerCallback: (level, message, containsPii) => {
          if (containsPii) return
          // MSAL v5 logs hashed message ids; errors and warnings only.
          if (level === 0) console.error('[msal]', message)
          else if (level === 1) console.warn('[msal]', message)
        },
        logLevel: 1,
      },
    },
  }
}

/**
 * The PublicClientApplication for these settings, created and initialised once (again only when
 * the client ID or authority change).
 */
export async function getMsal(s: MsalSettings): Promise<IPublicClientApplication> {
  const config = msalConfig(s, location.origin)
  const key = `${config.auth.clientId}|${config.auth.authority}`
  if (instance?.key !== key) {
    const pca = warmMsal().then(async (msal) => {
      const created = new msal.PublicClientApplication(config)
      await created.initialize()
      initialised = { key, pca: created }
      return created
    })
    instance = { key, pca }
    // A failed initialise must not stick: the next call tries again.
    pca.catch(() => {
      if (instance?.pca === pca) instance = undefined
    })
  }
  return instance.pca
}

/**
 * Synchronously: the initialised instance for these settings, or undefined when MSAL is still
 * loading or initialising (or the settings changed since). Never throws.
 */
export function readyMsal(s: MsalSettings): IPublicClientApplication | undefined {
  try {
    const config = msalConfig(s, location.origin)
    const key = `${config.auth.clientId}|${config.auth.authority}`
    return initialised?.key === key && instance?.key === key ? initialised.pca : undefined
  } catch {
    return undefined
  }
}

/** True when MSAL is ready for these settings and holds an account: silent renewal may do. */
export function msalHasAccount(s: MsalSettings): boolean {
  const pca = readyMsal(s)
  return !!pca && (pca.getActiveAccount() ?? pca.getAllAccounts()[0]) !== undefined
}

function toTokenSet(r: AuthenticationResult): TokenSet {
  return {
    accessToken: r.accessToken,
    expiresAt: r.expiresOn ? r.expiresOn.getTime() : Date.now() + 3600_000,
    account: r.account.username,
    scopes: r.scopes,
  }
}

/** Maps an MSAL error to the page's AuthFailure (keeping the AADSTS code when the server gave one). */
export function fromMsalError(e: unknown): AuthFailure {
  if (e instanceof AuthFailure) return e
  const err = e as { errorCode?: string; errorMessage?: string; subError?: string; errorNo?: string }
  const code = err?.errorCode ?? ''
  const aadsts = err?.errorNo ? `AADSTS${err.errorNo}` : findAadsts(err?.errorMessage ?? '')
  const detail = code || (e instanceof Error ? e.name : 'unknown')
  switch (code) {
    case 'popup_window_error':
    case 'empty_window_error':
      return new AuthFailure('popup_blocked', { detail, cause: e })
    case 'user_cancelled':
      return new AuthFailure('popup_closed', { detail, cause: e })
    case 'timed_out':
    case 'monitor_window_timeout':
      return new AuthFailure('bridge_timeout', { detail: err.subError || detail, cause: e })
    case 'authority_uri_insecure':
      return new AuthFailure('authority_insecure', { detail, cause: e })
    case 'interaction_in_progress':
      return new AuthFailure('in_progress', { detail, cause: e })
  }
  if (aadsts) return new AuthFailure('authorize_error', { aadsts, detail, cause: e })
  return new AuthFailure('msal', { detail, cause: e })
}

/**
 * Silent first (cached token, or MSAL's refresh-token grant), then the popup.
 *
 * `popup`: a window the caller opened inside the click (MSAL not ready yet, or no account to
 * renew silently). MSAL's `window.open` is answered with it, navigated to MSAL's URL, so the
 * sign-in never depends on the user activation lasting until MSAL has loaded. It is closed when
 * the silent path succeeds; closing it ends the wait with `popup_closed` at any point.
 */
export async function signInMsal(
  s: MsalSettings,
  interactive: boolean,
  opts: { signal?: AbortSignal | undefined; popup?: Window | undefined } = {},
): Promise<TokenSet> {
  const given = opts.popup
  // MSAL v5 waits for the bridge until its timeout even when the user closed the popup; the
  // parent proxy hands us the window MSAL opens so a closed popup ends the wait at once.
  let popup: Window | null = given ?? null
  const watch = interactive
    ? watchClosed(() => popup, { closedReliable: closedIsReliable(s.authorizeEndpoint), signal: opts.signal })
    : undefined
  try {
    const run = async (): Promise<TokenSet> => {
      const pca = await getMsal(s)
      const account = pca.getActiveAccount() ?? pca.getAllAccounts()[0]
      if (account) {
        try {
          const r = await pca.acquireTokenSilent({ scopes: SCOPES, account })
          // No interaction needed: the window opened for it goes away unused.
          if (given && !given.closed) given.close()
          return toTokenSet(r)
        } catch (e) {
          const msal = await warmMsal()
          if (!interactive || !(e instanceof msal.InteractionRequiredAuthError)) throw e
        }
      }
      if (!interactive) throw new AuthFailure('msal', { detail: 'no_account' })
      // Closed by the user while MSAL was loading: MSAL would wait for it until its timeout.
      if (given?.closed) throw new AuthFailure('popup_closed')
      const parent = new Proxy(window, {
        get(target, key) {
          if (key === 'open') {
            return (...args: Parameters<Window['open']>) => {
              if (!given) return (popup = target.open(...args))
              // MSAL opens with its URL (or about:blank first, then assigns): send ours there.
              const url = args[0]
              if (url && String(url) !== 'about:blank' && !given.closed) given.location.assign(url)
              return given
            }
          }
          const value: unknown = Reflect.get(target, key, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
      const r = await pca.acquireTokenPopup({
        scopes: SCOPES,
        prompt: 'select_account',
        popupWindowParent: parent,
        // A popup closed or cancelled earlier may still hold MSAL's interaction lock.
        overrideInteractionInProgress: true,
      })
      pca.setActiveAccount(r.account)
      return toTokenSet(r)
    }
    return await (watch ? Promise.race([run(), watch.closed]) : run())
  } catch (e) {
    throw fromMsalError(e)
  } finally {
    watch?.stop()
  }
}

/** Forgets the account and its tokens in this tab (no round trip to the identity provider). */
export async function signOutMsal(s: MsalSettings): Promise<void> {
  const pca = await getMsal(s)
  const account = pca.getActiveAccount()
  await pca.clearCache(account ? { account } : undefined)
  pca.setActiveAccount(null)
}
