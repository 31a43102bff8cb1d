/**
 * `POST /api/token` (shared/API.md, token mode `web-secret`): redeems an authorization code or
 * a refresh token at an allow-listed token endpoint with the client secret. The relay keeps
 * nothing. The form is built with URLSearchParams (Entra secrets contain `~` and other
 * reserved characters) and always carries `scope` (Entra answers AADSTS900144 on refreshes
 * without it). Entra's JSON errors become TOKEN_ENDPOINT_ERROR with the AADSTS code and a hint.
 *
 * @module
 */
import { Hono } from 'hono'
import {
  TokenRequest,
  type TokenRequest as TokenRequestBody,
  type TokenSuccess,
} from '../../../src/lib/contract/api.ts'
import { explainAadsts, findAadsts } from '../../../src/lib/contract/m365.ts'
import type { AppDeps } from '../app.ts'
import type { RelayEnv } from '../http/context.ts'
import { requestBodyLimit } from '../http/body-limit.ts'
import { ApiError, CLOSE_CONNECTION } from '../http/errors.ts'
import { checkTokenEndpoint } from '../http/targets.ts'
import { postTokenForm, TokenTransportError } from '../http/token-client.ts'
import { jsonBody } from '../http/validate.ts'
import { perClientLimit } from '../middleware/rate-limit.ts'

/** Token requests are small: codes and refresh tokens are a few KB. */
const MAX_TOKEN_REQUEST_BYTES = 64 * 1024

/** The form of RFC 6749 §4.1.3 / §6 (+ RFC 7636 code_verifier), secret in the body (§2.3.1). */
export function tokenForm(req: TokenRequestBody): URLSearchParams {
  const form = new URLSearchParams({ client_id: req.clientId, scope: req.scope })
  if (req.clientSecret) form.set('client_secret', req.clientSecret)
  const grant = req.grant
  if (grant.type === 'authorization_code') {
    form.set('grant_type', 'authorization_code')
    form.set('code', grant.code)
    form.set('redirect_uri', grant.redirectUri)
    if (grant.codeVerifier) form.set('code_verifier', grant.codeVerifier)
  } else {
    form.set('grant_type', 'refresh_token')
    form.set('refresh_token', grant.refreshToken)
  }
  return form
}

/**
 * The ways an endpoint may quote a secret back: as sent in the form body (RFC 6749 §B:
 * `application/x-www-form-urlencoded`, where `~` becomes `%7E` and a space `+`), percent-encoded
 * as in a URL (RFC 3986 §2.1, hex digits in either case), or as is.
 */
function secretForms(secret: string): string[] {
  const form = new URLSearchParams({ s: secret }).toString().slice(2)
  const lowerHex = (s: string) => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())
  const forms = [form, lowerHex(form), secret]
  // encodeURIComponent throws (URIError) on a lone surrogate; the contract refuses those, and
  // a string it cannot encode has no percent-encoded form to look for anyway.
  try {
    const uri = encodeURIComponent(secret)
    forms.push(uri, lowerHex(uri))
  } catch {
    // no URI form
  }
  // Longest first: a shorter form may be a prefix of a longer one.
  return [...new Set(forms)].sort((a, b) => b.length - a.length)
}

/** Replaces every secret that an error text might echo, in any of its forms. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  for (const s of secrets) {
    if (!s || s.length < 4) continue
    for (const form of secretForms(s)) out = out.split(form).join('****')
  }
  return out
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined)

/** For an error without a known AADSTS code: the seed's steps where the values come from. */
const UNEXPLAINED_HINT =
  'Check the values against Microsoft Entra admin center > App registrations > (the app): ' +
  'Overview (Application (client) ID, Directory (tenant) ID), Certificates & secrets (the ' +
  "secret's Value) and Authentication (the Web redirect URI http://localhost)."


/** Entra's first line of `error_description` (the rest is trace and correlation IDs). */
const firstLine = (s: string) => (s.split(/\r?\n/)[0] ?? '').slice(0, 500)

/** What a token endpoint call needs of the app's dependencies. */
export type TokenDeps = Pick<AppDeps, 'config' | 'resolveHost' | 'fetchToken' | 'tokenTimeoutMs'>

/**
 * The answer of one token endpoint call: the JSON of a 200 answer carrying `access_token`, or
 * the contract's error. `transient` marks failures worth retrying later (no answer, a timeout,
 * an HTTP 5xx or 429, Entra's `temporarily_unavailable`); the others need a person.
 */
export type TokenCall =
  | { ok: true; json: Record<string, unknown> }
  | { ok: false; error: ApiError; transient: boolean; status?: number; oauthError?: string }

/**
 * POSTs `form` to an allow-listed token endpoint and maps every failure to the contract's error
 * (TOKEN_ENDPOINT_ERROR with the AADSTS code and its hint, or TIMEOUT). `secrets` are the
 * values of the form an error text might echo: redacted in any of their forms.
 */
export async function callTokenEndpoint(
  deps: TokenDeps,
  tokenEndpoint: string,
  form: URLSearchParams,
  secrets: readonly (string | undefined)[],
  /** What makes a 200 answer a success (default: it carries `access_token`). */
  accept: (json: Record<string, unknown>) => boolean = (json) => Boolean(str(json.access_token)),
  /** Another path on the checked token endpoint's host (Entra's `…/devicecode` beside `…/token`). */
  siblingPath?: string,
): Promise<TokenCall> {
  const checked = await checkTokenEndpoint(deps.config, tokenEndpoint, deps.resolveHost)
  const target = siblingPath === undefined ? checked : { ...checked, url: new URL(siblingPath, checked.url) }
  const post = deps.fetchToken ?? postTokenForm
  let res
  try {
    res = await post({
      ...target,
      ca: deps.config.ca,
      form,
      ...(deps.tokenTimeoutMs !== undefined && { timeoutMs: deps.tokenTimeoutMs }),
    })
  } catch (err) {
    if (!(err instanceof TokenTransportError)) throw err
    if (err.kind === 'timeout') {
      return {
        ok: false,
        transient: true,
        error: new ApiError('TIMEOUT', 'The token endpoint did not answer in time.', {
          hint: 'Check that this relay can reach the token endpoint.',
        }),
      }
    }
    return {
      ok: false,
      transient: err.kind !== 'tls',
      error: new ApiError('TOKEN_ENDPOINT_ERROR', `Could not reach the token endpoint (${err.code}).`, {
        hint: err.kind === 'tls'
          ? "The endpoint's certificate was not trusted for its name (a private CA can be added with RELAY_CA_FILE)."
          : 'Check the token endpoint URL and that this relay can reach it.',
      }),
    }
  }
  const json = (typeof res.json === 'object' && res.json !== null ? res.json : {}) as Record<
    string,
    unknown
  >
  if (res.status === 200 && accept(json)) return { ok: true, json }
  const aadsts = findAadsts(json)
  const explained = aadsts ? explainAadsts(aadsts) : undefined
  const oauthError = str(json.error)
  const error = oauthError ?? `HTTP ${res.status}`
  const description = str(json.error_description)
  // Redacted before cutting, so a cut cannot leave part of a secret behind.
  const said = description ? `: ${firstLine(redact(description, secrets))}` : ''
  return {
    ok: false,
    status: res.status,
    ...(oauthError !== undefined && { oauthError }),
    transient: res.status >= 500 || res.status === 429 || oauthError === 'temporarily_unavailable',
    error: new ApiError(
      'TOKEN_ENDPOINT_ERROR',
      `The token endpoint answered ${firstLine(redact(error, secrets)).slice(0, 200)}${said}`,
      {
        hint: explained?.hint ?? UNEXPLAINED_HINT,
        ...(aadsts && { aadsts }),
      },
    ),
  }
}

export function tokenRoutes(deps: AppDeps): Hono<RelayEnv> {
  return new Hono<RelayEnv>().post(
    '/token',
    perClientLimit({ limit: deps.config.rateLimitPerMinute, clientAddress: deps.clientAddress }),
    requestBodyLimit({
      maxSize: MAX_TOKEN_REQUEST_BYTES,
      onError: () => {
        throw new ApiError('PAYLOAD_TOO_LARGE', 'The token request is too large.', {
          hint: `Token requests are at most ${MAX_TOKEN_REQUEST_BYTES} bytes.`,
          headers: CLOSE_CONNECTION,
        })
      },
    }),
    jsonBody(TokenRequest),
    async (c) => {
      const req = c.req.valid('json')
      const secrets = [req.clientSecret]
      if (req.grant.type === 'authorization_code') secrets.push(req.grant.code, req.grant.codeVerifier)
      else secrets.push(req.grant.refreshToken)
      const answer = await callTokenEndpoint(deps, req.tokenEndpoint, tokenForm(req), secrets)
      if (!answer.ok) throw answer.error
      const { json } = answer
      const body: TokenSuccess = {
        ok: true,
        accessToken: str(json.access_token) ?? '',
        expiresIn: Number(json.expires_in) || 0,
        ...(str(json.refresh_token) && { refreshToken: str(json.refresh_token) }),
        ...(str(json.id_token) && { idToken: str(json.id_token) }),
        scope: str(json.scope) ?? req.scope,
      }
      return c.json(body)
    },
  )
}
