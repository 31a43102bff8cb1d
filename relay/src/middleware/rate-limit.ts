/**
 * Requests per minute per client address (RELAY_RATE_LIMIT), with hono-rate-limiter's memory
 * store. Over the limit the relay answers RATE_LIMITED with `Retry-After` (RFC 9110 §10.2.3).
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono'
import { rateLimiter } from 'hono-rate-limiter'
import type { RelayEnv } from '../http/context.ts'
import { ApiError } from '../http/errors.ts'

const WINDOW_MS = 60_000

/**
 * @example
 * api.post('/send', perClientLimit({ limit: 30, clientAddress: (c) => '127.0.0.1' }), handler)
 */
export const perClientLimit = ({
  limit,
  clientAddress,
}: {
  limit: number
  clientAddress: (c: Context) => string
}): MiddlewareHandler<RelayEnv> =>
  rateLimiter<RelayEnv>({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: 'draft-6',
    keyGenerator: (c) => clientAddress(c),
    handler: (c) => {
      const info = c.get('rateLimit' as never) as { resetTime?: Date } | undefined
      const seconds = info?.resetTime
        ? Math.max(1, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000))
        : WINDOW_MS / 1000
      throw new ApiError(
        'RATE_LIMITED',
        `More than ${limit} requests per minute from this address.`,
        {
          hint: `Wait ${seconds} s and try again.`,
          headers: { 'Retry-After': String(seconds) },
        },
      )
    },
  })
