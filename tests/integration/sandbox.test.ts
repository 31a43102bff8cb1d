/**
 * The sandbox tenant, in-process, driven over real HTTP and SMTP: every OAuth flow the product
 * uses against the Entra-shaped IdP (login form posts, PKCE, hybrid, implicit, refresh), each
 * failure switch and its AADSTS answer, and each user through the real SMTP engine with the
 * Microsoft 365 reply it must get.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalJWKSet, decodeJwt, importJWK, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMessage } from '../../relay/src/mime/index.ts'
import { startSandbox } from '../../relay/src/sandbox/index.ts'
import type { SandboxHandle } from '../../relay/src/sandbox/types.ts'
import { sendMail, SmtpError, type SendOptions } from '../../relay/src/smtp/index.ts'
import { Browserish, pkcePair, responseParams, signIn } from './sandbox-client.ts'

const PUBLIC = 'http://localhost:8787'
const SEND = 'https://outlook.office.com/SMTP.Send'
const SCOPE = `${SEND} openid profile offline_access`
const TARO = { upn: 'taro@sandbox.mailkey.test', password: 'Sandbox-Taro-2026' }
const HANAKO = { upn: 'hanako@sandbox.mailkey.test', password: 'Sandbox-Hanako-2026' }
const JIRO = { upn: 'jiro@sandbox.mailkey.test', password: 'Sandbox-Jiro-2026' }
const SHARED = 'shared@sandbox.mailkey.test'

let dataDir: string
let sandbox: SandboxHandle
let info: SandboxHandle['info'] & Record<string, unknown>

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mailkey-sandbox-'))
  sandbox = await startSandbox({ dataDir, publicOrigin: PUBLIC, idpPort: 0, smtpPort: 0 })
  info = sandbox.info as typeof info
})

afterAll(async () => {
  await sandbox?.close()
  await rm(dataDir, { recursive: true, force: true })
})

async function setSwitches(update: Record<string, boolean>): Promise<void> {
  const res = await sandbox.routes.request('/switches', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(update),
  })
  expect(res.status).toBe(200)
}

function authorizeUrl(params: Record<string, string>): string {
  return `${info.authorizeEndpoint}?${new URLSearchParams(params)}`
}

/** Web app, hybrid `code id_token` + PKCE + nonce, redeemed with the secret (token mode web-secret). */
async function webTokens(user: { upn: string; password: string }, scope = SCOPE) {
  const browser = new Browserish(sandbox.caPem)
  const { verifier, challenge } = pkcePair()
  const redirect = 'http://localhost:5173'
  const location = await signIn(
    browser,
    authorizeUrl({
      client_id: info.clientId,
      response_type: 'code id_token',
      response_mode: 'fragment',
      redirect_uri: redirect,
      scope,
      nonce: 'nonce-1',
      state: 'state-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
    user.upn,
    user.password
  )
  const params = responseParams(location)
  const form = {
    client_id: info.clientId,
    client_secret: info.clientSecret,
    grant_type: 'authorization_code',
    code: params.get('code') ?? '',
    code_verifier: verifier,
    redirect_uri: redirect,
    scope,
  }
  return { browser, location, params, form }
}

async function jwks(): Promise<JSONWebKeySet> {
  const b = new Browserish(sandbox.caPem)
  const discovery = (await b.request(`${info.authority}/v2.0/.well-known/openid-configuration`)).json()
  return (await b.request(String(discovery.jwks_uri))).json<JSONWebKeySet>()
}

describe('identity provider', () => {
  it('publishes Entra-shaped discovery at both paths', async () => {
    const b = new Browserish(sandbox.caPem)
    const v2 = await b.request(`${info.authority}/v2.0/.well-known/openid-configuration`)
    const plain = await b.request(`${info.authority}/.well-known/openid-configuration`)
    expect(v2.status).toBe(200)
    expect(plain.json()).toEqual(v2.json())
    const doc = v2.json()
    expect(doc.issuer).toBe(`${info.authority}/v2.0`)
    expect(doc.authorization_endpoint).toBe(info.authorizeEndpoint)
    expect(doc.token_endpoint).toBe(info.tokenEndpoint)
    expect(doc.jwks_uri).toBe(`${info.authority}/discovery/v2.0/keys`)
    expect(doc.end_session_endpoint).toBe(`${info.authority}/oauth2/v2.0/logout`)
    expect(info.authorizeEndpoint).toMatch(/^https:\/\/localhost:\d+\/[0-9a-f-]{36}\/oauth2\/v2\.0\/authorize$/)
  })

  it('SPA: code + PKCE from the page origin, JWT for Outlook, refresh with scope', async () => {
    const b = new Browserish(sandbox.caPem)
    const { verifier, challenge } = pkcePair()
    const redirect = `${PUBLIC}/redirect-bridge.html`
    const location = await signIn(
      b,
      authorizeUrl({
        client_id: String(info.spaClientId),
        response_type: 'code',
        redirect_uri: redirect,
        scope: SCOPE,
        state: 's',
        nonce: 'n',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        client_info: '1',
      }),
      TARO.upn,
      TARO.password
    )
    expect(location.startsWith(redirect)).toBe(true)
    const origin = { origin: PUBLIC }
    const answer = await b.request(info.tokenEndpoint, {
      headers: origin,
      form: {
        client_id: String(info.spaClientId),
        grant_type: 'authorization_code',
        code: responseParams(location).get('code') ?? '',
        code_verifier: verifier,
        redirect_uri: redirect,
        scope: SCOPE,
        client_info: '1',
      },
    })
    expect(answer.status).toBe(200)
    expect(answer.headers['access-control-allow-origin']).toBe(PUBLIC)
    const tokens = answer.json<Record<string, string | number>>()
    expect(tokens.refresh_token).toBeTypeOf('string')
    expect(JSON.parse(Buffer.from(String(tokens.client_info), 'base64url').toString())).toEqual({
      uid: '11111111-2222-4333-8444-555555555501',
      utid: info.tenantId,
    })
    const { payload, protectedHeader } = await jwtVerify(String(tokens.access_token), createLocalJWKSet(await jwks()), {
      issuer: `${info.authority}/v2.0`,
      audience: 'https://outlook.office.com',
    })
    expect(protectedHeader.alg).toBe('RS256')
    expect(payload).toMatchObject({ scp: 'SMTP.Send', upn: TARO.upn, tid: info.tenantId })
    expect(payload.oid).toBe('11111111-2222-4333-8444-555555555501')
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600)
    const id = decodeJwt(String(tokens.id_token))
    expect(id).toMatchObject({ name: '山田 太郎', preferred_username: TARO.upn, nonce: 'n', aud: info.spaClientId })

    const refreshed = await b.request(info.tokenEndpoint.replace('/v2.0/', '/V2.0/'), {
      headers: origin,
      form: {
        client_id: String(info.spaClientId),
        grant_type: 'refresh_token',
        refresh_token: String(tokens.refresh_token),
        scope: SCOPE,
      },
    })
    expect(refreshed.status).toBe(200)
    expect(decodeJwt(String(refreshed.json().access_token)).scp).toBe('SMTP.Send')

    // The same refresh without Origin is a server redeeming an SPA token (AADSTS9002327).
    const serverSide = await b.request(info.tokenEndpoint, {
      form: {
        client_id: String(info.spaClientId),
        grant_type: 'refresh_token',
        refresh_token: String(refreshed.json().refresh_token),
        scope: SCOPE,
      },
    })
    expect(serverSide.json().error_codes).toEqual([9002327])
  })

  it('Web app: hybrid code id_token on any localhost port, redeemed and refreshed with the secret', async () => {
    const { params, form, browser } = await webTokens(TARO)
    expect(params.get('state')).toBe('state-1')
    const idToken = decodeJwt(params.get('id_token') ?? '')
    expect(idToken).toMatchObject({ nonce: 'nonce-1', aud: info.clientId, tid: info.tenantId })
    expect(idToken.c_hash).toBeTypeOf('string')
    const answer = await browser.request(info.tokenEndpoint, { form })
    expect(answer.status).toBe(200)
    const tokens = answer.json<Record<string, string>>()
    expect(decodeJwt(String(tokens.access_token)).appid).toBe(info.clientId)
    const refreshed = await browser.request(info.tokenEndpoint, {
      form: {
        client_id: info.clientId,
        client_secret: info.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: String(tokens.refresh_token),
        scope: SCOPE,
      },
    })
    expect(refreshed.status).toBe(200)
    expect(refreshed.json().refresh_token).toBeTypeOf('string')
  })

  it('Web app: implicit id_token token', async () => {
    const b = new Browserish(sandbox.caPem)
    const location = await signIn(
      b,
      authorizeUrl({
        client_id: info.clientId,
        response_type: 'id_token token',
        redirect_uri: 'http://localhost:8080/',
        scope: `${SEND} openid profile`,
        nonce: 'n2',
        state: 's2',
      }),
      TARO.upn,
      TARO.password
    )
    const params = responseParams(location)
    expect(params.get('state')).toBe('s2')
    expect(decodeJwt(params.get('access_token') ?? '')).toMatchObject({ scp: 'SMTP.Send', upn: TARO.upn })
    expect(decodeJwt(params.get('id_token') ?? '').nonce).toBe('n2')
  })

  it('prompt=select_account shows the sign-in page; logout asks, then signs out', async () => {
    const b = new Browserish(sandbox.caPem)
    const params = { client_id: info.clientId, response_type: 'code', redirect_uri: 'http://localhost', scope: SCOPE }
    await signIn(b, authorizeUrl(params), TARO.upn, TARO.password)
    const again = await b.request(authorizeUrl({ ...params, prompt: 'select_account' }))
    expect(again.location).toContain('/login/')
    const logout = await b.request(`${info.authority}/oauth2/v2.0/logout?client_id=${info.clientId}&ui_locales=en`)
    expect(logout.text).toContain('Sign out?')
    const action = /action="([^"]+)"/.exec(logout.text)?.[1] ?? ''
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(logout.text)?.[1] ?? ''
    const done = await b.request(new URL(action, info.authority).href, { form: { xsrf, logout: 'yes' } })
    const success = await b.request(String(done.location))
    expect(success.text).toContain('サインアウトしました')
    // Signed out: the next authorize asks for credentials again.
    expect((await b.request(authorizeUrl(params))).location).toContain('/login/')
  })

  it('login page: Japanese by default, English on request, AADSTS lines for bad sign-ins', async () => {
    const b = new Browserish(sandbox.caPem)
    const url = authorizeUrl({ client_id: info.clientId, response_type: 'code', redirect_uri: 'http://localhost', scope: SCOPE })
    const first = await b.request(url)
    const page = await b.request(String(first.location))
    expect(page.text).toContain('サインイン')
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    const en = await b.request(`${first.location}?lang=en`)
    expect(en.text).toContain('Sign in')
    const wrong = await b.request(String(first.location), { form: { action: 'login', upn: TARO.upn, password: 'nope' } })
    expect(wrong.text).toContain('AADSTS50126')
    const blocked = await b.request(String(first.location), {
      form: { action: 'login', upn: SHARED, password: 'Sandbox-Shared-2026' },
    })
    expect(blocked.text).toContain('AADSTS50057')
  })
})

describe('failure switches and AADSTS answers', () => {
  it('7000222 secret expired, 7000215 secret ID, 7000218 no secret, 9002326 browser redeeming', async () => {
    const { browser, form } = await webTokens(TARO)
    await setSwitches({ webSecretExpired: true })
    const expired = await browser.request(info.tokenEndpoint, { form })
    await setSwitches({ webSecretExpired: false })
    expect(expired.status).toBe(401)
    const body = expired.json()
    expect(body).toMatchObject({ error: 'invalid_client', error_codes: [7000222] })
    expect(String(body.error_description)).toMatch(/^AADSTS7000222: /)
    for (const key of ['timestamp', 'trace_id', 'correlation_id']) expect(body[key]).toBeTypeOf('string')

    const secretId = await browser.request(info.tokenEndpoint, { form: { ...form, client_secret: String(info.clientSecretId) } })
    expect(secretId.json().error_codes).toEqual([7000215])
    const { client_secret: _omit, ...noSecret } = form
    expect((await browser.request(info.tokenEndpoint, { form: noSecret })).json().error_codes).toEqual([7000218])
    const cors = await browser.request(info.tokenEndpoint, { headers: { origin: PUBLIC }, form })
    expect(cors.json().error_codes).toEqual([9002326])
    expect(cors.headers['access-control-allow-origin']).toBe(PUBLIC)
    // None of the refusals used the code up (client checks come first, as in Entra).
    expect((await browser.request(info.tokenEndpoint, { form })).status).toBe(200)
    expect((await browser.request(info.tokenEndpoint, { form })).json().error_codes).toEqual([54005])
    const other = await webTokens(TARO)
    const pkce = await browser.request(info.tokenEndpoint, { form: { ...other.form, code_verifier: 'x'.repeat(43) } })
    expect(pkce.json().error_codes).toEqual([501481])
  })

  it('700051 / 700054 when the implicit boxes are unticked', async () => {
    const b = new Browserish(sandbox.caPem)
    const base = { client_id: info.clientId, redirect_uri: 'http://localhost:9000', scope: SCOPE, nonce: 'n', state: 'x' }
    await setSwitches({ implicitAccessTokensDisabled: true })
    const token = await b.request(authorizeUrl({ ...base, response_type: 'id_token token' }))
    await setSwitches({ implicitAccessTokensDisabled: false, implicitIdTokensDisabled: true })
    const hybrid = await b.request(authorizeUrl({ ...base, response_type: 'code id_token' }))
    await setSwitches({ implicitIdTokensDisabled: false })
    const p1 = responseParams(String(token.location))
    expect(p1.get('error')).toBe('unsupported_response_type')
    expect(p1.get('error_description')).toMatch(/^AADSTS700051: /)
    expect(p1.get('state')).toBe('x')
    expect(responseParams(String(hybrid.location)).get('error_description')).toMatch(/^AADSTS700054: /)
  })

  it('50011 redirect mismatch (SPA redirect missing, wrong Web path)', async () => {
    const b = new Browserish(sandbox.caPem)
    const json = { accept: 'application/json' }
    await setSwitches({ spaRedirectMissing: true })
    const spa = await b.request(
      authorizeUrl({ client_id: String(info.spaClientId), response_type: 'code', redirect_uri: `${PUBLIC}/redirect-bridge.html`, scope: SCOPE }),
      { headers: json }
    )
    await setSwitches({ spaRedirectMissing: false })
    expect(spa.status).toBe(400)
    expect(spa.json().error_codes).toEqual([50011])
    const web = await b.request(
      authorizeUrl({ client_id: info.clientId, response_type: 'code', redirect_uri: 'http://localhost:8787/callback', scope: SCOPE })
    )
    expect(web.text).toContain('AADSTS50011')
  })

  it('65001 when consent lacks SMTP.Send (switch, and the user without it)', async () => {
    await setSwitches({ consentMissing: true })
    const b = new Browserish(sandbox.caPem)
    const url = authorizeUrl({ client_id: info.clientId, response_type: 'code', redirect_uri: 'http://localhost', scope: SCOPE, state: 'c' })
    const location = await signIn(b, url, TARO.upn, TARO.password)
    await setSwitches({ consentMissing: false })
    const params = responseParams(location)
    expect(params.get('error')).toBe('consent_required')
    expect(params.get('error_description')).toMatch(/^AADSTS65001: /)
    const jiro = responseParams(await signIn(new Browserish(sandbox.caPem), url, JIRO.upn, JIRO.password))
    expect(jiro.get('error_description')).toMatch(/^AADSTS65001: /)

    // Consent withdrawn after sign-in: the refresh for SMTP.Send is refused the same way.
    const { browser, form } = await webTokens(TARO)
    const refreshToken = String((await browser.request(info.tokenEndpoint, { form })).json().refresh_token)
    await setSwitches({ consentMissing: true })
    const refused = await browser.request(info.tokenEndpoint, {
      form: { client_id: info.clientId, client_secret: info.clientSecret, grant_type: 'refresh_token', refresh_token: refreshToken, scope: SCOPE },
    })
    await setSwitches({ consentMissing: false })
    expect(refused.json()).toMatchObject({ error: 'invalid_grant', error_codes: [65001] })
  })
})

describe('SMTP server', () => {
  async function trySend(over: Partial<SendOptions> & { from?: string; user?: string; token?: string }) {
    const from = over.from ?? TARO.upn
    const built = await buildMessage({
      from: `山田 太郎 <${from}>`,
      to: ['admin@sandbox.mailkey.test'],
      subject: 'テストメール ✓',
      text: '本文です。',
      html: '<p>本文 <b>HTML</b></p>',
      attachments: [{ filename: '報告書.txt', contentType: 'text/plain', contentBase64: Buffer.from('報告').toString('base64') }],
    })
    return sendMail({
      host: sandbox.info.smtp.host,
      port: sandbox.info.smtp.port,
      security: 'starttls',
      connectAddress: '127.0.0.1',
      ca: sandbox.caPem,
      auth: { type: 'xoauth2', user: over.user ?? from, accessToken: over.token ?? '' },
      envelope: built.envelope,
      message: built.raw,
      eightBit: built.eightBit,
      ...over,
    })
  }

  async function failure(promise: Promise<unknown>): Promise<SmtpError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(SmtpError)
    return err as SmtpError
  }

  const replyText = (e: SmtpError) => `${e.reply?.code} ${e.reply?.enhanced ?? ''} ${e.reply?.lines.join(' ')}`

  it('taro: accepted, kept in the inbox with decoded fields and attachments', async () => {
    const { form, browser } = await webTokens(TARO)
    const token = String((await browser.request(info.tokenEndpoint, { form })).json().access_token)
    const result = await trySend({ token })
    expect(result.response).toMatch(/^250 2\.0\.0 OK </)
    expect(result.transcript.some((l) => /AUTH XOAUTH2/.test(l.line))).toBe(true)

    const list = (await (await sandbox.routes.request('/messages')).json()) as { messages: Record<string, unknown>[] }
    const message = list.messages[0] as Record<string, any>
    expect(message).toMatchObject({ subject: 'テストメール ✓', from: `山田 太郎 <${TARO.upn}>`, to: ['admin@sandbox.mailkey.test'] })
    expect(message.text.trim()).toBe('本文です。')
    expect(message.html).toContain('<b>HTML</b>')
    expect(message.attachments[0]).toMatchObject({ filename: '報告書.txt', contentType: 'text/plain' })
    const raw = await sandbox.routes.request(`/messages/${message.id}/raw`)
    expect(raw.headers.get('content-type')).toBe('message/rfc822')
    const attachment = await sandbox.routes.request(`/messages/${message.id}/attachments/0`)
    expect(await attachment.text()).toBe('報告')
    expect(attachment.headers.get('content-disposition')).toContain("filename*=UTF-8''%E5%A0%B1")
    const page = await (await sandbox.routes.request('/inbox')).text()
    expect(page).toContain('テストメール ✓')
    expect(page).toContain('&lt;p&gt;本文 &lt;b&gt;HTML&lt;/b&gt;&lt;/p&gt;')
    expect(page).not.toContain('<script')
    const files = await import('node:fs/promises').then((fs) => fs.readdir(join(dataDir, 'sandbox', 'inbox')))
    expect(files.some((f) => f.endsWith(`${message.id}.eml`))).toBe(true)

    // Sending as the shared mailbox without Send As: refused at the end of DATA.
    const denied = await failure(trySend({ token, from: SHARED, user: TARO.upn }))
    expect(replyText(denied)).toContain('554 5.2.252 SendAsDenied;')
    expect(denied.stage).toBe('data')
    // XOAUTH2 as the shared mailbox with taro's token: user= does not match.
    expect(replyText(await failure(trySend({ token, from: SHARED })))).toContain('535 5.7.3')
    // The whole tenant's SMTP AUTH off.
    await setSwitches({ tenantSmtpAuthDisabled: true })
    const tenant = await failure(trySend({ token }))
    await setSwitches({ tenantSmtpAuthDisabled: false })
    expect(replyText(tenant)).toContain('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant')
  })

  it('hanako: SMTP AUTH disabled for the mailbox gives 535 5.7.139', async () => {
    const { form, browser } = await webTokens(HANAKO)
    const token = String((await browser.request(info.tokenEndpoint, { form })).json().access_token)
    const err = await failure(trySend({ token, from: HANAKO.upn }))
    expect(replyText(err)).toContain(
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled'
    )
  })

  it('jiro: a token without SMTP.Send gives 535 5.7.3', async () => {
    const { form, browser } = await webTokens(JIRO, 'https://outlook.office.com/.default openid profile offline_access')
    const answer = (await browser.request(info.tokenEndpoint, { form })).json()
    expect(decodeJwt(String(answer.access_token)).scp).toBe('IMAP.AccessAsUser.All')
    expect(replyText(await failure(trySend({ token: String(answer.access_token), from: JIRO.upn })))).toContain(
      '535 5.7.3 Authentication unsuccessful'
    )
  })

  it('expired, foreign and wrong-audience tokens give 535 5.7.3; passwords 5.7.139; no AUTH 530 5.7.57', async () => {
    const jwk = JSON.parse(await readFile(join(dataDir, 'sandbox', 'signing-key.json'), 'utf8')) as Record<string, string>
    const key = await importJWK(jwk, 'RS256')
    const sign = (claims: Record<string, unknown>, exp: number) =>
      new SignJWT({ scp: 'SMTP.Send', upn: TARO.upn, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid ?? '' })
        .setIssuer(`${info.authority}/v2.0`)
        .setAudience(String(claims.aud ?? 'https://outlook.office.com'))
        .setIssuedAt(exp - 3600)
        .setExpirationTime(exp)
        .sign(key)
    const now = Math.floor(Date.now() / 1000)
    const expired = await sign({}, now - 60)
    const otherAudience = await sign({ aud: 'https://graph.microsoft.com' }, now + 600)
    for (const token of [expired, otherAudience, 'not-a-jwt']) {
      expect(replyText(await failure(trySend({ token })))).toContain('535 5.7.3 Authentication unsuccessful')
    }
    const basic = await failure(trySend({ auth: { type: 'login', user: TARO.upn, password: TARO.password } }))
    expect(replyText(basic)).toContain('535 5.7.139 Authentication unsuccessful, basic authentication is disabled.')
    const none = await failure(trySend({ auth: { type: 'none' } }))
    expect(replyText(none)).toContain('530 5.7.57 Client not authenticated to send mail')
  })
})

describe('sandbox routes', () => {
  it('switches: GET, PUT with validation', async () => {
    const get = (await (await sandbox.routes.request('/switches')).json()) as { switches: Record<string, boolean> }
    expect(get.switches.webSecretExpired).toBe(false)
    const bad = await sandbox.routes.request('/switches', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ unknownSwitch: true }),
    })
    expect(bad.status).toBe(400)
    const page = await (await sandbox.routes.request('/inbox?lang=en')).text()
    expect(page).toContain('Failure switches')
    expect(page).toContain('webSecretExpired')
    expect((await sandbox.routes.request('/ca.pem')).status).toBe(200)
  })
})
