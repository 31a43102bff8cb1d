/**
 * JSON body validation with `@hono/zod-validator`, answering every failure in the contract's
 * shape: INVALID_REQUEST with the path of the first bad field. Malformed JSON arrives here as
 * Hono's HTTPException(400) and is mapped by `onError`.
 *
 * @module
 */
import { zValidator } from '@hono/zod-validator'
import type { z } from 'zod'
import { ApiError } from './errors.ts'

/** The first issue's path as `message.to.0`; unknown keys point at the key itself. */
export function issuePath(issue: z.core.$ZodIssue): string {
  const path = [...issue.path]
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0])
  return path.map(String).join('.')
}

/** Zod's messages name types and options, never the input value, so they are safe to return. */
export function invalidRequest(error: { issues: readonly z.core.$ZodIssue[] }): ApiError {
  const issue = error.issues[0]
  const path = issue ? issuePath(issue) : ''
  const what = issue?.message ?? 'Invalid request'
  return new ApiError('INVALID_REQUEST', path ? `${path}: ${what}` : what, {
    hint: 'Correct the field named in path; the contract is at GET /api/openapi.json.',
    ...(path && { path }),
  })
}

/**
 * `zValidator('json', schema)` whose failures throw the contract's INVALID_REQUEST.
 *
 * @example
 * api.post('/send', jsonBody(SendRequest), (c) => c.json(c.req.valid('json')))
 */
export const jsonBody = <T extends z.ZodType>(schema: T) =>
  zValidator('json', schema, (result, c) => {
    if (result.success) return
    const type = c.req.header('Content-Type') ?? ''
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new ApiError(
        'INVALID_REQUEST',
        'Expected a JSON body (Content-Type: application/json).',
        {
          hint: 'Send the request as JSON.',
        },
      )
    }
    throw invalidRequest(result.error)
  })
