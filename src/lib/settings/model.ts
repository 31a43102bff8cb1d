/**
 * The mail settings as the form holds them (strings as typed, so nothing is lost while the user
 * types), their defaults, the presets, and the endpoint helpers. Pure: no DOM, no storage.
 *
 * @module
 */
import type { Security } from '../contract/api.ts'

export const PRESETS = ['m365', 'sandbox', 'custom'] as const
export type Preset = (typeof PRESETS)[number]

export const AUTH_TYPES = ['none', 'password', 'oauth2'] as const
export type AuthType = (typeof AUTH_TYPES)[number]

export const TOKEN_MODES = ['spa-pkce', 'web-secret', 'implicit'] as const
export type TokenMode = (typeof TOKEN_MODES)[number]

export const SECURITIES = ['starttls', 'tls', 'none'] as const satisfies readonly Security[]

export interface Settings {
  preset: Preset
  host: string
  /** As typed; checked with the contract's port schema. */
  port: string
  authType: AuthType
  /** SMTP AUTH (password) user name. */
  user: string
  /** SMTP AUTH password: persisted only with `rememberSecret`, like the client secret. */
  password: string
  tenantId: string
  clientId: string
  /** The client secret's Value (web-secret mode). */
  clientSecret: string
  rememberSecret: boolean
  /** `YYYY-MM-DD` or empty. */
  secretExpires: string
  authorizeEndpoint: string
  tokenEndpoint: string
  tokenMode: TokenMode
  security: Security
  to: string
  from: string
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isGuid(s: string): boolean {
  return GUID.test(s.trim())
}

/**
 * True when the client secret looks like its Secret ID (a GUID, the column next to Value in
 * Entra) rather than its Value (about 40 characters with `~` and `.`).
 */
export function secretLooksLikeId(secret: string): boolean {
  return isGuid(secret)
}

/** The placeholder of the seed's endpoints. */
export const TENANT_PLACEHOLDER = '{YourTenantId}'

/** The endpoints exactly as the seed spells them (capital V). */
export const M365_AUTHORIZE = `https://login.microsoftonline.com/${TENANT_PLACEHOLDER}/oauth2/V2.0/authorize`
export const M365_TOKEN = `https://login.microsoftonline.com/${TENANT_PLACEHOLDER}/oauth2/V2.0/token`

/** Scopes asked for an SMTP token (M365-FACTS §2.1); `openid profile` name the account. */
export const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send'
export const TOKEN_SCOPES = [SMTP_SCOPE, 'offline_access', 'openid', 'profile'] as const

export function defaultSettings(): Settings {
  return {
    preset: 'm365',
    host: 'smtp.office365.com',
    port: '587',
    authType: 'oauth2',
    user: '',
    password: '',
    tenantId: '',
    clientId: '',
    clientSecret: '',
    rememberSecret: false,
    secretExpires: '',
    authorizeEndpoint: M365_AUTHORIZE,
    tokenEndpoint: M365_TOKEN,
    tokenMode: 'spa-pkce',
    security: 'starttls',
    to: '',
    from: '',
  }
}

/** The sandbox's values as /api/config reports them (see SandboxInfo in the contract). */
export interface SandboxValues {
  tenantId: string
  clientId: string
  spaClientId?: string | undefined
  clientSecret: string
  authorizeEndpoint: string
  tokenEndpoint: string
  smtp: { host: string; port: number; security: Security }
  users: { upn: string; description?: string; descriptionJa?: string | undefined }[]
  /** `https://localhost:PORT`: where the sign-in popup comes from (certificate of a local CA). */
  idpOrigin?: string | undefined
  /** Relay path of the sandbox CA certificate (PEM). */
  caUrl?: string | undefined
  /** Relay path of the sandbox inbox page. */
  inboxUrl?: string | undefined
}

/** A sandbox user's description in the page's language (Japanese when given, else English). */
export function sandboxUserDescription(u: SandboxValues['users'][number], lang: string): string {
  return (lang === 'ja' && u.descriptionJa) || u.description || ''
}

/**
 * The client ID for a token mode in the sandbox: the single-page registration for spa-pkce when
 * the sandbox has one, else the Web registration (the seed's).
 */
export function sandboxClientId(sandbox: SandboxValues, mode: TokenMode): string {
  return mode === 'spa-pkce' && sandbox.spaClientId ? sandbox.spaClientId : sandbox.clientId
}

/**
 * Applies a preset over `s`, keeping the addresses and the token mode the user chose.
 * `sandbox` is required for the sandbox preset (without it the preset changes nothing else).
 */
export function applyPreset(s: Settings, preset: Preset, sandbox?: SandboxValues | null): Settings {
  if (preset === 'custom') return { ...s, preset }
  if (preset === 'm365') {
    const d = defaultSettings()
    return {
      ...s,
      preset,
      host: d.host,
      port: d.port,
      security: d.security,
      authType: 'oauth2',
      ...withTenant(s.tenantId, M365_AUTHORIZE, M365_TOKEN),
    }
  }
  if (!sandbox) return { ...s, preset }
  const user = sandbox.users[0]?.upn ?? ''
  return {
    ...s,
    preset,
    host: sandbox.smtp.host,
    port: String(sandbox.smtp.port),
    security: sandbox.smtp.security,
    authType: 'oauth2',
    tenantId: sandbox.tenantId,
    clientId: sandboxClientId(sandbox, s.tokenMode),
    clientSecret: sandbox.clientSecret,
    secretExpires: '',
    authorizeEndpoint: sandbox.authorizeEndpoint,
    tokenEndpoint: sandbox.tokenEndpoint,
    from: s.from || user,
    to: s.to || user,
  }
}

const ENDPOINT_PARTS = /^(https?:\/\/[^/?#]+\/)([^/?#]*)(\/.*)?$/i

/**
 * Writes the tenant into both endpoints: replaces `{YourTenantId}` or the tenant segment already
 * there (the first path segment, as in `https://login.microsoftonline.com/{tenant}/oauth2/...`).
 * An empty tenant leaves the endpoints as they are.
 */
export function withTenant(
  tenantId: string,
  authorizeEndpoint: string,
  tokenEndpoint: string,
): { authorizeEndpoint: string; tokenEndpoint: string } {
  const tenant = tenantId.trim()
  if (!tenant) return { authorizeEndpoint, tokenEndpoint }
  const put = (url: string, fallback: string) => {
    const m = ENDPOINT_PARTS.exec(url.trim())
    if (!m) return fallback.replace(TENANT_PLACEHOLDER, tenant)
    return `${m[1]}${tenant}${m[3] ?? ''}`
  }
  return {
    authorizeEndpoint: put(authorizeEndpoint, M365_AUTHORIZE),
    tokenEndpoint: put(tokenEndpoint, M365_TOKEN),
  }
}

/** The tenant segment of an endpoint (its first path segment), if it is not the placeholder. */
export function tenantOf(endpoint: string): string | undefined {
  const m = ENDPOINT_PARTS.exec(endpoint.trim())
  const seg = m?.[2]
  if (!seg || seg === TENANT_PLACEHOLDER || seg === encodeURIComponent(TENANT_PLACEHOLDER)) {
    return undefined
  }
  return decodeURIComponent(seg)
}

/**
 * MSAL's authority for an Entra-shaped authorize endpoint: `https://host/{tenant}`
 * (`https://login.microsoftonline.com/<tid>/oauth2/v2.0/authorize` → `https://login.microsoftonline.com/<tid>`).
 */
export function authorityOf(authorizeEndpoint: string): { authority: string; host: string } {
  const url = new URL(authorizeEndpoint.trim())
  const tenant = url.pathname.split('/')[1] ?? ''
  return { authority: `${url.protocol}//${url.host}/${tenant}`, host: url.host }
}

/** The host (`host[:port]`, lower case) of an endpoint URL, or '' when it is not a URL. */
export function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint.trim()).host.toLowerCase()
  } catch {
    return ''
  }
}

/**
 * True while `s` still has every value its preset fixes: the SMTP server, port and SSL, and the
 * endpoints' host (Microsoft 365: smtp.office365.com, 587, StartTLS, login.microsoftonline.com;
 * the sandbox: its own). The tenant, client ID, secret and addresses are the admin's to fill in
 * and never make a preset "custom".
 */
export function presetHolds(s: Settings, sandbox?: SandboxValues | null): boolean {
  if (s.preset === 'custom') return true
  const fixed =
    s.preset === 'm365'
      ? { host: 'smtp.office365.com', port: '587', security: 'starttls', idp: endpointHost(M365_AUTHORIZE) }
      : sandbox
        ? {
            host: sandbox.smtp.host,
            port: String(sandbox.smtp.port),
            security: sandbox.smtp.security,
            idp: endpointHost(sandbox.authorizeEndpoint),
          }
        : undefined
  if (!fixed) return true
  return (
    s.host.trim().toLowerCase() === fixed.host.toLowerCase() &&
    s.port.trim() === fixed.port &&
    s.security === fixed.security &&
    endpointHost(s.authorizeEndpoint) === fixed.idp &&
    endpointHost(s.tokenEndpoint) === fixed.idp
  )
}
