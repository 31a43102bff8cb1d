/**
 * The relay: one portable Hono app (web APIs only) that `main.node.ts` and `main.deno.ts` serve.
 * Everything runtime-specific (sockets, DNS, the client's address, the sandbox) is passed in,
 * so route tests call `createApp(deps).request(…)` without a server.
 *
 * @example
 * const app = createApp({ config, runtime: 'node', clientAddress, sendMail, resolveHost })
 * const res = await app.request('/api/health')
 *
 * @module
 */
import { type Context, Hono } from 'hono'
import type { RelayConfig } from './config.ts'
import type { RelayEnv } from './http/context.ts'
import { ApiError, errorResponse, onError } from './http/errors.ts'
import type { InFlight } from './http/in-flight.ts'
import { type LogFn, requestLog, stdoutLog } from './http/log.ts'
import { serveBuiltPage } from './http/static.ts'
import type { ResolveHost } from './http/targets.ts'
import type { PostTokenForm } from './http/token-client.ts'
import { originGate } from './middleware/origin.ts'
import { relaySecureHeaders } from './middleware/secure-headers.ts'
import { metaRoutes } from './routes/meta.ts'
import { sendRoutes } from './routes/send.ts'
import { tokenRoutes } from './routes/token.ts'
import type { GatewayHandle } from './gateway/index.ts'
import type { SandboxHandle } from './sandbox/types.ts'
import type { Pool } from './smtp/pool.ts'
import type { SendOptions, SendResult, Timeouts } from './smtp/types.ts'

export interface AppDeps {
  config: RelayConfig
  runtime: 'node' | 'deno'
  /** The relay's version for `/api/health`. */
  version?: string
  /** The peer address of the request's connection (the rate limit's key). */
  clientAddress(c: Context): string
  /** The SMTP engine's `sendMail` (relay/src/smtp). */
  sendMail(opts: SendOptions): Promise<SendResult>
  /**
   * Idle authenticated SMTP connections that `/api/send` reuses (at most 3 per mailbox); the
   * relay's one pool, which the entrypoints close on shutdown and which other front ends of the
   * same process may share. Without it every send opens its own connection.
   */
  pool?: Pool
  /** SMTP timeouts; the engine's defaults when absent (tests shorten them). */
  smtpTimeouts?: Partial<Timeouts>
  /** Name resolution (`node:dns/promises` lookup, all addresses). */
  resolveHost: ResolveHost
  /** Token endpoint client; `postTokenForm` by default. */
  fetchToken?: PostTokenForm
  /** How long a token endpoint may take; the client's default when absent (tests shorten it). */
  tokenTimeoutMs?: number
  /** The running sandbox tenant, mounted at `/api/sandbox` and shown in `/api/config`. */
  sandbox?: SandboxHandle
  /** The built page to serve at `/` (RELAY_STATIC_DIR); none in API-only tests. */
  staticRoot?: string
  /** One-line JSON log sink; stdout by default. */
  log?: LogFn
  /** The gateway (RELAY_GATEWAY), mounted at `/api/admin`; absent: those routes say it is off. */
  gateway?: GatewayHandle
  /** The requests in flight, which a shutdown past its grace answers (http/in-flight.ts). */
  inFlight?: InFlight
}

/**
 * The client's address: the connection's peer, or behind a trusted reverse proxy the last
 * X-Forwarded-For entry (earlier entries are whatever the client claimed).
 */
function clientAddressOf(deps: AppDeps): (c: Context) => string {
  if (!deps.config.trustProxy) return deps.clientAddress
  return (c) => {
    const forwarded = c.req.header('X-Forwarded-For')?.split(',').at(-1)?.trim()
    return forwarded || deps.clientAddress(c)
  }
}

const API_PATH = /^\/api(?:\/|$)/

const noSuchRoute = () =>
  new ApiError('NOT_FOUND', 'No such API route.', {
    hint: 'The routes are listed at GET /api/openapi.json.',
  })

export function createApp(input: AppDeps): Hono<RelayEnv> {
  const deps: AppDeps = { ...input, clientAddress: clientAddressOf(input) }
  const log = deps.log ?? stdoutLog
  const app = new Hono<RelayEnv>()
  app.use(requestLog({ log }))
  app.use(relaySecureHeaders())
  app.use('/api/*', originGate({ origins: deps.config.origins }))
  if (deps.inFlight) app.use(deps.inFlight.middleware)
  app.route('/api', metaRoutes(deps))
  app.route('/api', sendRoutes(deps))
  app.route('/api', tokenRoutes(deps))
  if (deps.sandbox) app.route('/api/sandbox', deps.sandbox.routes)
  if (deps.gateway) {
    app.route('/api/admin', deps.gateway.routes(deps.clientAddress))
    app.route('/api/v1', deps.gateway.v1Routes())
  } else {
    app.all('/api/admin/*', () => {
      throw new ApiError('NOT_FOUND', 'The gateway is off on this relay.', {
        hint: 'Start the relay with RELAY_GATEWAY=1 (npm start does) to keep mailboxes and send for devices.',
      })
    })
  }
  app.all('/api/*', (c) => {
    // A route that exists with another method is a bad request, not a missing route.
    const known = app.routes.some((r) => r.method !== 'ALL' && r.path === c.req.path)
    if (!known) throw noSuchRoute()
    throw new ApiError('INVALID_REQUEST', `This API route does not accept ${c.req.method}.`, {
      hint: 'The routes and their methods are listed at GET /api/openapi.json.',
    })
  })
  if (deps.staticRoot !== undefined) app.use('*', serveBuiltPage({ root: deps.staticRoot }))
  // Under /api/ every answer is in the contract's shape; elsewhere the built page (its SPA
  // fallback above) or a plain 404.
  app.notFound((c) =>
    API_PATH.test(c.req.path) ? errorResponse(c, noSuchRoute()) : c.text('Not found', 404)
  )
  app.onError(onError(log))
  return app
}
