/**
 * Structured one-line JSON logs on stdout. The request log holds method, path (never the query
 * string), status, duration and the contract error code: never a header, body, token or secret.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import type { RelayEnv } from './context.ts'

export type LogFn = (line: Record<string, unknown>) => void

/** Writes one JSON object per line to stdout. */
export const stdoutLog: LogFn = (line) => {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...line }))
}

const MAX_PATH = 200

/**
 * Logs every request after it is answered.
 *
 * @example
 * app.use(requestLog({ log: stdoutLog }))
 */
export const requestLog = (
  { log = stdoutLog }: { log?: LogFn } = {},
): MiddlewareHandler<RelayEnv> => {
  return async function requestLog(c, next) {
    const start = performance.now()
    try {
      await next()
    } finally {
      const code = c.get('errorCode')
      log({
        level: c.res.status >= 500 ? 'error' : 'info',
        method: c.req.method,
        path: c.req.path.slice(0, MAX_PATH),
        status: c.res.status,
        ms: Math.round((performance.now() - start) * 10) / 10,
        ...(code !== undefined && { code }),
      })
    }
  }
}
