/**
 * The sandbox identity provider: oidc-provider shaped like Entra ID (see idp-config.ts), served
 * over HTTPS on 127.0.0.1 with the sandbox certificate. URLs name `localhost`, which the
 * certificate carries and MSAL accepts as a known authority.
 *
 * @module
 */
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { Provider, type KoaContext } from 'oidc-provider'
import { entraError } from './aadsts.ts'
import {
  appName,
  clientMetadata,
  idpConfiguration,
  PATHS,
  publicClientRequest,
  requestContext,
} from './idp-config.ts'
import { authorizePrecheck, otherTenant, pathRewrite, tokenPostprocess } from './idp-hooks.ts'
import { handleInteraction } from './idp-interactions.ts'
import {
  deviceCodePage,
  deviceCodeProblem,
  deviceConfirmPage,
  deviceSuccessPage,
  errorPage,
  logoutPage,
  signedOutPage,
} from './idp-pages.ts'
import { createAdapterFactory } from './idp-store.ts'
import { pickLang } from './html.ts'
import { listenError } from './listen.ts'
import type { SandboxPki } from './pki.ts'
import type { Switches } from './switches.ts'
import { TENANT_ID } from './tenant.ts'

export interface IdpOptions {
  pki: SandboxPki
  publicOrigin: string
  port: number
  switches: () => Switches
  /** Access token lifetime in seconds (Entra: 60–90 minutes). */
  accessTokenTtl: number
  /** Device code lifetime in seconds (Entra: 900; tests shorten it). */
  deviceCodeTtl?: number
}

export interface Idp {
  /** `https://localhost:PORT` */
  origin: string
  issuer: string
  authority: string
  authorizeEndpoint: string
  tokenEndpoint: string
  jwksUri: string
  /** `…/{tenant}/oauth2/v2.0/devicecode` */
  deviceCodeEndpoint: string
  /** The verification page the device code answer names (`verification_uri`). */
  deviceLoginUri: string
  /**
   * The `refreshTokenRevoked` switch: on, every refresh token valid now is refused with
   * AADSTS70043 (sign-in frequency); tokens from later sign-ins work. Off forgets that.
   */
  setRefreshTokensRevoked(on: boolean): void
  close(): Promise<void>
}

const INTERACTION_PATH = new RegExp(`^/${TENANT_ID}/login/[A-Za-z0-9_-]+$`)

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

async function renderError(ctx: KoaContext, out: Record<string, string>): Promise<void> {
  const body = entraError(90000, out.error ?? 'server_error', out.error_description ?? '', '')
  ctx.type = 'html'
  ctx.set('Content-Security-Policy', PAGE_CSP)
  ctx.body = errorPage(pickLang(ctx.query?.lang, ctx.query?.ui_locales), out.error_description ?? out.error ?? '', {
    error: out.error ?? '',
    trace_id: body.trace_id,
    timestamp: body.timestamp,
  })
}

async function logoutSource(ctx: KoaContext, form: string): Promise<void> {
  ctx.type = 'html'
  ctx.set('Content-Security-Policy', PAGE_CSP)
  ctx.body = logoutPage(pickLang(ctx.query?.lang, ctx.query?.ui_locales), form)
}

/** The language of a device flow page: `?lang=` on the verification URL, Japanese otherwise. */
const deviceLang = (ctx: KoaContext) => pickLang(ctx.query?.lang)

/** oidc-provider's own forms carry the CSRF value the sandbox's forms must post back. */
const xsrfOf = (form: string) => /name="xsrf" value="([^"]+)"/.exec(form)?.[1] ?? ''

const deviceFlowPages = {
  async userCodeInputSource(ctx: KoaContext, form: string, _out: unknown, err: unknown): Promise<void> {
    const lang = deviceLang(ctx)
    ctx.type = 'html'
    ctx.set('Content-Security-Policy', PAGE_CSP)
    const problem = deviceCodeProblem(err)
    ctx.body = deviceCodePage({ lang, action: `${PATHS.deviceLogin}?lang=${lang}`, xsrf: xsrfOf(form), ...(problem && { problem }) })
  },
  async userCodeConfirmSource(
    ctx: KoaContext,
    form: string,
    client: KoaContext,
    _deviceInfo: unknown,
    userCode: string
  ): Promise<void> {
    const lang = deviceLang(ctx)
    ctx.type = 'html'
    ctx.set('Content-Security-Policy', PAGE_CSP)
    ctx.body = deviceConfirmPage({
      lang,
      action: `${PATHS.deviceLogin}?lang=${lang}`,
      xsrf: xsrfOf(form),
      userCode,
      appName: appName(client?.clientId),
    })
  },
  async successSource(ctx: KoaContext): Promise<void> {
    ctx.type = 'html'
    ctx.set('Content-Security-Policy', PAGE_CSP)
    ctx.body = deviceSuccessPage(appName(ctx.oidc?.client?.clientId))
  },
}

async function postLogoutSuccessSource(ctx: KoaContext): Promise<void> {
  ctx.type = 'html'
  ctx.set('Content-Security-Policy', PAGE_CSP)
  ctx.body = signedOutPage(pickLang(ctx.query?.lang, ctx.query?.ui_locales))
}

export async function startIdp(opts: IdpOptions): Promise<Idp> {
  let provider: Provider | undefined
  let callback: ReturnType<Provider['callback']> | undefined
  let origin = ''
  const getProvider = () => {
    if (!provider) throw new Error('IdP not ready')
    return provider
  }

  const server: Server = createServer(
    { cert: opts.pki.certPem, key: opts.pki.keyPem, minVersion: 'TLSv1.2' },
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/'
      if (INTERACTION_PATH.test(path) && (req.method === 'GET' || req.method === 'POST')) {
        handleInteraction(req, res, { provider: getProvider, switches: opts.switches, origin: () => origin }).catch(
          (err: unknown) => {
            if (!res.headersSent) {
              res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
            }
            // The interaction expired or its cookie is gone: the name of the error is enough.
            // Japanese first, as the sign-in page (the session that knew the language is gone).
            const name = (err as Error).name
            res.end(
              `サインインのセッションが見つからないか、期限が切れています (${name})。アプリからやり直してください。\n` +
                `Sign-in session not found or expired (${name}). Start again from the app.\n`
            )
          }
        )
        return
      }
      if (callback) callback(req, res)
      else res.writeHead(503).end()
    }
  )

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, 'IdP', opts.port, 'RELAY_SANDBOX_IDP_PORT')))
    server.listen(opts.port, '127.0.0.1', () => {
      server.removeAllListeners('error')
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  origin = `https://localhost:${port}`
  const issuer = `${origin}/${TENANT_ID}/v2.0`

  const store = createAdapterFactory((id) =>
    clientMetadata(id, opts.publicOrigin, opts.switches(), publicClientRequest(requestContext.getStore()))
  )
  let revoked: ReadonlySet<string> = new Set()
  provider = new Provider(
    issuer,
    idpConfiguration({
      adapter: store.Adapter,
      revokedRefreshTokens: () => revoked,
      deviceFlowPages,
      publicOrigin: opts.publicOrigin,
      signingJwk: opts.pki.signingJwk,
      switches: opts.switches,
      accessTokenTtl: opts.accessTokenTtl,
      ...(opts.deviceCodeTtl !== undefined && { deviceCodeTtl: opts.deviceCodeTtl }),
      renderError,
      logoutSource,
      postLogoutSuccessSource,
    })
  )
  const deps = { publicOrigin: opts.publicOrigin, switches: opts.switches, origin: () => origin }
  // oidc-provider keeps the reason of a token error in `error_detail`, outside the answer; the
  // post-processing maps it to the AADSTS code.
  provider.on('grant.error', (ctx: KoaContext, err: { error_detail?: string }) => {
    ctx.state.errorDetail = err.error_detail
  })
  // First: the client lookup (which gets no context) reads the request from here.
  provider.use((ctx, next) => requestContext.run(ctx, next))
  provider.use(otherTenant(deps))
  provider.use(pathRewrite())
  provider.use(authorizePrecheck(deps))
  provider.use(tokenPostprocess(deps))
  callback = provider.callback()

  return {
    origin,
    issuer,
    authority: `${origin}/${TENANT_ID}`,
    authorizeEndpoint: `${origin}${PATHS.authorize}`,
    tokenEndpoint: `${origin}${PATHS.token}`,
    jwksUri: `${origin}${PATHS.keys}`,
    deviceCodeEndpoint: `${origin}${PATHS.devicecode}`,
    deviceLoginUri: `${origin}${PATHS.deviceLogin}`,
    setRefreshTokensRevoked(on) {
      revoked = on ? new Set(store.liveIds('RefreshToken')) : new Set()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
