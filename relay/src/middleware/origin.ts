/**
 * CORS for the configured origins only. A request that carries an `Origin` outside the list is
 * refused with ORIGIN_NOT_ALLOWED before any handler runs (a browser would hide the answer
 * anyway, but the send itself must not happen). Requests without `Origin` (curl, same-origin
 * GETs) pass: CORS protects browsers' users, not the relay.
 *
 * Preflights are Hono's `cors`. On other requests the same headers are set here, on the answer
 * once the handler has made it, as `secureHeaders` does: Hono's `cors` sets them on `c.res`
 * before the handler (which makes a placeholder response the handler's answer is then merged
 * into) and appends `Vary` with `c.header` after it (which rebuilds a finished response), and
 * each rebuild turns the adapter's string body into a web stream that `@hono/node-server` then
 * copies chunk by chunk instead of writing it at once.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { RelayEnv } from '../http/context.ts'
import { ApiError } from '../http/errors.ts'

/** Not CORS-safelisted (Fetch §3.2.3): a page on another origin reads it only if exposed. */
const EXPOSE_HEADERS = ['Retry-After']

/**
 * @example
 * api.use('*', originGate({ origins: ['http://localhost:8787'] }))
 */
export const originGate = (
  { origins }: { origins: readonly string[] },
): MiddlewareHandler<RelayEnv> => {
  const allowed = new Set(origins)
  const preflight = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Content-Type'],
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  })
  const exposed = EXPOSE_HEADERS.join(',')
  return async function originGate(c, next) {
    const origin = c.req.header('Origin')
    if (origin !== undefined && !allowed.has(origin)) {
      throw new ApiError('ORIGIN_NOT_ALLOWED', 'This origin may not use the relay.', {
        hint: "Add the page's origin to RELAY_ORIGINS (comma list, e.g. https://mail.example.com).",
      })
    }
    if (c.req.method === 'OPTIONS') return preflight(c, next)
    await next()
    const headers = c.res.headers
    if (origin !== undefined) headers.set('Access-Control-Allow-Origin', origin)
    headers.set('Access-Control-Expose-Headers', exposed)
    headers.append('Vary', 'Origin')
  }
}
