/**
 * The OpenAPI 3.1 document of the relay, generated from the contract's zod schemas with zod 4's
 * `z.toJSONSchema`, so it cannot drift from what the relay validates.
 *
 * @module
 */
import { z } from 'zod'
import {
  ERROR_STATUS,
  ErrorBody,
  Health,
  RelayConfig,
  SendRequest,
  SendSuccess,
  TokenRequest,
  TokenSuccess,
} from '../../../src/lib/contract/api.ts'

const SCHEMAS = {
  SendRequest,
  SendSuccess,
  TokenRequest,
  TokenSuccess,
  Health,
  RelayConfig,
  ErrorBody,
} as const

const schema = (s: z.ZodType, io: 'input' | 'output') =>
  withoutDialect(z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }))

/** OpenAPI 3.1 schemas are JSON Schema 2020-12 already; the per-schema `$schema` is noise. */
const withoutDialect = ({ $schema: _, ...rest }: Record<string, unknown>) => rest

const ref = (name: keyof typeof SCHEMAS) => ({ $ref: `#/components/schemas/${name}` })
const json = (name: keyof typeof SCHEMAS) => ({
  content: { 'application/json': { schema: ref(name) } },
})

/** Every error status the contract uses, each answered with ErrorBody. */
const errorResponses = Object.fromEntries(
  [...new Set(Object.values(ERROR_STATUS))].map((status) => [
    String(status),
    {
      description: Object.entries(ERROR_STATUS)
        .filter(([, s]) => s === status)
        .map(([code]) => code)
        .join(', '),
      ...json('ErrorBody'),
    },
  ]),
)

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'mailkey relay',
      version,
      description:
        'Sends test mail through Microsoft 365 SMTP AUTH (XOAUTH2) and redeems OAuth codes.',
    },
    paths: {
      '/api/send': {
        post: {
          summary: 'Send one message through an allow-listed SMTP server',
          requestBody: { required: true, ...json('SendRequest') },
          responses: { '200': { description: 'Sent', ...json('SendSuccess') }, ...errorResponses },
        },
      },
      '/api/token': {
        post: {
          summary: 'Redeem an authorization code or a refresh token with the client secret',
          requestBody: { required: true, ...json('TokenRequest') },
          responses: {
            '200': { description: 'Tokens', ...json('TokenSuccess') },
            ...errorResponses,
          },
        },
      },
      '/api/health': {
        get: {
          summary: 'Liveness',
          responses: { '200': { description: 'Up', ...json('Health') } },
        },
      },
      '/api/config': {
        get: {
          summary: 'Allow-lists, limits and the sandbox settings',
          responses: { '200': { description: 'Configuration', ...json('RelayConfig') } },
        },
      },
    },
    components: {
      schemas: Object.fromEntries(
        Object.entries(SCHEMAS).map(([name, s]) => [
          name,
          schema(s, name.endsWith('Request') ? 'input' : 'output'),
        ]),
      ),
    },
  }
}
