/**
 * Koa middleware around oidc-provider that makes it answer like Entra: Entra's path spellings,
 * the checks Entra makes at the authorize endpoint before sign-in (app, redirect URI, SPA implicit
 * boxes, scopes) and Entra's JSON error shape with AADSTS codes at the token endpoint.
 *
 * @module
 */
import type { KoaContext, KoaNext } from 'oidc-provider'
import { AADSTS, entraError, entraStatus, type AadstsTuple } from './aadsts.ts'
import {
  appName,
  CC_SCOPE_MARK,
  CONSENT_MISSING_MARK,
  DEVICE_CODE_INTERVAL,
  DEVICE_SCOPE_MARK,
  DEVICE_GRANT,
  OFFLINE_PARAM,
  PATHS,
  REFRESH_REVOKED_MARK,
  SPA_NO_ORIGIN_MARK,
} from './idp-config.ts'
import { errorPage } from './idp-pages.ts'
import { pickLang } from './html.ts'
import { redirectUriMatches } from './redirect.ts'
import type { Switches } from './switches.ts'
import {
  DOMAIN,
  findAccountByOid,
  OIDC_SCOPES,
  outlookScopeName,
  SPA_APP,
  TENANT_ID,
  WEB_APP,
} from './tenant.ts'

export interface HookDeps {
  publicOrigin: string
  switches: () => Switches
  /** `https://localhost:PORT`: the base of `error_uri`. */
  origin: () => string
}

const TENANT_PREFIX = new RegExp(`^/${TENANT_ID}/`, 'i')

/**
 * Maps the spellings Entra accepts onto the provider's routes: the seed's `oauth2/V2.0` (any
 * case) and both discovery documents MSAL and other clients fetch.
 */
export function normalizePath(path: string): string {
  if (!TENANT_PREFIX.test(path)) return path
  const rest = path.replace(TENANT_PREFIX, '')
  const lower = rest.toLowerCase()
  if (lower === 'v2.0/.well-known/openid-configuration' || lower === '.well-known/openid-configuration') {
    return '/.well-known/openid-configuration'
  }
  const fixed = rest.replace(/^(oauth2|discovery)\/v2\.0\//i, (_m, a: string) => `${a.toLowerCase()}/v2.0/`)
  return `/${TENANT_ID}/${fixed}`
}

export function pathRewrite() {
  return async (ctx: KoaContext, next: KoaNext) => {
    const path = normalizePath(ctx.path)
    if (path !== ctx.path) ctx.path = path
    await next()
  }
}

/** An authorize or token URL of some tenant, spelled as Entra accepts it. */
const TENANT_ENDPOINT = /^\/([^/]+)\/oauth2\/(?:v2\.0\/)?(authorize|token|devicecode)$/i
/** Entra's tenant-independent names; a single-tenant app may not use them (AADSTS50194). */
const MULTI_TENANT_NAMES = new Set(['common', 'organizations', 'consumers'])
const MAX_FORM_BYTES = 64 * 1024

/** The form body of a request the provider will not see (bounded). */
async function readForm(ctx: KoaContext): Promise<URLSearchParams> {
  let text = ''
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8')
    if (text.length > MAX_FORM_BYTES) break
  }
  return new URLSearchParams(text)
}

/**
 * The endpoints of any other tenant, answered as Entra answers them for the sandbox's
 * single-tenant apps: `/common` (and `/organizations`, `/consumers`) with AADSTS50194, an
 * unknown tenant with AADSTS90002 — on the sign-in page for authorize, as JSON for token. The
 * tenant's domain works like its ID.
 */
export function otherTenant(deps: HookDeps) {
  return async (ctx: KoaContext, next: KoaNext) => {
    const m = TENANT_ENDPOINT.exec(ctx.path)
    const tenant = m?.[1] ?? ''
    if (!m || tenant.toLowerCase() === TENANT_ID) return next()
    // Entra also takes a verified domain of the tenant in place of its ID.
    if (tenant.toLowerCase() === DOMAIN) {
      ctx.path = `/${TENANT_ID}${ctx.path.slice(tenant.length + 1)}`
      return next()
    }
    const isToken = m[2]?.toLowerCase() !== 'authorize'
    if (isToken && ctx.method !== 'POST') return next()
    const params = isToken ? await readForm(ctx) : new URLSearchParams(ctx.querystring)
    const clientId = params.get('client_id') ?? ''
    const tuple = MULTI_TENANT_NAMES.has(tenant.toLowerCase())
      ? AADSTS.notMultiTenant(clientId, appName(clientId))
      : AADSTS.tenantNotFound(tenant)
    if (!isToken) return sendErrorPage(ctx, deps, tuple, { client_id: clientId })
    ctx.status = entraStatus(tuple[1])
    ctx.body = entraError(tuple[0], tuple[1], tuple[2], deps.origin())
    // As on the real token endpoint, the page (an SPA redeeming its code) may read the error.
    const origin = ctx.get('Origin')
    if (origin === deps.publicOrigin) {
      ctx.set('Access-Control-Allow-Origin', origin)
      ctx.vary('Origin')
    }
  }
}

/** The registered redirect URIs of an app, as the switches leave them. */
export function registeredRedirects(clientId: string, publicOrigin: string, switches: Switches): string[] {
  if (clientId === WEB_APP.clientId) return [WEB_APP.redirectUri]
  if (clientId === SPA_APP.clientId) {
    return switches.spaRedirectMissing ? [] : [`${publicOrigin}${SPA_APP.redirectPath}`]
  }
  return []
}

function sendErrorPage(ctx: KoaContext, deps: HookDeps, tuple: AadstsTuple, extra: Record<string, string>) {
  const body = entraError(tuple[0], tuple[1], tuple[2], deps.origin())
  ctx.status = 400
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = body
    return
  }
  ctx.type = 'html'
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
  ctx.body = errorPage(pickLang(ctx.query.lang, ctx.query.ui_locales), body.error_description, {
    error: body.error,
    error_codes: String(body.error_codes[0]),
    ...extra,
    trace_id: body.trace_id,
    correlation_id: body.correlation_id,
    timestamp: body.timestamp,
  })
}

function redirectError(ctx: KoaContext, deps: HookDeps, redirectUri: string, tuple: AadstsTuple) {
  const q = ctx.query as Record<string, string | undefined>
  const body = entraError(tuple[0], tuple[1], tuple[2], deps.origin())
  const params = new URLSearchParams({ error: body.error, error_description: body.error_description })
  if (q.state !== undefined) params.set('state', q.state)
  const mode = q.response_mode ?? (q.response_type === 'code' ? 'query' : 'fragment')
  const url = new URL(redirectUri)
  if (mode === 'query') {
    params.forEach((v, k) => url.searchParams.set(k, v))
    ctx.redirect(url.href)
  } else {
    ctx.redirect(`${url.href.replace(/#.*$/, '')}#${params.toString()}`)
  }
}

/**
 * The checks Entra makes before showing its sign-in page. Only GET requests (what MSAL and the
 * page send); anything else goes to oidc-provider's own checks.
 */
export function authorizePrecheck(deps: HookDeps) {
  return async (ctx: KoaContext, next: KoaNext) => {
    if (ctx.path !== PATHS.authorize || ctx.method !== 'GET') return next()
    const q = { ...(ctx.query as Record<string, string | undefined>) }
    delete q[OFFLINE_PARAM]
    const switches = deps.switches()
    const clientId = q.client_id ?? ''
    if (clientId !== WEB_APP.clientId && clientId !== SPA_APP.clientId) {
      return sendErrorPage(ctx, deps, AADSTS.appNotFound(clientId, TENANT_ID), { client_id: clientId })
    }
    const redirectUri = q.redirect_uri ?? ''
    if (!redirectUriMatches(registeredRedirects(clientId, deps.publicOrigin, switches), redirectUri)) {
      return sendErrorPage(ctx, deps, AADSTS.redirectMismatch(redirectUri, clientId), {
        client_id: clientId,
        redirect_uri: redirectUri,
      })
    }
    // An SPA registration has no implicit boxes at all. (The Web app's boxes are checked after
    // sign-in, as Entra does: see implicitRefusal.)
    const types = (q.response_type ?? '').split(' ')
    if (clientId === SPA_APP.clientId && types.includes('token')) {
      return redirectError(ctx, deps, redirectUri, AADSTS.implicitTokenDisabled())
    }
    if (clientId === SPA_APP.clientId && types.includes('id_token')) {
      return redirectError(ctx, deps, redirectUri, AADSTS.implicitIdTokenDisabled())
    }
    const scopes = (q.scope ?? '').split(' ').filter(Boolean)
    const unknown = scopes.find((s) => !OIDC_SCOPES.includes(s) && outlookScopeName(s) === undefined)
    if (unknown) return redirectError(ctx, deps, redirectUri, AADSTS.invalidScope(unknown))
    // Entra's account picker; the sandbox's sign-in page plays that part.
    if (q.prompt === 'select_account') q.prompt = 'login'
    // Remember offline_access before oidc-provider drops it (OIDC Core §11): see issueRefreshToken.
    if (scopes.includes('offline_access')) q[OFFLINE_PARAM] = '1'
    ctx.query = q
    return next()
  }
}

function tokenErrorTuple(ctx: KoaContext, body: { error: string; error_description?: string }, switches: Switches): AadstsTuple {
  const params = (ctx.oidc?.body ?? {}) as Record<string, string | undefined>
  const clientId = ctx.oidc?.client?.clientId ?? params.client_id
  const description = `${body.error_description ?? ''} ${String(ctx.state?.errorDetail ?? '')}`
  const origin = ctx.get('Origin')
  if (description.includes(SPA_NO_ORIGIN_MARK)) return AADSTS.spaWithoutOrigin()
  if (description.includes(REFRESH_REVOKED_MARK)) {
    const iat = Number(ctx.oidc?.entities?.RefreshToken?.iat ?? 0)
    return AADSTS.signInFrequency(new Date(iat * 1000).toISOString().replace(/\.\d+Z$/, 'Z'))
  }
  if (description.includes(CC_SCOPE_MARK)) {
    const scope = String(params.scope ?? '')
    if (description.includes(': missing')) return AADSTS.missingScope()
    if (description.includes(': several')) return AADSTS.scopeNotValid(scope)
    if (description.includes(': not-default')) return AADSTS.appOnlyScopeNotDefault(scope)
    return AADSTS.resourceNotFound(scope.replace(/\/\.default$/i, ''), DOMAIN)
  }
  if (description.includes(DEVICE_SCOPE_MARK)) {
    const unknown = new RegExp(`${DEVICE_SCOPE_MARK}: (\\S+)`).exec(description)?.[1] ?? ''
    return AADSTS.invalidScope(unknown)
  }
  if (params.grant_type === DEVICE_GRANT && ctx.path === PATHS.token) {
    if (body.error === 'authorization_pending') return AADSTS.devicePending()
    if (body.error === 'expired_token') return AADSTS.deviceExpired()
    if (body.error === 'access_denied') return AADSTS.deviceDeclined()
    if (body.error === 'invalid_grant') return AADSTS.deviceCodeInvalid()
  }
  if (description.includes(CONSENT_MISSING_MARK)) {
    return AADSTS.consentMissing(clientId ?? '', appName(clientId))
  }
  if (body.error === 'invalid_request' && origin && /origin .* not allowed/.test(description)) {
    if (clientId === WEB_APP.clientId) return AADSTS.crossOriginWebApp(origin)
  }
  if (body.error === 'invalid_client') {
    if (clientId === WEB_APP.clientId) {
      if (/expired/.test(description) && switches.webSecretExpired) return AADSTS.secretExpired(clientId)
      if (!params.client_secret && !ctx.get('Authorization')) return AADSTS.secretMissing()
      return AADSTS.secretIdSent(clientId)
    }
    if (clientId === SPA_APP.clientId && params.client_secret) return AADSTS.publicClientWithSecret()
    return AADSTS.appNotFound(clientId ?? '', TENANT_ID)
  }
  if (body.error === 'invalid_grant') {
    if (/PKCE/i.test(description)) return AADSTS.pkceMismatch()
    if (/consumed/.test(description)) return AADSTS.codeRedeemed()
    if (params.grant_type === 'refresh_token') return AADSTS.badRefreshToken()
    return AADSTS.badCode()
  }
  if (body.error === 'invalid_scope') {
    const account = findAccountByOid(String(ctx.oidc?.entities?.RefreshToken?.accountId ?? ''))
    const wantsSend = String(params.scope ?? '').split(' ').some((s) => outlookScopeName(s) === 'SMTP.Send')
    if (account && wantsSend) return AADSTS.consentMissing(clientId ?? '', appName(clientId))
    return AADSTS.invalidScope(String(params.scope ?? ''))
  }
  if (body.error === 'invalid_request' && /scope/.test(description)) return AADSTS.missingScope()
  return AADSTS.generic(body.error, body.error_description ?? '')
}

/**
 * Entra's answers at the token endpoint: AADSTS errors, `client_info` (base64url of
 * `{uid, utid}`, which MSAL uses for the account ID) and `ext_expires_in` on success, and CORS
 * on errors too so the page can read them.
 */
export function tokenPostprocess(deps: HookDeps) {
  const polls = new DevicePolls()
  return async (ctx: KoaContext, next: KoaNext) => {
    const devicecode = ctx.path === PATHS.devicecode
    if ((ctx.path !== PATHS.token && !devicecode) || ctx.method !== 'POST') return next()
    await next()
    const body = ctx.body as Record<string, unknown> | undefined
    if (!body || typeof body !== 'object') return
    if (devicecode && typeof body.device_code === 'string') {
      ctx.body = deviceAuthorizationAnswer(body)
      return
    }
    if (typeof body.error === 'string') {
      let tuple = tokenErrorTuple(ctx, body as { error: string; error_description?: string }, deps.switches())
      if (tuple[1] === 'authorization_pending') {
        const interval = polls.tooSoon(String(ctx.oidc?.params?.device_code ?? ''))
        if (interval) tuple = AADSTS.deviceSlowDown(interval)
      }
      const entra = entraError(tuple[0], tuple[1], tuple[2], deps.origin())
      ctx.status = entraStatus(entra.error)
      ctx.body = entra
      const origin = ctx.get('Origin')
      if (origin === deps.publicOrigin) {
        ctx.set('Access-Control-Allow-Origin', origin)
        ctx.vary('Origin')
      }
      ctx.remove('WWW-Authenticate')
      return
    }
    if (typeof body.access_token === 'string') {
      const token = ctx.oidc?.entities?.AccessToken
      const account = token ? findAccountByOid(String(token.accountId)) : undefined
      if (account) {
        const info = { uid: account.oid, utid: TENANT_ID }
        body.client_info = Buffer.from(JSON.stringify(info)).toString('base64url')
      }
      if (typeof body.expires_in === 'number') body.ext_expires_in = body.expires_in
      // Entra's app-only answer has no scope (the token has none either).
      if (ctx.oidc?.params?.grant_type === 'client_credentials') delete body.scope
    }
  }
}

/**
 * Entra's device authorization answer: no `verification_uri_complete`, a polling `interval`
 * and the sentence to show the user (`message`).
 */
export function deviceAuthorizationAnswer(body: Record<string, unknown>): Record<string, unknown> {
  const userCode = String(body.user_code)
  const uri = String(body.verification_uri)
  return {
    user_code: userCode,
    device_code: body.device_code,
    verification_uri: uri,
    expires_in: body.expires_in,
    interval: DEVICE_CODE_INTERVAL,
    message: `To sign in, use a web browser to open the page ${uri} and enter the code ${userCode} to authenticate.`,
  }
}

/**
 * When each device code was last polled, for RFC 8628's `slow_down`: a poll sooner than the
 * interval after the previous one is told to slow down, and the interval grows by 5 seconds.
 */
export class DevicePolls {
  readonly #last = new Map<string, { at: number; interval: number }>()
  readonly #first: number

  constructor(interval = DEVICE_CODE_INTERVAL) {
    this.#first = interval
  }

  /** Records a poll; returns the interval (seconds) it broke, or 0 when it was in time. */
  tooSoon(deviceCode: string, now = Date.now()): number {
    if (!deviceCode) return 0
    const seen = this.#last.get(deviceCode)
    const interval = seen?.interval ?? this.#first
    const early = seen !== undefined && now - seen.at < interval * 1000
    this.#last.delete(deviceCode)
    this.#last.set(deviceCode, { at: now, interval: early ? interval + 5 : interval })
    // Device codes live 15 minutes; the oldest entries go first.
    while (this.#last.size > 1000) {
      const oldest = this.#last.keys().next().value
      if (oldest === undefined) break
      this.#last.delete(oldest)
    }
    return early ? interval : 0
  }
}
