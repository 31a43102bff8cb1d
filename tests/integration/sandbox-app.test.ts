/**
 * The sandbox's app-only path, in-process over real HTTPS and SMTP: the Web app's client
 * credentials grant with Entra's token shape and refusals, and the SMTP server accepting the
 * app token only for a mailbox where the service principal is registered and has FullAccess,
 * with the switches that undo either step, plus `smtpBusy`, `smtpDown` and `refreshTokenRevoked`.
 */
import { readFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { createLocalJWKSet, decodeJwt, importJWK, jwtVerify, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMessage } from '../../relay/src/mime/index.ts'
import { sendMail, SmtpError } from '../../relay/src/smtp/index.ts'
import { APP_SCOPE, HANAKO, SCOPE, startFixture, TARO, type Fixture, type Info } from './sandbox-fixture.ts'

const SERVICE_PRINCIPAL = '4f3e2d1c-0b9a-4887-a6f5-e4d3c2b1a090'

let fx: Fixture
let info: Info

beforeAll(async () => {
  fx = await startFixture()
  info = fx.info
})

afterAll(async () => {
  await fx?.close()
})

async function appAccessToken(): Promise<string> {
  const { status, json } = await fx.appToken()
  expect(status).toBe(200)
  return String(json.access_token)
}

async function send(user: string, accessToken: string, from = user) {
  const built = await buildMessage({ from, to: ['admin@sandbox.mailkey.test'], subject: 'アプリのみ', text: '本文' })
  return sendMail({
    host: info.smtp.host,
    port: info.smtp.port,
    security: 'starttls',
    connectAddress: '127.0.0.1',
    ca: fx.sandbox.caPem,
    auth: { type: 'xoauth2', user, accessToken },
    envelope: built.envelope,
    message: built.raw,
    eightBit: built.eightBit,
  })
}

async function refusal(promise: Promise<unknown>): Promise<SmtpError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(SmtpError)
  return err as SmtpError
}

const replyLine = (e: SmtpError) => `${e.reply?.code} ${e.reply?.enhanced ?? ''} ${e.reply?.lines.join(' ')}`

describe('client credentials (the Web app, app-only)', () => {
  it('gives a JWT for Exchange Online with roles SMTP.SendAsApp, the service principal as oid, no scp', async () => {
    const { status, json } = await fx.appToken()
    expect(status).toBe(200)
    // Entra's answer: no refresh token, no scope, no ID token.
    expect(Object.keys(json).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'token_type'])
    expect(json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600 })
    const { payload } = await jwtVerify(String(json.access_token), createLocalJWKSet(await fx.jwks()), {
      issuer: `${info.authority}/v2.0`,
      audience: 'https://outlook.office365.com',
    })
    expect(payload).toMatchObject({
      roles: ['SMTP.SendAsApp'],
      oid: SERVICE_PRINCIPAL,
      sub: SERVICE_PRINCIPAL,
      tid: info.tenantId,
      appid: info.clientId,
      idtyp: 'app',
      ver: '1.0',
    })
    for (const claim of ['scp', 'scope', 'upn', 'client_id']) expect(payload).not.toHaveProperty(claim)
    // The service principal is not the app registration (the Object ID mix-up of New-ServicePrincipal).
    const appOnly = info.appOnly as Record<string, unknown>
    expect(appOnly).toMatchObject({
      scope: APP_SCOPE,
      role: 'SMTP.SendAsApp',
      servicePrincipalObjectId: SERVICE_PRINCIPAL,
      fullAccessMailboxes: [TARO.upn],
      allowPublicClientFlows: true,
    })
    expect(appOnly.appObjectId).not.toBe(SERVICE_PRINCIPAL)
    expect(appOnly.appObjectId).not.toBe(info.clientId)
  })

  it('names the audience it was asked for: the office.com identifier URI works too', async () => {
    const { json } = await fx.appToken({ scope: 'https://outlook.office.com/.default' })
    expect(decodeJwt(String(json.access_token)).aud).toBe('https://outlook.office.com')
  })

  it('refuses as Entra: 1002012, 70011, 500011, 900144, 7000215, 7000218, 7000222', async () => {
    const code = async (form: Record<string, string>) => {
      const { status, json } = await fx.appToken(form)
      expect(String(json.error_description)).toMatch(/^AADSTS\d+: /)
      return [status, json.error, (json.error_codes as number[])[0]]
    }
    expect(await code({ scope: 'https://outlook.office.com/SMTP.Send' })).toEqual([400, 'invalid_scope', 1002012])
    expect(await code({ scope: 'https://outlook.office365.com/SMTP.SendAsApp' })).toEqual([400, 'invalid_scope', 1002012])
    expect(await code({ scope: `${APP_SCOPE} offline_access` })).toEqual([400, 'invalid_scope', 70011])
    expect(await code({ scope: 'https://graph.example.test/.default' })).toEqual([400, 'invalid_resource', 500011])
    expect(await code({ scope: '' })).toEqual([400, 'invalid_request', 900144])
    expect(await code({ client_secret: String(info.clientSecretId) })).toEqual([401, 'invalid_client', 7000215])
    expect(await code({ client_secret: '' })).toEqual([401, 'invalid_client', 7000218])
    await fx.setSwitches({ webSecretExpired: true })
    const expired = await code({})
    await fx.setSwitches({ webSecretExpired: false })
    expect(expired).toEqual([401, 'invalid_client', 7000222])
  })
})

describe('SMTP with an app token: New-ServicePrincipal and Add-MailboxPermission', () => {
  it('taro (FullAccess granted): 235 and 250, the mailbox is the XOAUTH2 user', async () => {
    const result = await send(TARO.upn, await appAccessToken())
    expect(result.response).toMatch(/^250 2\.0\.0 OK </)
    const list = (await (await fx.sandbox.routes.request('/messages')).json()) as { messages: { subject: string; envelope: { user: string } }[] }
    expect(list.messages[0]).toMatchObject({ subject: 'アプリのみ', envelope: { user: TARO.upn } })
  })

  it('a mailbox without FullAccess, or Send As another address, is refused as Exchange does', async () => {
    const token = await appAccessToken()
    expect(replyLine(await refusal(send(HANAKO.upn, token)))).toBe('535 5.7.3 Authentication unsuccessful')
    expect(replyLine(await refusal(send('nobody@sandbox.mailkey.test', token)))).toBe('535 5.7.3 Authentication unsuccessful')
    const sendAs = await refusal(send(TARO.upn, token, 'shared@sandbox.mailkey.test'))
    expect(replyLine(sendAs)).toContain('554 5.2.252 SendAsDenied;')
  })

  it('servicePrincipalMissing and mailboxPermissionMissing give 535 5.7.3; delegated tokens still work', async () => {
    const token = await appAccessToken()
    const { form, browser } = await fx.webTokens(TARO)
    const delegated = String((await browser.request(info.tokenEndpoint, { form })).json().access_token)
    for (const name of ['servicePrincipalMissing', 'mailboxPermissionMissing']) {
      await fx.setSwitches({ [name]: true })
      const refused = await send(TARO.upn, token).then(
        () => undefined,
        (e: unknown) => e
      )
      const asUser = await send(TARO.upn, delegated)
      await fx.setSwitches({ [name]: false })
      expect(refused).toBeInstanceOf(SmtpError)
      expect(replyLine(refused as SmtpError)).toBe('535 5.7.3 Authentication unsuccessful')
      expect(asUser.response).toMatch(/^250 /)
    }
    expect((await send(TARO.upn, token)).response).toMatch(/^250 /)
  })

  it('an app token naming another object ID (the App registration one) or lacking the role gives 535 5.7.3', async () => {
    const jwk = JSON.parse(await readFile(join(fx.dataDir, 'sandbox', 'signing-key.json'), 'utf8')) as Record<string, string>
    const key = await importJWK(jwk, 'RS256')
    const now = Math.floor(Date.now() / 1000)
    const forge = (claims: Record<string, unknown>) =>
      new SignJWT({ appid: info.clientId, idtyp: 'app', roles: ['SMTP.SendAsApp'], oid: SERVICE_PRINCIPAL, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid ?? '' })
        .setIssuer(`${info.authority}/v2.0`)
        .setAudience('https://outlook.office365.com')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(key)
    // The same signing path as the IdP's, so the control token must pass.
    expect((await send(TARO.upn, await forge({}))).response).toMatch(/^250 /)
    const appObjectId = String((info.appOnly as Record<string, unknown>).appObjectId)
    for (const token of [await forge({ oid: appObjectId }), await forge({ roles: ['Mail.Send'] })]) {
      expect(replyLine(await refusal(send(TARO.upn, token)))).toBe('535 5.7.3 Authentication unsuccessful')
    }
  })
})

describe('transient SMTP failures', () => {
  it('smtpBusy: 451 4.7.500 Server busy at MAIL FROM', async () => {
    const token = await appAccessToken()
    await fx.setSwitches({ smtpBusy: true })
    const busy = await send(TARO.upn, token).then(
      () => undefined,
      (e: unknown) => e
    )
    await fx.setSwitches({ smtpBusy: false })
    expect(busy).toBeInstanceOf(SmtpError)
    expect(replyLine(busy as SmtpError)).toBe('451 4.7.500 Server busy. Please try again later.')
    expect((busy as SmtpError).stage).toBe('mail')
    expect((await send(TARO.upn, token)).response).toMatch(/^250 /)
  })

  it('smtpDown: the listener is closed (ECONNREFUSED), open sessions get 421, and it opens again on the same port', async () => {
    const tryConnect = () =>
      new Promise<string>((resolve) => {
        const socket: Socket = connect(info.smtp.port, '127.0.0.1')
        socket.once('data', (d) => {
          socket.destroy()
          resolve(d.toString('utf8').slice(0, 3))
        })
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
      })
    // A session open before: told 421 and closed, not left working on.
    const open: Socket = connect(info.smtp.port, '127.0.0.1')
    const lines: string[] = []
    const ended = new Promise<void>((resolve) => open.once('close', () => resolve()))
    await new Promise<void>((resolve) =>
      open.on('data', (d) => {
        lines.push(d.toString('utf8'))
        resolve()
      })
    )
    await fx.setSwitches({ smtpDown: true })
    const down = await tryConnect()
    await ended
    await fx.setSwitches({ smtpDown: false })
    expect(down).toBe('ECONNREFUSED')
    expect(lines[0]).toMatch(/^220 /)
    expect(lines.join('')).toContain('421 4.3.2 Service not active')
    expect(await tryConnect()).toBe('220')
    expect((await send(TARO.upn, await appAccessToken())).response).toMatch(/^250 /)
  })
})

describe('refreshTokenRevoked', () => {
  it('refuses the refresh tokens valid when it was turned on with AADSTS70043; a new sign-in refreshes', async () => {
    const refresh = (refreshToken: string) =>
      fx.webTokens(TARO).then(({ browser }) =>
        browser.request(info.tokenEndpoint, {
          form: {
            client_id: info.clientId,
            client_secret: info.clientSecret,
            grant_type: 'refresh_token',
            refresh_token: refreshToken,
            scope: SCOPE,
          },
        })
      )
    const first = await fx.webTokens(TARO)
    const old = String((await first.browser.request(info.tokenEndpoint, { form: first.form })).json().refresh_token)
    await fx.setSwitches({ refreshTokenRevoked: true })
    const refused = await refresh(old)
    // Asked again (a retry): the same answer, the token was not used up by the refusal.
    const again = await refresh(old)
    const second = await fx.webTokens(TARO)
    const fresh = String((await second.browser.request(info.tokenEndpoint, { form: second.form })).json().refresh_token)
    const renewed = await refresh(fresh)
    await fx.setSwitches({ refreshTokenRevoked: false })
    expect(refused.status).toBe(400)
    expect(refused.json()).toMatchObject({ error: 'invalid_grant', error_codes: [70043] })
    expect(String(refused.json().error_description)).toMatch(
      /^AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access\./
    )
    expect(again.json().error_codes).toEqual([70043])
    expect(renewed.status).toBe(200)
    expect(decodeJwt(String(renewed.json().access_token)).scp).toBe('SMTP.Send')
    // Off again: the old token works (the sandbox forgets; Entra would not).
    expect((await refresh(old)).status).toBe(200)
  })
})
