/**
 * `GET /api/health`, `GET /api/config` and `GET /api/openapi.json` (shared/API.md).
 *
 * @module
 */
import { Hono } from 'hono'
import type { Health, RelayConfig as RelayConfigBody } from '../../../src/lib/contract/api.ts'
import { MAX_RECIPIENTS } from '../../../src/lib/contract/api.ts'
import type { AppDeps } from '../app.ts'
import { formatHostPort, type HostEntry } from '../config.ts'
import type { RelayEnv } from '../http/context.ts'
import { openApiDocument } from './openapi.ts'

/** Token hosts show as `host` when on 443, as configured. */
const tokenHost = (e: HostEntry) => (e.port === 443 ? e.host : formatHostPort(e))

export function metaRoutes(deps: AppDeps): Hono<RelayEnv> {
  const { config } = deps
  let openapi: unknown
  return new Hono<RelayEnv>()
    .get('/health', (c) => {
      const body: Health = { ok: true, version: deps.version ?? '0.0.0', runtime: deps.runtime }
      return c.json(body)
    })
    .get('/config', (c) => {
      const body: RelayConfigBody = {
        ok: true,
        smtpHosts: config.smtpHosts.map(formatHostPort),
        plaintextHosts: config.plaintextHosts.map(formatHostPort),
        tokenHosts: config.tokenHosts.map(tokenHost),
        limits: {
          maxMessageBytes: config.maxMessageBytes,
          maxRecipients: MAX_RECIPIENTS,
          rateLimitPerMinute: config.rateLimitPerMinute,
        },
        sandbox: deps.sandbox?.info ?? null,
      }
      c.header('Cache-Control', 'no-store')
      return c.json(body)
    })
    .get('/openapi.json', (c) => {
      openapi ??= openApiDocument(deps.version ?? '0.0.0')
      return c.json(openapi)
    })
}
