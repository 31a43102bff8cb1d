/**
 * oidc-provider 8 configured to look like Entra ID's v2.0 endpoints for one tenant: Entra's URL
 * shapes, the two app registrations, JWT access tokens for Outlook with `scp`, refresh tokens
 * for `offline_access` without a forced consent prompt, and the sandbox's own interaction pages.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { errors, interactionPolicy, type KoaContext } from 'oidc-provider'
import { AADSTS, entraError, type AadstsTuple } from './aadsts.ts'
import type { Switches } from './switches.ts'
import {
  allOutlookScopeStrings,
  findAccountByOid,
  outlookScopeName,
  OUTLOOK,
  OIDC_SCOPES,
  OUTLOOK_ALIASES,
  SMTP_SEND,
  SPA_APP,
  TENANT_ID,
  WEB_APP,
  type SandboxAccount,
} from './tenant.ts'

/** Entra's paths under the tenant, relative to the IdP's origin. */
export const PATHS = {
  authorize: `/${TENANT_ID}/oauth2/v2.0/authorize`,
  token: `/${TENANT_ID}/oauth2/v2.0/token`,
  logout: `/${TENANT_ID}/oauth2/v2.0/logout`,
  keys: `/${TENANT_ID}/discovery/v2.0/keys`,
  login: `/${TENANT_ID}/login`,
  devicecode: `/${TENANT_ID}/oauth2/v2.0/devicecode`,
  /** The verification page (Entra's is https://microsoft.com/devicelogin, tenant-independent). */
  deviceLogin: '/devicelogin',
}

/** The device code grant type (RFC 8628). */
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** Entra's device code lifetime and polling interval (seconds). */
export const DEVICE_CODE_TTL = 900
export const DEVICE_CODE_INTERVAL = 5

/** Marks an app-only token request whose scope Entra refuses (mapped to 1002012 / 70011 / 500011). */
export const CC_SCOPE_MARK = 'sandbox: client credentials scope'
/** Marks a device code request naming a scope Entra does not know (AADSTS70011). */
export const DEVICE_SCOPE_MARK = 'sandbox: device code scope unknown'
/** Marks a refresh refused under the `refreshTokenRevoked` switch (AADSTS70043). */
export const REFRESH_REVOKED_MARK = 'sandbox: refresh token revoked by sign-in frequency'

/**
 * The request oidc-provider is answering, for the client lookup (which gets no context): a
 * device code request without a secret meets the Web app as a public client, which is what
 * "Allow public client flows" does in Entra.
 */
export const requestContext = new AsyncLocalStorage<KoaContext>()

/** True while answering a device code request that carries no client credential. */
export function publicClientRequest(ctx: KoaContext | undefined): boolean {
  if (!ctx?.oidc?.params) return false
  const params = ctx.oidc.params as Record<string, unknown>
  const deviceRequest =
    ctx.path === PATHS.devicecode || (ctx.path === PATHS.token && params.grant_type === DEVICE_GRANT)
  return deviceRequest && !params.client_secret && !params.client_assertion && !ctx.get('Authorization')
}

/** Marks a token error raised because consent is missing, mapped to AADSTS65001 on the way out. */
export const CONSENT_MISSING_MARK = 'sandbox: consent missing for SMTP.Send'

/** Marks a token request for the SPA without an Origin header (AADSTS9002327). */
export const SPA_NO_ORIGIN_MARK = 'sandbox: SPA token redeemed without Origin'

/** The parameter the authorize pre-check sets when the request asked for `offline_access`. */
export const OFFLINE_PARAM = 'mk_offline_access'

export interface IdpConfigInput {
  publicOrigin: string
  signingJwk: Record<string, unknown>
  switches: () => Switches
  accessTokenTtl: number
  /** Device code lifetime in seconds (DEVICE_CODE_TTL unless a test shortens it). */
  deviceCodeTtl?: number
  /** oidc-provider's storage (idp-store.ts), answering clients with `clientMetadata`. */
  adapter: unknown
  /** Refresh tokens (by ID) the `refreshTokenRevoked` switch invalidated. */
  revokedRefreshTokens: () => ReadonlySet<string>
  deviceFlowPages: {
    userCodeInputSource: (ctx: KoaContext, form: string, out: unknown, err: unknown) => Promise<void>
    userCodeConfirmSource: (ctx: KoaContext, form: string, client: KoaContext, deviceInfo: unknown, userCode: string) => Promise<void>
    successSource: (ctx: KoaContext) => Promise<void>
  }
  renderError: (ctx: KoaContext, out: Record<string, string>, error: unknown) => Promise<void>
  logoutSource: (ctx: KoaContext, form: string) => Promise<void>
  postLogoutSuccessSource: (ctx: KoaContext) => Promise<void>
}

/** The registrations as oidc-provider client metadata, reflecting the switches now in force. */
export function clientMetadata(
  id: string,
  publicOrigin: string,
  switches: Switches,
  publicClient = false
): Record<string, unknown> | undefined {
  if (id === WEB_APP.clientId && publicClient && WEB_APP.allowPublicClientFlows) {
    return {
      client_id: WEB_APP.clientId,
      client_name: WEB_APP.name,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: [`${WEB_APP.redirectUri}/`],
      response_types: [],
      grant_types: [DEVICE_GRANT, 'refresh_token'],
    }
  }
  if (id === WEB_APP.clientId) {
    return {
      client_id: WEB_APP.clientId,
      client_name: WEB_APP.name,
      // oidc-provider matches http loopback redirect URIs on any port only for "native" clients
      // (RFC 8252 §7.3); Entra does the same for the Web platform's http://localhost.
      application_type: 'native',
      client_secret: WEB_APP.secretValue,
      // A fixed past date: oidc-provider then refuses the secret as expired (AADSTS7000222).
      ...(switches.webSecretExpired ? { client_secret_expires_at: 1_700_000_000 } : {}),
      token_endpoint_auth_method: 'client_secret_post',
      redirect_uris: [`${WEB_APP.redirectUri}/`],
      post_logout_redirect_uris: [`${WEB_APP.redirectUri}/`],
      response_types: ['code', 'code id_token', 'id_token token', 'id_token'],
      grant_types: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', DEVICE_GRANT],
    }
  }
  if (id === SPA_APP.clientId) {
    const bridge = `${publicOrigin}${SPA_APP.redirectPath}`
    return {
      client_id: SPA_APP.clientId,
      client_name: SPA_APP.name,
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      redirect_uris: [bridge],
      post_logout_redirect_uris: [bridge, `${publicOrigin}/`],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
    }
  }
  return undefined
}

export function appName(clientId: string | undefined): string {
  if (clientId === WEB_APP.clientId) return WEB_APP.name
  if (clientId === SPA_APP.clientId) return SPA_APP.name
  return clientId ?? ''
}

/**
 * The Outlook scope names (`SMTP.Send`, …) a token may carry for this account: the requested
 * ones the admin consented to; `.default` means all consented ones. The `consentMissing` switch
 * takes SMTP.Send away from everyone.
 */
export function grantedOutlookNames(
  account: SandboxAccount,
  requested: string[],
  switches: Switches
): string[] {
  const consented = account.consentedScopes.filter((s) => !(switches.consentMissing && s === SMTP_SEND))
  const names = new Set<string>()
  for (const scope of requested) {
    const name = outlookScopeName(scope)
    if (name === '.default') consented.forEach((n) => names.add(n))
    else if (name && consented.includes(name)) names.add(name)
  }
  return [...names]
}

/** True when the request names SMTP.Send but the account may not have it (AADSTS65001). */
export function consentMissingFor(account: SandboxAccount, requested: string[], switches: Switches): boolean {
  const wantsSend = requested.some((s) => outlookScopeName(s) === SMTP_SEND)
  return wantsSend && !grantedOutlookNames(account, requested, switches).includes(SMTP_SEND)
}

/** AADSTS700051 / 700054 when the Web app's implicit boxes are unticked (switches). */
export function implicitRefusal(clientId: string, responseType: string, switches: Switches): AadstsTuple | undefined {
  if (clientId !== WEB_APP.clientId) return undefined
  const types = responseType.split(' ')
  if (types.includes('token') && switches.implicitAccessTokensDisabled) return AADSTS.implicitTokenDisabled()
  if (types.includes('id_token') && switches.implicitIdTokensDisabled) return AADSTS.implicitIdTokenDisabled()
  return undefined
}

export type AppOnlyScopeRefusal = 'missing' | 'not-default' | 'several' | 'unknown-resource'

/**
 * The resource an app-only (client credentials) request names, as Entra reads its `scope`:
 * exactly one `<resource>/.default` of a resource the tenant knows. Throws Entra's refusal
 * (mapped to 900144, 1002012, 70011 or 500011 on the way out).
 */
export function appOnlyResource(scope: string): string {
  const scopes = scope.split(' ').filter(Boolean)
  const refuse = (kind: AppOnlyScopeRefusal): never => {
    throw new errors.CustomOIDCProviderError('invalid_scope', `${CC_SCOPE_MARK}: ${kind}`)
  }
  if (!scopes.length) return refuse('missing')
  if (scopes.length > 1) return refuse('several')
  const only = scopes[0] ?? ''
  if (!/\/\.default$/i.test(only)) return refuse('not-default')
  const resource = only.replace(/\/\.default$/i, '').replace(/\/$/, '').toLowerCase()
  const known = OUTLOOK_ALIASES.find((r) => r === resource)
  return known ?? refuse('unknown-resource')
}

/** The claims Entra puts in an app-only token for Exchange Online (v1.0 tokens, `idtyp: app`). */
export function appOnlyClaims(clientId: string): Record<string, unknown> {
  return {
    roles: [...WEB_APP.appRoles],
    oid: WEB_APP.servicePrincipalObjectId,
    tid: TENANT_ID,
    appid: clientId,
    app_displayname: WEB_APP.name,
    appidacr: '1',
    idp: `https://sts.windows.net/${TENANT_ID}/`,
    idtyp: 'app',
    ver: '1.0',
  }
}

function policy() {
  const base = interactionPolicy.base()
  // Entra does not force an interaction on every request of the Web (here "native") app.
  base.get('consent').checks.remove('native_client_prompt')
  return base
}

export function idpConfiguration(input: IdpConfigInput): Record<string, unknown> {
  const { publicOrigin, switches, accessTokenTtl } = input
  const outlookScopes = allOutlookScopeStrings()
  const isOutlook = (scope: string) => outlookScopeName(scope) !== undefined
  const secure = { signed: true, sameSite: 'none', secure: true, httpOnly: true }

  return {
    adapter: input.adapter,
    clients: [],
    jwks: { keys: [input.signingJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')], long: secure, short: secure },
    routes: {
      authorization: PATHS.authorize,
      token: PATHS.token,
      end_session: PATHS.logout,
      jwks: PATHS.keys,
      device_authorization: PATHS.devicecode,
      code_verification: PATHS.deviceLogin,
      userinfo: `/${TENANT_ID}/openid/v2.0/userinfo`,
    },
    responseTypes: ['code', 'code id_token', 'id_token token', 'id_token', 'none'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub', 'oid', 'tid', 'ver'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
    },
    // Entra's ID tokens carry name, preferred_username, oid and tid whatever the response type.
    conformIdTokenClaims: false,
    pkce: { methods: ['S256'], required: (_ctx: KoaContext, client: KoaContext) => client.clientAuthMethod === 'none' },
    clientBasedCORS: (_ctx: KoaContext, origin: string, client: KoaContext) =>
      client.clientId === SPA_APP.clientId && origin === publicOrigin,
    extraParams: [OFFLINE_PARAM],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: {
        enabled: true,
        // Entra's user codes: nine letters or digits, no separator (e.g. FRWQDE7YL).
        charset: 'base-20',
        mask: '*********',
        ...input.deviceFlowPages,
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: input.logoutSource,
        postLogoutSuccessSource: input.postLogoutSuccessSource,
      },
      resourceIndicators: {
        enabled: true,
        // MSAL never sends `resource`: the Outlook scopes name it, as in Entra.
        defaultResource: async (ctx: KoaContext, _client: unknown, oneOf?: string[]) => {
          if (oneOf) return oneOf[0]
          const scope = String(ctx.oidc.params.scope ?? '')
          // App-only: the resource is the one whose `.default` was asked for (its audience).
          if (ctx.oidc.route === 'token' && ctx.oidc.params.grant_type === 'client_credentials') {
            return appOnlyResource(scope)
          }
          // The device code request: Entra's scope check, as at the authorize endpoint.
          if (ctx.oidc.route === 'device_authorization') {
            const unknown = scope.split(' ').find((x) => x && !OIDC_SCOPES.includes(x) && !isOutlook(x))
            if (unknown) throw new errors.CustomOIDCProviderError('invalid_scope', `${DEVICE_SCOPE_MARK}: ${unknown}`)
          }
          return scope.split(' ').some(isOutlook) ? OUTLOOK : undefined
        },
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: KoaContext, indicator: string) => {
          // Delegated tokens are always for https://outlook.office.com (see defaultResource);
          // app-only ones carry the identifier URI they were asked for, as Entra's do.
          const audience = OUTLOOK_ALIASES.find((r) => r === indicator.replace(/\/$/, '').toLowerCase())
          if (!audience) throw new errors.InvalidTarget()
          return {
            audience,
            scope: outlookScopes.join(' '),
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          }
        },
      },
    },
    findAccount: async (ctx: KoaContext, sub: string, token?: KoaContext) => {
      // Sign-in frequency (the switch): a refresh token it invalidated is refused before use.
      if (
        ctx?.oidc?.route === 'token' &&
        token?.kind === 'RefreshToken' &&
        input.revokedRefreshTokens().has(String(token.jti))
      ) {
        throw new errors.InvalidGrant(REFRESH_REVOKED_MARK)
      }
      const account = findAccountByOid(sub)
      if (!account || account.signInBlocked) return undefined
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          oid: account.oid,
          tid: TENANT_ID,
          ver: '2.0',
          name: account.displayName,
          preferred_username: account.upn,
          email: account.upn,
        }),
      }
    },
    extraTokenClaims: async (ctx: KoaContext, token: KoaContext) => {
      if (token.kind === 'ClientCredentials') return appOnlyClaims(String(token.clientId))
      if (token.kind !== 'AccessToken') return undefined
      // Entra redeems an SPA's codes and refresh tokens only for a browser (a CORS request).
      if (ctx?.oidc?.route === 'token' && token.clientId === SPA_APP.clientId && !ctx.get('Origin')) {
        throw new errors.InvalidGrant(SPA_NO_ORIGIN_MARK)
      }
      if (token.resourceServer?.audience !== OUTLOOK) return undefined
      const account = findAccountByOid(String(token.accountId))
      if (!account) return undefined
      const requested = String(token.scope ?? '').split(' ')
      const s = switches()
      if (consentMissingFor(account, requested, s)) throw new errors.InvalidGrant(CONSENT_MISSING_MARK)
      return {
        scp: grantedOutlookNames(account, requested, s).join(' '),
        upn: account.upn,
        unique_name: account.upn,
        name: account.displayName,
        oid: account.oid,
        tid: TENANT_ID,
        appid: token.clientId,
        ver: '1.0',
      }
    },
    // OIDC Core drops offline_access without prompt=consent, which MSAL never sends; Entra
    // issues the refresh token anyway. The grant remembers that offline_access was asked for
    // (see loadExistingGrant and the interactions), and that decides here.
    issueRefreshToken: async (ctx: KoaContext, client: KoaContext, code: KoaContext) => {
      if (!client.grantTypeAllowed('refresh_token')) return false
      const grant = ctx.oidc.entities.Grant ?? (await ctx.oidc.provider.Grant.find(code.grantId))
      if (!grant?.getOIDCScope().split(' ').includes('offline_access')) return false
      // The refresh token copies the code's scope; restoring offline_access there lets the
      // refresh requests MSAL sends (with offline_access in `scope`) pass the subset check.
      if (!code.scopes.has('offline_access')) code.scope = `${code.scope} offline_access`
      return true
    },
    formats: {
      customizers: {
        // Entra's app-only tokens name the service principal as `sub` and carry no `scope`.
        jwt: async (_ctx: KoaContext, token: KoaContext, jwt: { payload: Record<string, unknown> }) => {
          if (token.kind !== 'ClientCredentials') return
          jwt.payload.sub = WEB_APP.servicePrincipalObjectId
          delete jwt.payload.scope
          delete jwt.payload.client_id
        },
      },
    },
    rotateRefreshToken: true,
    expiresWithSession: async () => false,
    loadExistingGrant: async (ctx: KoaContext) => {
      // Entra answers an unticked implicit box after sign-in (users report the error once their
      // credentials are in); this runs once the account is known, with or without a login page.
      const refusal = implicitRefusal(ctx.oidc.client.clientId, String(ctx.oidc.params.response_type ?? ''), switches())
      if (refusal) {
        const [code, error, text] = refusal
        throw new errors.CustomOIDCProviderError(error, entraError(code, error, text, '').error_description)
      }
      const grantId =
        ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId)
      if (!grantId) return undefined
      const grant = await ctx.oidc.provider.Grant.find(grantId)
      const account = findAccountByOid(String(ctx.oidc.session.accountId))
      if (!grant || !account) return undefined
      const requested = String(ctx.oidc.params.scope ?? '').split(' ').filter(Boolean)
      // Consent withdrawn (switch) or never given: the consent prompt runs and answers 65001.
      if (consentMissingFor(account, requested, switches())) return undefined
      // Admin consent covers every consented scope: extend the grant instead of prompting.
      const outlook = requested.filter(isOutlook)
      if (outlook.length) grant.addResourceScope(OUTLOOK, outlook.join(' '))
      grant.addOIDCScope('openid profile email')
      if (ctx.oidc.params[OFFLINE_PARAM] === '1' || requested.includes('offline_access')) {
        grant.addOIDCScope('offline_access')
      }
      await grant.save()
      return grant
    },
    interactions: {
      // The device flow's verification page passes its language on to the sign-in page.
      url: async (ctx: KoaContext, interaction: { uid: string }) => {
        const lang = ctx.query?.lang
        return `${PATHS.login}/${interaction.uid}${lang === 'en' || lang === 'ja' ? `?lang=${lang}` : ''}`
      },
      policy: policy(),
    },
    renderError: input.renderError,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 600,
      ClientCredentials: accessTokenTtl,
      DeviceCode: input.deviceCodeTtl ?? DEVICE_CODE_TTL,
      IdToken: 3600,
      RefreshToken: 90 * 86_400,
      Interaction: 3600,
      Session: 14 * 86_400,
      Grant: 365 * 86_400,
    },
  }
}
