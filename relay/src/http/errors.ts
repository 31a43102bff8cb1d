/**
 * One error path for the whole relay: handlers throw `ApiError` (a Hono `HTTPException`), and
 * `onError` turns it, Hono's own exceptions and the engine's `SmtpError` into the contract's
 * error shape (shared/API.md). Anything else becomes `INTERNAL` without its message or stack in
 * the answer.
 *
 * @module
 */
import type { Context, ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import {
  ERROR_STATUS,
  type ErrorBody,
  type ErrorCode,
  type TranscriptLine,
} from '../../../src/lib/contract/api.ts'
import type { RelayEnv } from './context.ts'
import { isSmtpError, smtpErrorToApi } from './smtp-errors.ts'

export interface ApiErrorDetails {
  hint?: string
  smtp?: { code: number; enhanced?: string; text: string }
  aadsts?: string
  path?: string
  /** Where in the SMTP dialogue an engine failure happened (`mail`, `data`, …). */
  stage?: string
  /** The outcome is unknown and the message may have been delivered (API.md's `maybeDelivered`). */
  maybeDelivered?: boolean
  transcript?: TranscriptLine[]
  /** Extra response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>
}

/**
 * For answers given before the request body was read (oversize): closing the connection after
 * the answer keeps a client from reusing it while the rest of its upload is still arriving.
 */
export const CLOSE_CONNECTION: Record<string, string> = { Connection: 'close' }

/** A failure the relay answers in the contract's shape, with the code's fixed HTTP status. */
export class ApiError extends HTTPException {
  readonly code: ErrorCode
  readonly details: ApiErrorDetails
  constructor(code: ErrorCode, message: string, details: ApiErrorDetails = {}) {
    super(ERROR_STATUS[code], { message })
    this.name = 'ApiError'
    this.code = code
    this.details = details
  }
}

/** The contract's error body for `err`. */
export function errorBody(err: ApiError): ErrorBody {
  const { hint, smtp, aadsts, path, stage, maybeDelivered, transcript } = err.details
  return {
    ok: false,
    error: {
      code: err.code,
      message: err.message,
      ...(hint !== undefined && { hint }),
      ...(smtp !== undefined && { smtp }),
      ...(aadsts !== undefined && { aadsts }),
      ...(path !== undefined && { path }),
      ...(stage !== undefined && { stage }),
      ...(maybeDelivered === true && { maybeDelivered: true as const }),
    },
    ...(transcript !== undefined && { transcript }),
  }
}

/** Answers `err` in the contract's shape and records its code for the request log. */
export function errorResponse(c: Context<RelayEnv>, err: ApiError): Response {
  c.set('errorCode', err.code)
  for (const [name, value] of Object.entries(err.details.headers ?? {})) c.header(name, value)
  return c.json(errorBody(err), ERROR_STATUS[err.code])
}

/** Maps anything thrown while handling a request to an `ApiError`. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (isSmtpError(err)) return smtpErrorToApi(err)
  if (err instanceof HTTPException) {
    // Hono's validator (malformed JSON) and bodyLimit throw these; their messages are fixed
    // strings without request data.
    if (err.status === 413) {
      return new ApiError('PAYLOAD_TOO_LARGE', 'The request body is too large.', {
        hint: 'Send smaller attachments (the limit is RELAY_MAX_MESSAGE_BYTES).',
        headers: CLOSE_CONNECTION,
      })
    }
    if (err.status === 400) {
      return new ApiError('INVALID_REQUEST', err.message || 'The request is not valid.', {
        hint: 'Send a JSON body as described in the relay contract (GET /api/openapi.json).',
      })
    }
  }
  return new ApiError('INTERNAL', 'The relay failed unexpectedly.', {
    hint: 'Try again; if it persists, see the relay log.',
  })
}

/**
 * The app's `onError`. Unexpected errors are logged by name and stack frames only: messages
 * of foreign errors may quote request data (JSON parsers quote their input).
 */
export function onError(log: (line: Record<string, unknown>) => void): ErrorHandler<RelayEnv> {
  return function onError(err, c) {
    const apiError = toApiError(err)
    if (apiError.code === 'INTERNAL') {
      const frames = (err instanceof Error ? err.stack ?? '' : '').split('\n').slice(1, 6)
      log({
        level: 'error',
        msg: 'unexpected error',
        name: err instanceof Error ? err.name : typeof err,
        at: frames.map((f) => f.trim()),
      })
    }
    return errorResponse(c, apiError)
  }
}
