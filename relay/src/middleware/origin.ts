/**
 * CORS for the configured origins only. A request that carries an `Origin` outside the list is
 * refused with ORIGIN_NOT_ALLOWED before any handler runs (a browser would hide the answer
 * anyway, but the send itself must not happen). Requests without `Origin` (curl, same-origin
 * GETs) pass: CORS protects browsers' users, not the relay.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { RelayEnv } from '../http/context.ts'
import { ApiError } from '../http/errors.ts'

/**
 * @example
 * api.use('*', originGate({ origins: ['http://localhost:8787'] }))
 */
export const originGate = (
  { origins }: { origins: readonly string[] },
): MiddlewareHandler<RelayEnv> => {
  const allowed = new Set(origins)
  const corsHandler = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Content-Type'],
    // Not CORS-safelisted (Fetch §3.2.3): a page on another origin reads it only if exposed.
    exposeHeaders: ['Retry-After'],
    maxAge: 600,
  })
  return async function originGate(c, next) {
    const origin = c.req.header('Origin')
    if (origin !== undefined && !allowed.has(origin)) {
      throw new ApiError('ORIGIN_NOT_ALLOWED', 'This origin may not use the relay.', {
        hint: "Add the page's origin to RELAY_ORIGINS (comma list, e.g. https://mail.example.com).",
      })
    }
    return corsHandler(c, next)
  }
}
