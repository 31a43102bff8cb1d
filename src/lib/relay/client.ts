/**
 * The page's calls to the relay on the same origin (shared/API.md). Answers are checked with the
 * contract's schemas; an error answer is returned (send) or thrown as `RelayError` (token), never
 * swallowed. A network failure (relay not running) throws `RelayUnreachable`.
 *
 * @module
 */
import '../zod-csp.ts'
import { z } from 'zod'
import {
  ErrorBody,
  RelayConfig,
  SendSuccess,
  TokenSuccess,
  type SendRequest,
  type TokenRequest,
} from '../contract/api.ts'
import type { SandboxValues } from '../settings/model.ts'

/** The relay answered with the contract's error shape. */
export class RelayError extends Error {
  readonly body: ErrorBody
  constructor(body: ErrorBody) {
    super(body.error.message)
    this.name = 'RelayError'
    this.body = body
  }
}

/** No answer from the relay at all (not running, or the network refused). */
export class RelayUnreachable extends Error {
  constructor(cause: unknown) {
    super('The relay did not answer', { cause })
    this.name = 'RelayUnreachable'
  }
}

/** Fields the sandbox adds beyond the contract's SandboxInfo (all optional). */
const SandboxExtras = z.object({ spaClientId: z.string().optional() })

/**
 * One JSON call to the relay on this origin: the parsed answer, or throws `RelayError` (the
 * contract's error shape) or `RelayUnreachable`. The gateway page's admin calls use it too.
 */
export async function call(path: string, init?: RequestInit): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(path, { ...init, headers: { 'content-type': 'application/json' } })
  } catch (e) {
    throw new RelayUnreachable(e)
  }
  const json: unknown = await res.json().catch(() => undefined)
  const err = ErrorBody.safeParse(json)
  if (err.success) throw new RelayError(err.data)
  if (!res.ok) {
    throw new RelayError({
      ok: false,
      error: { code: 'INTERNAL', message: `HTTP ${res.status} without a contract error body` },
    })
  }
  return json
}

export interface PageConfig {
  config: RelayConfig
  sandbox: SandboxValues | null
}

/** GET /api/config, or null when no relay answers (the page still works for editing). */
export async function getConfig(): Promise<PageConfig | null> {
  let json: unknown
  try {
    json = await call('/api/config')
  } catch {
    return null
  }
  const parsed = RelayConfig.safeParse(json)
  if (!parsed.success) return null
  const sb = parsed.data.sandbox
  const extras = SandboxExtras.safeParse((json as { sandbox?: unknown }).sandbox ?? {})
  return {
    config: parsed.data,
    sandbox: sb ? { ...sb, spaClientId: extras.success ? extras.data.spaClientId : undefined } : null,
  }
}

/** POST /api/send: the success body, or throws RelayError with the diagnosis material. */
export async function postSend(request: SendRequest): Promise<SendSuccess> {
  const json = await call('/api/send', { method: 'POST', body: JSON.stringify(request) })
  return SendSuccess.parse(json)
}

/** POST /api/token (web-secret): redeem a code or refresh, through the relay with the secret. */
export async function postToken(request: TokenRequest): Promise<TokenSuccess> {
  const json = await call('/api/token', { method: 'POST', body: JSON.stringify(request) })
  return TokenSuccess.parse(json)
}
