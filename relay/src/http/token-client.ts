/**
 * POSTs a form to a token endpoint with `node:https` (the same code on Node and Deno), because
 * it takes extra trusted CAs (`ca`) where `fetch` cannot on both runtimes. It connects to the
 * address that was checked, verifies the certificate against the endpoint's name, and sends
 * no `Origin` (Entra treats a request with Origin as a browser's, AADSTS9002327).
 *
 * @module
 */
import { request } from 'node:https'
import { isIP } from 'node:net'
import { checkServerIdentity, rootCertificates } from 'node:tls'

export interface TokenHttpRequest {
  url: URL
  /** The endpoint's host name: the certificate must carry it. */
  host: string
  port: number
  /** The checked addresses, tried in order while a connection cannot be opened. */
  connectAddresses: readonly string[]
  /** Extra trusted CAs (PEM), added to the built-in roots. */
  ca: readonly string[]
  form: URLSearchParams
  timeoutMs?: number
}

export interface TokenHttpResponse {
  status: number
  /** The parsed JSON body, or undefined when the body was not JSON. */
  json: unknown
}

/** A failure before any HTTP answer: `kind` says whether to report a timeout. */
export class TokenTransportError extends Error {
  readonly kind: 'timeout' | 'tls' | 'network'
  readonly code: string
  constructor(kind: 'timeout' | 'tls' | 'network', code: string) {
    super(`${kind} error (${code})`)
    this.name = 'TokenTransportError'
    this.kind = kind
    this.code = code
  }
}

export type PostTokenForm = (req: TokenHttpRequest) => Promise<TokenHttpResponse>

/** Entra answers in well under a second; a minute is patience for a slow proxy. */
const DEFAULT_TIMEOUT_MS = 30_000
/** Token answers are a few KB; anything far larger is not a token answer. */
const MAX_RESPONSE_BYTES = 1 << 20

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|SSL|HOSTNAME|ALTNAME/i

/** Errors meaning "nothing answered at this address": the next address may. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])

export const postTokenForm: PostTokenForm = async (req) => {
  let failure: unknown
  for (const connectAddress of req.connectAddresses.slice(0, 3)) {
    try {
      return await postOnce(req, connectAddress)
    } catch (err) {
      if (!(err instanceof TokenTransportError) || !UNREACHABLE.has(err.code)) throw err
      failure = err
    }
  }
  throw failure ?? new TokenTransportError('network', 'ENOTFOUND')
}

function postOnce(
  { url, host, port, ca, form, timeoutMs = DEFAULT_TIMEOUT_MS }: TokenHttpRequest,
  connectAddress: string,
): Promise<TokenHttpResponse> {
  const body = form.toString()
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (err: TokenTransportError) => {
      if (settled) return
      settled = true
      req.destroy()
      reject(err)
    }
    const req = request(
      {
        host: connectAddress,
        port,
        method: 'POST',
        path: url.pathname + url.search,
        // SNI must be a DNS name (RFC 6066 §3); an IP literal endpoint is verified by address.
        ...(isIP(host) === 0 && { servername: host }),
        checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
        ...(ca.length > 0 && { ca: [...rootCertificates, ...ca] }),
        agent: false,
        headers: {
          Host: url.host,
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': String(new TextEncoder().encode(body).byteLength),
          Accept: 'application/json',
        },
      },
      (res) => {
        const chunks: Uint8Array[] = []
        let size = 0
        res.on('data', (chunk: Uint8Array) => {
          size += chunk.byteLength
          if (size > MAX_RESPONSE_BYTES) {
            fail(new TokenTransportError('network', 'RESPONSE_TOO_LARGE'))
          } else chunks.push(chunk)
        })
        res.on('error', (err: NodeJS.ErrnoException) => fail(transportError(err)))
        res.on('end', () => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          const text = new TextDecoder().decode(concat(chunks, size))
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, json })
        })
      },
    )
    const timer = setTimeout(() => fail(new TokenTransportError('timeout', 'ETIMEDOUT')), timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      fail(transportError(err))
    })
    req.end(body)
  })
}

function transportError(err: NodeJS.ErrnoException): TokenTransportError {
  const code = err.code ?? err.name
  return new TokenTransportError(TLS_CODES.test(code) ? 'tls' : 'network', code)
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}
