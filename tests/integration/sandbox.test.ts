/**
 * The sandbox IdP, in-process, driven over real HTTPS: every OAuth flow the product uses
 * against the Entra-shaped IdP (login form posts, PKCE, hybrid, implicit, refresh, logout) and
 * each failure switch with its AADSTS answer.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browserish, pkcePair, responseParams, signIn } from './sandbox-client.ts'
import { JIRO, PUBLIC, SCOPE, SEND, SHARED, startFixture, TARO, type Fixture, type Info } from './sandbox-fixture.ts'

let fx: Fixture
let sandbox: Fixture['sandbox']
let info: Info

beforeAll(async () => {
  fx = await startFixture()
  ;({ sandbox, info } = fx)
})

afterAll(async () => {
  await fx?.close()
})

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
      fx.authorizeUrl({
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
    const { payload, protectedHeader } = await jwtVerify(String(tokens.access_token), createLocalJWKSet(await fx.jwks()), {
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
    const { params, form, browser } = await fx.webTokens(TARO)
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
      fx.authorizeUrl({
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
    await signIn(b, fx.authorizeUrl(params), TARO.upn, TARO.password)
    const again = await b.request(fx.authorizeUrl({ ...params, prompt: 'select_account' }))
    expect(again.location).toContain('/login/')
    const logout = await b.request(`${info.authority}/oauth2/v2.0/logout?client_id=${info.clientId}&ui_locales=en`)
    expect(logout.text).toContain('Sign out?')
    const action = /action="([^"]+)"/.exec(logout.text)?.[1] ?? ''
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(logout.text)?.[1] ?? ''
    const done = await b.request(new URL(action, info.authority).href, { form: { xsrf, logout: 'yes' } })
    const success = await b.request(String(done.location))
    expect(success.text).toContain('サインアウトしました')
    // Signed out: the next authorize asks for credentials again.
    expect((await b.request(fx.authorizeUrl(params))).location).toContain('/login/')
  })

  it('prompt=consent shows the consent page; accept gives a code, cancel gives AADSTS65004', async () => {
    const params = { client_id: info.clientId, response_type: 'code', redirect_uri: 'http://localhost', scope: SCOPE, prompt: 'consent', ui_locales: 'en' }
    for (const [choice, expected] of [['consent', 'code'], ['cancel', 'error']] as const) {
      const b = new Browserish(sandbox.caPem)
      const first = await b.request(fx.authorizeUrl(params))
      const login = String(first.location)
      let answer = await b.request(login, { form: { action: 'login', upn: TARO.upn, password: TARO.password } })
      for (let hop = 0; answer.location && hop < 5; hop++) answer = await b.request(answer.location)
      expect(answer.text).toContain('Permissions requested')
      expect(answer.text).toContain(SEND)
      const action = /<form method="post" action="([^"]+)"/.exec(answer.text)?.[1] ?? ''
      answer = await b.request(new URL(action, info.authority).href, { form: { action: choice } })
      for (let hop = 0; answer.location?.startsWith('https:') && hop < 5; hop++) answer = await b.request(answer.location)
      const result = responseParams(String(answer.location))
      expect(result.has(expected)).toBe(true)
      if (expected === 'error') expect(result.get('error_description')).toMatch(/^AADSTS65004: /)
    }
  })

  it('login page: Japanese by default, English on request, AADSTS lines for bad sign-ins', async () => {
    const b = new Browserish(sandbox.caPem)
    const url = fx.authorizeUrl({ client_id: info.clientId, response_type: 'code', redirect_uri: 'http://localhost', scope: SCOPE })
    const first = await b.request(url)
    // Entra's cookies work in iframes and popups: SameSite=None; Secure.
    // (oidc-provider adds `.legacy` twins without SameSite for browsers that reject None.)
    const cookies = ([] as string[]).concat(first.headers['set-cookie'] ?? []).filter((c) => !/^[^=]*\.legacy/.test(c))
    expect(cookies.length).toBeGreaterThan(0)
    for (const cookie of cookies) expect(cookie).toMatch(/samesite=none/i)
    for (const cookie of cookies) expect(cookie).toMatch(/;\s*secure/i)
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
    const unknown = await b.request(String(first.location), { form: { action: 'login', upn: 'nobody@sandbox.mailkey.test', password: 'x' } })
    expect(unknown.text).toContain('AADSTS50034')
  })
})

describe('failure switches and AADSTS answers', () => {
  it('7000222 secret expired, 7000215 secret ID, 7000218 no secret, 9002326 browser redeeming', async () => {
    const { browser, form } = await fx.webTokens(TARO)
    await fx.setSwitches({ webSecretExpired: true })
    const expired = await browser.request(info.tokenEndpoint, { form })
    await fx.setSwitches({ webSecretExpired: false })
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
    const other = await fx.webTokens(TARO)
    const pkce = await browser.request(info.tokenEndpoint, { form: { ...other.form, code_verifier: 'x'.repeat(43) } })
    expect(pkce.json().error_codes).toEqual([501481])
  })

  it('an unknown sign-in session: Japanese first, then English, without internals', async () => {
    const gone = await new Browserish(sandbox.caPem).request(`${info.authority}/login/no-such-session`)
    expect(gone.status).toBe(400)
    const [ja, en] = gone.text.split('\n')
    expect(ja).toMatch(/^サインインのセッションが見つからないか、期限が切れています \(\w+\)。/)
    expect(en).toMatch(/^Sign-in session not found or expired \(\w+\)\. Start again from the app\.$/)
    expect(gone.text).not.toMatch(/\sat |node_modules|\.ts:/)
  })

  it('50194 at /common, 90002 for an unknown tenant; the tenant domain works like its ID', async () => {
    const { browser, form } = await fx.webTokens(TARO)
    const at = (tenant: string, path: string) => info.tokenEndpoint.replace(`/${info.tenantId}/`, `/${tenant}/`).replace(/token$/, path)
    const common = await browser.request(at('common', 'token'), { form })
    expect(common.status).toBe(400)
    expect(common.json()).toMatchObject({ error: 'invalid_request', error_codes: [50194] })
    expect(String(common.json().error_description)).toMatch(
      new RegExp(`^AADSTS50194: Application '${info.clientId}'\\(mailkey sandbox \\(Web\\)\\) is not configured as a multi-tenant application`)
    )
    const unknown = await browser.request(at('00000000-0000-4000-8000-000000000000', 'token'), {
      headers: { origin: PUBLIC },
      form,
    })
    expect(unknown.json().error_codes).toEqual([90002])
    // The page, redeeming as an SPA, can read the error.
    expect(unknown.headers['access-control-allow-origin']).toBe(PUBLIC)
    const page = await browser.request(`${at('organizations', 'authorize')}?client_id=${info.clientId}&response_type=code`)
    expect(page.status).toBe(400)
    expect(page.text).toContain('AADSTS50194')
    // None of those used the code; the domain spelling of the tenant redeems it.
    const viaDomain = await browser.request(at('sandbox.mailkey.test', 'token'), { form })
    expect(viaDomain.status).toBe(200)
  })

  it('700051 / 700054 when the implicit boxes are unticked (after sign-in, as Entra)', async () => {
    const b = new Browserish(sandbox.caPem)
    const base = { client_id: info.clientId, redirect_uri: 'http://localhost:9000', scope: SCOPE, nonce: 'n', state: 'x' }
    await fx.setSwitches({ implicitAccessTokensDisabled: true })
    const first = await b.request(fx.authorizeUrl({ ...base, response_type: 'id_token token' }))
    expect(first.location).toContain('/login/')
    const token = await signIn(b, fx.authorizeUrl({ ...base, response_type: 'id_token token' }), TARO.upn, TARO.password)
    await fx.setSwitches({ implicitAccessTokensDisabled: false, implicitIdTokensDisabled: true })
    // Signed in already: the answer comes at once.
    const hybrid = await b.request(fx.authorizeUrl({ ...base, response_type: 'code id_token' }))
    await fx.setSwitches({ implicitIdTokensDisabled: false })
    const p1 = responseParams(token)
    expect(p1.get('error')).toBe('unsupported_response_type')
    expect(p1.get('error_description')).toMatch(/^AADSTS700051: /)
    expect(p1.get('state')).toBe('x')
    expect(responseParams(String(hybrid.location)).get('error_description')).toMatch(/^AADSTS700054: /)
  })

  it('50011 redirect mismatch (SPA redirect missing, wrong Web path)', async () => {
    const b = new Browserish(sandbox.caPem)
    const json = { accept: 'application/json' }
    await fx.setSwitches({ spaRedirectMissing: true })
    const spa = await b.request(
      fx.authorizeUrl({ client_id: String(info.spaClientId), response_type: 'code', redirect_uri: `${PUBLIC}/redirect-bridge.html`, scope: SCOPE }),
      { headers: json }
    )
    await fx.setSwitches({ spaRedirectMissing: false })
    expect(spa.status).toBe(400)
    expect(spa.json().error_codes).toEqual([50011])
    const web = await b.request(
      fx.authorizeUrl({ client_id: info.clientId, response_type: 'code', redirect_uri: 'http://localhost:8787/callback', scope: SCOPE })
    )
    expect(web.text).toContain('AADSTS50011')
  })

  it('65001 when consent lacks SMTP.Send (switch, and the user without it)', async () => {
    await fx.setSwitches({ consentMissing: true })
    const b = new Browserish(sandbox.caPem)
    const url = fx.authorizeUrl({ client_id: info.clientId, response_type: 'code', redirect_uri: 'http://localhost', scope: SCOPE, state: 'c' })
    const location = await signIn(b, url, TARO.upn, TARO.password)
    await fx.setSwitches({ consentMissing: false })
    const params = responseParams(location)
    expect(params.get('error')).toBe('consent_required')
    expect(params.get('error_description')).toMatch(/^AADSTS65001: /)
    const jiro = responseParams(await signIn(new Browserish(sandbox.caPem), url, JIRO.upn, JIRO.password))
    expect(jiro.get('error_description')).toMatch(/^AADSTS65001: /)

    // Consent withdrawn after sign-in: the refresh for SMTP.Send is refused the same way.
    const { browser, form } = await fx.webTokens(TARO)
    const refreshToken = String((await browser.request(info.tokenEndpoint, { form })).json().refresh_token)
    await fx.setSwitches({ consentMissing: true })
    const refused = await browser.request(info.tokenEndpoint, {
      form: { client_id: info.clientId, client_secret: info.clientSecret, grant_type: 'refresh_token', refresh_token: refreshToken, scope: SCOPE },
    })
    await fx.setSwitches({ consentMissing: false })
    expect(refused.json()).toMatchObject({ error: 'invalid_grant', error_codes: [65001] })
  })
})

