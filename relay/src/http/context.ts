/**
 * The Hono environment of the relay: what middleware and routes share per request.
 *
 * @module
 */
import type { ErrorCode } from '../../../src/lib/contract/api.ts'

export interface RelayEnv {
  Variables: {
    /** The contract code of an error answer, for the request log. */
    errorCode: ErrorCode
  }
}
