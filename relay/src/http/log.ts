/**
 * Structured one-line JSON logs on stdout. The request log holds method, path (never the query
 * string), status, duration and the contract error code: never a header, body, token or secret.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import type { RelayEnv } from './context.ts'

export type LogFn = (line: Record<string, unknown>) => void

let pending: string[] = []
let flushTimer: ReturnType<typeof setTimeout> | undefined

/** Writes the lines `stdoutLog` still holds, now (the entrypoints call it before exiting). */
export function flushLog(): void {
  clearTimeout(flushTimer)
  flushTimer = undefined
  if (pending.length === 0) return
  const text = pending.join('\n')
  pending = []
  console.log(text)
}

/**
 * Writes one JSON object per line to stdout, in order, just after the current task: the request
 * log line is made before the adapter writes the answer, and a write to a pipe wakes its reader
 * (a log collector, the parent process), which the kernel may run first while the answer waits.
 * A line is written about a millisecond after the event; `flushLog` writes them at once.
 */
export const stdoutLog: LogFn = (line) => {
  pending.push(JSON.stringify({ time: new Date().toISOString(), ...line }))
  flushTimer ??= setTimeout(flushLog, 0)
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
