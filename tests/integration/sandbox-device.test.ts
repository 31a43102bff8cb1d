/**
 * The Web app's device code flow against the sandbox IdP, in-process over real HTTPS: the
 * `/devicecode` answer in Entra's shape, the verification page (ja/en) where a sandbox user
 * enters the code and signs in, and the token endpoint's polling answers (70016 pending,
 * slow_down, 70020 expired, authorization_declined) before the tokens and refresh token.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Browserish, type HttpAnswer, verifyDeviceCode } from './sandbox-client.ts'
import { JIRO, SCOPE, startFixture, TARO, type Fixture, type Info } from './sandbox-fixture.ts'

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

interface DeviceCode {
  device_code: string
  user_code: string
  verification_uri: string
  expires_in: number
  interval: number
  message: string
}

let fx: Fixture
let info: Info

beforeAll(async () => {
  fx = await startFixture()
  info = fx.info
})

afterAll(async () => {
  await fx?.close()
})

function start(f: Fixture, form: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Browserish(f.sandbox.caPem).request(String(f.info.deviceCodeEndpoint), {
    form: { client_id: f.info.clientId, scope: SCOPE, ...form },
  })
}

async function deviceCode(f: Fixture = fx, form: Record<string, string> = {}): Promise<DeviceCode> {
  const answer = await start(f, form)
  expect(answer.status).toBe(200)
  return answer.json<DeviceCode>()
}

function poll(f: Fixture, code: DeviceCode, form: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Browserish(f.sandbox.caPem).request(f.info.tokenEndpoint, {
    form: { client_id: f.info.clientId, grant_type: DEVICE_GRANT, device_code: code.device_code, ...form },
  })
}

const formValue = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? ''
const formAction = (html: string) => (/<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '').replace(/&amp;/g, '&')

const verify = (code: DeviceCode, choice: 'confirm' | 'abort', user: { upn: string; password: string } = TARO, lang?: 'en') =>
  verifyDeviceCode(fx.sandbox.caPem, { userCode: code.user_code, verificationUri: code.verification_uri }, choice, user, lang)

describe('device code flow (Web app, "Allow public client flows")', () => {
  it('answers /devicecode as Entra: user_code, device_code, verification_uri, expires_in, interval, message', async () => {
    const code = await deviceCode()
    expect(Object.keys(code).sort()).toEqual(['device_code', 'expires_in', 'interval', 'message', 'user_code', 'verification_uri'])
    expect(code.user_code).toMatch(/^[A-Z]{9}$/)
    expect(code.verification_uri).toBe(info.deviceLoginUri)
    expect(code).toMatchObject({ expires_in: 900, interval: 5 })
    expect(code.message).toBe(
      `To sign in, use a web browser to open the page ${code.verification_uri} and enter the code ${code.user_code} to authenticate.`
    )
    // With the secret, as a confidential client sends it: accepted too.
    expect((await start(fx, { client_secret: info.clientSecret })).status).toBe(200)
    // The seed's spelling of the path, and the tenant's domain in place of its ID.
    const seed = String(info.deviceCodeEndpoint).replace('/v2.0/', '/V2.0/').replace(info.tenantId, 'sandbox.mailkey.test')
    expect((await new Browserish(fx.sandbox.caPem).request(seed, { form: { client_id: info.clientId, scope: SCOPE } })).status).toBe(200)
  })

  it('pending (70016), slow_down when polled faster than the interval, then tokens and a refresh token', async () => {
    const code = await deviceCode()
    const pending = await poll(fx, code)
    expect(pending.status).toBe(400)
    expect(pending.json()).toMatchObject({ error: 'authorization_pending', error_codes: [70016] })
    expect(String(pending.json().error_description)).toMatch(/^AADSTS70016: OAuth 2\.0 device flow error\. Authorization is pending\./)
    const early = await poll(fx, code)
    expect(early.json()).toMatchObject({ error: 'slow_down' })

    const done = await verify(code, 'confirm')
    expect(done.text).toContain('サインインしました')
    expect(done.text).toContain('Signed in')

    const tokens = await poll(fx, code)
    expect(tokens.status).toBe(200)
    const body = tokens.json<Record<string, unknown>>()
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 })
    expect(body.refresh_token).toBeTypeOf('string')
    expect(decodeJwt(String(body.access_token))).toMatchObject({
      aud: 'https://outlook.office.com',
      scp: 'SMTP.Send',
      upn: TARO.upn,
      appid: info.clientId,
    })
    expect(decodeJwt(String(body.id_token))).toMatchObject({ preferred_username: TARO.upn, tid: info.tenantId })
    expect(JSON.parse(Buffer.from(String(body.client_info), 'base64url').toString())).toMatchObject({ utid: info.tenantId })

    // The code is spent; the refresh token renews with the secret, as the relay keeps it.
    expect((await poll(fx, code)).json()).toMatchObject({ error: 'invalid_grant', error_codes: [70000] })
    const refreshed = await new Browserish(fx.sandbox.caPem).request(info.tokenEndpoint, {
      form: {
        client_id: info.clientId,
        client_secret: info.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: String(body.refresh_token),
        scope: SCOPE,
      },
    })
    expect(refreshed.status).toBe(200)
    expect(decodeJwt(String(refreshed.json().access_token)).upn).toBe(TARO.upn)
  })

  it('polls with the secret work the same (a confidential client)', async () => {
    const code = await deviceCode(fx, { client_secret: info.clientSecret })
    expect((await poll(fx, code, { client_secret: info.clientSecret })).json().error).toBe('authorization_pending')
    await verify(code, 'confirm')
    expect((await poll(fx, code, { client_secret: info.clientSecret })).status).toBe(200)
    // A wrong secret is still a wrong secret.
    const other = await deviceCode()
    expect((await poll(fx, other, { client_secret: String(info.clientSecretId) })).json().error_codes).toEqual([7000215])
  })

  it('Cancel on the verification page: authorization_declined', async () => {
    const code = await deviceCode()
    const cancelled = await verify(code, 'abort')
    expect(cancelled.text).toContain('サインインを取り消しました')
    const declined = await poll(fx, code)
    expect(declined.status).toBe(400)
    expect(declined.json()).toMatchObject({ error: 'authorization_declined' })
    expect(String(declined.json().error_description)).toMatch(/^AADSTS\d+: /)
  })

  it('a user without SMTP.Send consent: the poll answers AADSTS65001', async () => {
    const code = await deviceCode()
    await verify(code, 'confirm', JIRO)
    const refused = await poll(fx, code)
    expect(refused.status).toBe(400)
    expect(refused.json().error_codes).toEqual([65001])
  })

  it('the verification page: Japanese first, English on request, a wrong code said so', async () => {
    const b = new Browserish(fx.sandbox.caPem)
    const ja = await b.request(String(info.deviceLoginUri))
    expect(ja.status).toBe(200)
    expect(ja.text).toContain('<html lang="ja">')
    expect(ja.text).toContain('コードの入力')
    expect(ja.headers['content-security-policy']).toContain("default-src 'none'")
    expect(ja.text).not.toMatch(/<script|fonts\.googleapis/)
    const en = await b.request(`${info.deviceLoginUri}?lang=en`)
    expect(en.text).toContain('Enter code')
    const wrong = await b.request(new URL(formAction(en.text), String(info.deviceLoginUri)).href, {
      form: { xsrf: formValue(en.text, 'xsrf'), user_code: 'BCDFGHJKL' },
    })
    expect(wrong.text).toContain("That code didn't work.")
    // The sign-in page after an English verification page is English too.
    const code = await deviceCode()
    const signedIn = await verify(code, 'confirm', TARO, 'en')
    expect(signedIn.text).toContain('Signed in')
  })

  it('refuses an unknown scope (70011) and /common (50194) as the authorize endpoint does', async () => {
    const bad = await start(fx, { scope: 'https://outlook.office.com/Nope.Send offline_access' })
    expect(bad.status).toBe(400)
    expect(bad.json()).toMatchObject({ error: 'invalid_scope', error_codes: [70011] })
    expect(String(bad.json().error_description)).toContain('https://outlook.office.com/Nope.Send')
    const common = await new Browserish(fx.sandbox.caPem).request(
      String(info.deviceCodeEndpoint).replace(info.tenantId, 'common'),
      { form: { client_id: info.clientId, scope: SCOPE } }
    )
    expect(common.json().error_codes).toEqual([50194])
  })

  it('a code not used in time: expired_token (AADSTS70020)', async () => {
    const short = await startFixture({ deviceCodeTtl: 1 })
    try {
      const code = await deviceCode(short)
      expect(code.expires_in).toBe(1)
      // Past the code's lifetime (whole seconds), by the clock the IdP checks.
      await new Promise((resolve) => setTimeout(resolve, 2100))
      const expired = await poll(short, code)
      expect(expired.status).toBe(400)
      expect(expired.json()).toMatchObject({ error: 'expired_token', error_codes: [70020] })
    } finally {
      await short.close()
    }
  })
})
