/**
 * Shared steps of the relay integration tests: JSON calls to a running relay, and a web-secret
 * sign-in at the sandbox's identity provider (hybrid `code id_token` + PKCE, as the page does)
 * that yields a code for the relay to redeem.
 */
import type { SandboxInfo } from '../../src/lib/contract/api.ts'
import { Browserish, pkcePair, responseParams, signIn } from './sandbox-client.ts'

export interface Answer {
  status: number
  headers: Headers
  text: string
  json: Record<string, any>
}

export async function call(
  base: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await res.text()
  let json: Record<string, any> = {}
  try {
    json = JSON.parse(text)
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, headers: res.headers, text, json }
}

export const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send offline_access openid profile'
/** The Web app's registered redirect is `http://localhost` (any port, as Entra allows). */
export const WEB_REDIRECT = 'http://localhost:5173/'

/** Signs `upn` in at the sandbox as the page's web-secret mode does; returns the code. */
export async function webSecretCode(
  info: SandboxInfo,
  caPem: string,
  user: { upn: string; password: string },
): Promise<{ code: string; codeVerifier: string; redirectUri: string }> {
  const browser = new Browserish(caPem)
  const { verifier, challenge } = pkcePair()
  const query = new URLSearchParams({
    client_id: info.clientId,
    response_type: 'code id_token',
    response_mode: 'fragment',
    redirect_uri: WEB_REDIRECT,
    scope: SMTP_SCOPE,
    nonce: `n-${crypto.randomUUID()}`,
    state: `s-${crypto.randomUUID()}`,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })
  const location = await signIn(
    browser,
    `${info.authorizeEndpoint}?${query}`,
    user.upn,
    user.password,
  )
  const code = responseParams(location).get('code')
  if (!code) throw new Error(`no code in ${location.replace(/#.*/, '#…')}`)
  return { code, codeVerifier: verifier, redirectUri: WEB_REDIRECT }
}
