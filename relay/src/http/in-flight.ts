/**
 * The requests the relay is handling, so that a shutdown that cannot wait any longer answers
 * them rather than dropping their connections. A send whose SMTP server has not yet said
 * whether it took the message may well have been delivered: the client must hear that the
 * outcome is unknown, not see a reset it cannot tell from "nothing happened".
 *
 * shared/API.md has no code for "the relay stopped, outcome unknown": the answer is `TIMEOUT`
 * (504, a gateway that did not get its upstream's answer in time), whose message says so.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import type { RelayEnv } from './context.ts'
import { ApiError, CLOSE_CONNECTION, errorResponse } from './errors.ts'

export interface InFlight {
  /** Place before the routes (after the log, CORS and headers, which then apply to it too). */
  middleware: MiddlewareHandler<RelayEnv>
  /** How many requests are being handled now. */
  readonly size: number
  /** Answers every request in flight with the shutdown error now; returns how many. */
  abandon(): number
}

/** What a request still in flight hears when the relay stops before it has finished. */
export const stoppedInFlight = () =>
  new ApiError(
    'TIMEOUT',
    'The relay was stopped before this request finished, so its outcome is unknown: a message being sent may have been delivered.',
    {
      hint: 'Check whether the message arrived before sending it again; the relay is being stopped or restarted.',
      headers: CLOSE_CONNECTION,
      maybeDelivered: true,
    },
  )

export function createInFlight(): InFlight {
  const pending = new Set<() => void>()
  return {
    get size() {
      return pending.size
    },
    abandon() {
      const n = pending.size
      for (const answer of [...pending]) answer()
      return n
    },
    async middleware(c, next) {
      let abandon = () => {}
      const abandoned = new Promise<true>((resolve) => (abandon = () => resolve(true)))
      pending.add(abandon)
      try {
        const handled = next()
        const stopped = await Promise.race([handled.then(() => false), abandoned])
        if (!stopped) return
        // The handler runs on until the process exits; what it says then is not heard.
        handled.catch(() => {})
        return errorResponse(c, stoppedInFlight())
      } finally {
        pending.delete(abandon)
      }
    },
  }
}
