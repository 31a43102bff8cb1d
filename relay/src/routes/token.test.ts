/**
 * /api/token error mapping and wire form against a tiny local HTTPS server that answers like
 * Entra's token endpoint (real TLS with a run-time CA). Redeeming real codes at the sandbox's
 * OpenID provider is in token.sandbox.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorBody, TokenSuccess } from '../../../src/lib/contract/api.ts'
import { createCertificateAuthority, issueServerCertificate } from '../tls/certs.ts'
import { postJson, testApp } from '../testing.ts'

interface Seen {
  path: string
  headers: Record<string, string | string[] | undefined>
  form: URLSearchParams
  raw: string
}

const SECRET = 'Ab~cD.ef_gh-IJ+kl/mn=op&q%r'
let server: Server
let port: number
let dir: string
let caFile: string
let seen: Seen[] = []

/** Entra's error body (reference-error-codes.md): error, description with AADSTS, codes. */
const entra = (error: string, code: number, text: string) => ({
  error,
  error_description:
    `AADSTS${code}: ${text}\r\nTrace ID: 0000 Correlation ID: 1111 Timestamp: 2026-01-01 00:00:00Z`,
  error_codes: [code],
  timestamp: '2026-01-01 00:00:00Z',
  trace_id: '0000',
  correlation_id: '1111',
})

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailkey-token-'))
  const ca = createCertificateAuthority('token test CA')
  const leaf = issueServerCertificate(ca, { dns: ['localhost'], ip: ['127.0.0.1'] })
  caFile = join(dir, 'ca.pem')
  await writeFile(caFile, ca.certPem)
  server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (d: string) => (raw += d))
    req.on('end', () => {
      const form = new URLSearchParams(raw)
      seen.push({ path: req.url ?? '', headers: req.headers, form, raw })
      const tenant = (req.url ?? '').split('/')[1]
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
        res.end(typeof body === 'string' ? body : JSON.stringify(body))
      }
      if (tenant === 'silent') return // never answers
      if (tenant === 'html') return answer(502, '<html>Bad gateway</html>')
      if (tenant === 'echo-secret') {
        return answer(400, {
          error: 'invalid_client',
          error_description: `secret ${form.get('client_secret')} is bad`,
        })
      }
      if (tenant === 'redirect') {
        res.writeHead(307, { Location: `https://localhost:${port}/followed/oauth2/v2.0/token` })
        return res.end()
      }
      if (tenant === 'echo-body') {
        // Quotes the form body as received (x-www-form-urlencoded), in both fields.
        return answer(400, { error: `bad ${raw}`, error_description: `AADSTS900144: body ${raw}` })
      }
      if (tenant === 'echo-uri') {
        const uri = (name: string) =>
          encodeURIComponent(form.get(name) ?? '').replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())
        return answer(400, {
          error: 'invalid_request',
          error_description: `secret=${uri('client_secret')} code=${uri('code')}`,
        })
      }
      if (form.get('client_secret') === 'expired') {
        return answer(
          401,
          entra('invalid_client', 7000222, 'The provided client secret keys for app are expired.'),
        )
      }
      if (form.get('client_secret') === 'secret-id') {
        return answer(401, entra('invalid_client', 7000215, 'Invalid client secret provided.'))
      }
      if (form.get('refresh_token') === 'stale') {
        return answer(
          400,
          entra('invalid_grant', 700082, 'The refresh token has expired due to inactivity.'),
        )
      }
      answer(200, {
        token_type: 'Bearer',
        scope: 'https://outlook.office.com/SMTP.Send',
        expires_in: 3599,
        access_token: 'at-123',
        refresh_token: 'rt-456',
        id_token: 'id-789',
      })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as { port: number }).port
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  await rm(dir, { recursive: true, force: true })
})

const app = (env: Record<string, string> = {}) =>
  testApp({ RELAY_TOKEN_HOSTS: `localhost:${port}`, RELAY_CA_FILE: caFile, ...env }, {
    tokenTimeoutMs: 1500,
  }).app

const endpoint = (tenant = 'contoso') => `https://localhost:${port}/${tenant}/oauth2/v2.0/token`
const codeGrant = {
  type: 'authorization_code',
  code: 'code-abc',
  codeVerifier: 'v'.repeat(43),
  redirectUri: 'http://localhost:8787/',
}
const request = (over: Record<string, unknown> = {}) => ({
  tokenEndpoint: endpoint(),
  clientId: '11111111-2222-3333-4444-555555555555',
  clientSecret: SECRET,
  scope: 'https://outlook.office.com/SMTP.Send offline_access openid profile',
  grant: codeGrant,
  ...over,
})

async function error(res: Response, status: number, code: string) {
  const body = ErrorBody.parse(await res.json())
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code })
  return body
}

describe('POST /api/token', () => {
  it('redeems a code: form-encoded, escaped secret, scope, PKCE verifier, no Origin', async () => {
    seen = []
    const res = await postJson(app(), '/api/token', request(), { Origin: 'http://localhost:8787' })
    expect(res.status).toBe(200)
    expect(TokenSuccess.parse(await res.json())).toEqual({
      ok: true,
      accessToken: 'at-123',
      expiresIn: 3599,
      refreshToken: 'rt-456',
      idToken: 'id-789',
      scope: 'https://outlook.office.com/SMTP.Send',
    })
    const [got] = seen
    expect(got?.path).toBe('/contoso/oauth2/v2.0/token')
    expect(got?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(got?.headers.origin).toBeUndefined()
    expect(got?.raw).toContain('client_secret=Ab%7EcD.ef_gh-IJ%2Bkl%2Fmn%3Dop%26q%25r')
    expect(Object.fromEntries(got?.form ?? [])).toEqual({
      client_id: '11111111-2222-3333-4444-555555555555',
      scope: 'https://outlook.office.com/SMTP.Send offline_access openid profile',
      client_secret: SECRET,
      grant_type: 'authorization_code',
      code: 'code-abc',
      redirect_uri: 'http://localhost:8787/',
      code_verifier: 'v'.repeat(43),
    })
  })

  it('refreshes with scope, and without client_secret when none is given', async () => {
    seen = []
    const body = request({
      clientSecret: undefined,
      grant: { type: 'refresh_token', refreshToken: 'rt-1' },
    })
    expect((await postJson(app(), '/api/token', body)).status).toBe(200)
    expect(Object.fromEntries(seen[0]?.form ?? [])).toEqual({
      client_id: '11111111-2222-3333-4444-555555555555',
      scope: 'https://outlook.office.com/SMTP.Send offline_access openid profile',
      grant_type: 'refresh_token',
      refresh_token: 'rt-1',
    })
  })

  it('tries the next checked address when a connection is refused', async () => {
    const { app: a } = testApp(
      { RELAY_TOKEN_HOSTS: `localhost:${port}`, RELAY_CA_FILE: caFile },
      { resolveHost: async () => ['127.0.0.2', '127.0.0.1'] },
    )
    expect((await postJson(a, '/api/token', request())).status).toBe(200)
  })

  it('accepts the endpoint as the seed spells it (V2.0)', async () => {
    const res = await postJson(
      app(),
      '/api/token',
      request({ tokenEndpoint: `https://localhost:${port}/contoso/oauth2/V2.0/token` }),
    )
    expect(res.status).toBe(200)
  })

  it.each([
    ['expired', 'AADSTS7000222', 'Certificates & secrets'],
    ['secret-id', 'AADSTS7000215', 'not its Secret ID'],
  ])('TOKEN_ENDPOINT_ERROR for secret %s with %s and its hint', async (secret, aadsts, hint) => {
    const res = await postJson(app(), '/api/token', request({ clientSecret: secret }))
    const body = await error(res, 502, 'TOKEN_ENDPOINT_ERROR')
    expect(body.error.aadsts).toBe(aadsts)
    expect(body.error.hint).toContain(hint)
    expect(body.error.message).toContain('invalid_client')
    expect(body.error.message).not.toContain('Trace ID')
  })

  it('TOKEN_ENDPOINT_ERROR for an expired refresh token: sign in again', async () => {
    const res = await postJson(
      app(),
      '/api/token',
      request({ grant: { type: 'refresh_token', refreshToken: 'stale' } }),
    )
    const body = await error(res, 502, 'TOKEN_ENDPOINT_ERROR')
    expect(body.error.aadsts).toBe('AADSTS700082')
    expect(body.error.hint).toContain('Sign in again')
  })

  it('never echoes the secret an endpoint quotes back', async () => {
    const res = await postJson(
      app(),
      '/api/token',
      request({ tokenEndpoint: endpoint('echo-secret') }),
    )
    const text = await res.text()
    expect(res.status).toBe(502)
    expect(text).not.toContain(SECRET)
    expect(text).toContain('****')
  })

  it.each(['echo-body', 'echo-uri'])(
    'never echoes a secret an endpoint quotes back encoded (%s)',
    async (tenant) => {
      const code = 'Co~de.with+plus/slash=eq&amp%pct'
      const res = await postJson(
        app(),
        '/api/token',
        request({ tokenEndpoint: endpoint(tenant), grant: { ...codeGrant, code } }),
      )
      const text = await res.text()
      expect(res.status).toBe(502)
      const encodings = (s: string) => [
        s,
        new URLSearchParams({ s }).toString().slice(2),
        encodeURIComponent(s),
        encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
      ]
      for (const form of [...encodings(SECRET), ...encodings(code), ...encodings('v'.repeat(43))]) {
        expect(text).not.toContain(form)
      }
      // Only the secrets are hidden: the rest of the quote stays readable.
      expect(text).toContain(tenant === 'echo-body' ? 'client_id=11111111' : 'secret=****')
    },
  )

  it('never follows a redirect from a token endpoint (the secret would go along)', async () => {
    seen = []
    const res = await postJson(app(), '/api/token', request({ tokenEndpoint: endpoint('redirect') }))
    const body = await error(res, 502, 'TOKEN_ENDPOINT_ERROR')
    expect(body.error.message).toContain('307')
    expect(seen.map((s) => s.path)).toEqual(['/redirect/oauth2/v2.0/token'])
  })

  it('TOKEN_ENDPOINT_ERROR for a non-JSON answer, with the seed steps to check', async () => {
    const body = await error(
      await postJson(app(), '/api/token', request({ tokenEndpoint: endpoint('html') })),
      502,
      'TOKEN_ENDPOINT_ERROR',
    )
    expect(body.error.hint).toContain('Microsoft Entra admin center > App registrations')
    expect(body.error.hint).toContain('Certificates & secrets')
  })

  it('TOKEN_ENDPOINT_ERROR when the certificate is not trusted', async () => {
    const body = await error(
      await postJson(app({ RELAY_CA_FILE: '' }), '/api/token', request()),
      502,
      'TOKEN_ENDPOINT_ERROR',
    )
    expect(body.error.hint).toContain('RELAY_CA_FILE')
  })

  it('TOKEN_ENDPOINT_ERROR when nothing listens', async () => {
    const a = testApp({ RELAY_TOKEN_HOSTS: 'localhost:1' }).app
    const body = await error(
      await postJson(
        a,
        '/api/token',
        request({ tokenEndpoint: 'https://localhost:1/t/oauth2/v2.0/token' }),
      ),
      502,
      'TOKEN_ENDPOINT_ERROR',
    )
    expect(body.error.message).toContain('ECONNREFUSED')
  })

  it('TIMEOUT when the endpoint never answers', async () => {
    await error(
      await postJson(app(), '/api/token', request({ tokenEndpoint: endpoint('silent') })),
      504,
      'TIMEOUT',
    )
  })

  it('HOST_NOT_ALLOWED for a host outside RELAY_TOKEN_HOSTS, and for the wrong port', async () => {
    const a = app()
    const other = request({ tokenEndpoint: 'https://login.example.com/t/oauth2/v2.0/token' })
    expect(
      (await error(await postJson(a, '/api/token', other), 403, 'HOST_NOT_ALLOWED')).error.path,
    ).toBe('tokenEndpoint')
    const port2 = request({ tokenEndpoint: `https://localhost:${port + 1}/t/oauth2/v2.0/token` })
    await error(await postJson(a, '/api/token', port2), 403, 'HOST_NOT_ALLOWED')
  })

  it('HOST_NOT_ALLOWED when login.microsoftonline.com resolves to a private address', async () => {
    const { app: a } = testApp({}, { resolveHost: async () => ['169.254.169.254'] })
    const body = request({
      tokenEndpoint: 'https://login.microsoftonline.com/contoso/oauth2/v2.0/token',
    })
    await error(await postJson(a, '/api/token', body), 403, 'HOST_NOT_ALLOWED')
  })

  it.each([
    [
      'http URL',
      { tokenEndpoint: `http://localhost:${port}/t/oauth2/v2.0/token` },
      'tokenEndpoint',
    ],
    [
      'not a token path',
      { tokenEndpoint: 'https://localhost:1/t/oauth2/v2.0/authorize' },
      'tokenEndpoint',
    ],
    [
      'credentials in URL',
      { tokenEndpoint: 'https://u:p@localhost:1/t/oauth2/v2.0/token' },
      'tokenEndpoint',
    ],
    ['no scope', { scope: '' }, 'scope'],
    ['unknown grant', { grant: { type: 'password', username: 'u', password: 'p' } }, 'grant.type'],
    ['short verifier', { grant: { ...codeGrant, codeVerifier: 'short' } }, 'grant.codeVerifier'],
  ])('INVALID_REQUEST: %s', async (_what, over, path) => {
    const res = await postJson(app(), '/api/token', request(over))
    expect((await error(res, 400, 'INVALID_REQUEST')).error.path).toBe(path)
  })

  it('PAYLOAD_TOO_LARGE over 64 KiB', async () => {
    const res = await postJson(app(), '/api/token', request({ clientId: 'x'.repeat(70_000) }))
    await error(res, 413, 'PAYLOAD_TOO_LARGE')
  })

  it('RATE_LIMITED per client address with Retry-After', async () => {
    const a = app({ RELAY_RATE_LIMIT: '1' })
    await postJson(a, '/api/token', {})
    const res = await postJson(a, '/api/token', {})
    await error(res, 429, 'RATE_LIMITED')
    expect(res.headers.get('Retry-After')).toMatch(/^\d+$/)
  })
})
