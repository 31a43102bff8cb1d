/**
 * The sandbox through the real relay process (`RELAY_SANDBOX=1`, as `npm start` runs it):
 * `/api/config` reports it, the Web app's hybrid sign-in is redeemed through `POST /api/token`,
 * each user's send through `POST /api/send` gets its Microsoft 365 answer, and the failure
 * switches reach the page as the relay's errors with their AADSTS code.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RelayProcess } from '../helpers/relay-process.ts'
import { Browserish, pkcePair, responseParams, signIn } from './sandbox-client.ts'
import { startSandboxRelay } from './sandbox-fixture.ts'

type Json = Record<string, any>

const SCOPE = 'https://outlook.office.com/SMTP.Send openid profile offline_access'
const USERS = {
  taro: { upn: 'taro@sandbox.mailkey.test', password: 'Sandbox-Taro-2026' },
  hanako: { upn: 'hanako@sandbox.mailkey.test', password: 'Sandbox-Hanako-2026' },
  jiro: { upn: 'jiro@sandbox.mailkey.test', password: 'Sandbox-Jiro-2026' },
}

let relay: RelayProcess
let dataDir: string
let sandbox: Json
let caPem: string

async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${relay.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  return { status: res.status, json: (await res.json()) as Json }
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mailkey-sandbox-relay-'))
  relay = await startSandboxRelay(dataDir)
  sandbox = (await api('/api/config')).json.sandbox as Json
  caPem = await (await fetch(`${relay.url}/api/sandbox/ca.pem`)).text()
})

afterAll(async () => {
  await relay?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

/** Hybrid sign-in in "the page" (popup), code redeemed by the relay: token mode web-secret. */
async function signInWebSecret(user: { upn: string; password: string }, scope = SCOPE) {
  const { verifier, challenge } = pkcePair()
  const redirectUri = `http://localhost:${new URL(relay.url).port}/`
  const location = await signIn(
    new Browserish(caPem),
    `${sandbox.authorizeEndpoint}?${new URLSearchParams({
      client_id: sandbox.clientId,
      response_type: 'code id_token',
      response_mode: 'fragment',
      redirect_uri: redirectUri,
      scope,
      nonce: 'n',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`,
    user.upn,
    user.password
  )
  expect(location.startsWith(redirectUri)).toBe(true)
  return {
    tokenEndpoint: sandbox.tokenEndpoint,
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    scope,
    grant: { type: 'authorization_code', code: responseParams(location).get('code'), codeVerifier: verifier, redirectUri },
  }
}

function sendBody(user: string, accessToken: string, from = user) {
  return {
    smtp: sandbox.smtp,
    auth: { type: 'xoauth2', user, accessToken },
    message: { from, to: ['admin@sandbox.mailkey.test'], subject: `relay → sandbox (${user})`, text: '本文' },
  }
}

describe('sandbox through the relay process', () => {
  it('/api/config reports the sandbox', () => {
    expect(sandbox).toMatchObject({ tenantId: expect.any(String), clientId: expect.any(String), smtp: { host: 'localhost', security: 'starttls' } })
    expect(sandbox.users).toHaveLength(4)
    expect(caPem).toContain('BEGIN CERTIFICATE')
    // Node 20 start-up is quiet: no oidc-provider or runtime warnings.
    // (Node prints `(node:PID) …Warning`; oidc-provider prints `oidc-provider WARNING/NOTICE`.)
    expect(relay.output()).not.toMatch(/\(node:\d+\)|Warning:|oidc-provider (WARNING|NOTICE)|Unsupported runtime/)
  })

  it('taro: token through /api/token, send through /api/send, message in the inbox', async () => {
    const token = await api('/api/token', { body: await signInWebSecret(USERS.taro) })
    expect(token.status).toBe(200)
    expect(token.json).toMatchObject({ ok: true, refreshToken: expect.any(String) })
    const sent = await api('/api/send', { body: sendBody(USERS.taro.upn, token.json.accessToken) })
    expect(sent.status).toBe(200)
    expect(sent.json.response).toMatch(/^250 2\.0\.0 OK/)
    const refreshed = await api('/api/token', {
      body: {
        tokenEndpoint: sandbox.tokenEndpoint.replace('/v2.0/', '/V2.0/'),
        clientId: sandbox.clientId,
        clientSecret: sandbox.clientSecret,
        scope: SCOPE,
        grant: { type: 'refresh_token', refreshToken: token.json.refreshToken },
      },
    })
    expect(refreshed.status).toBe(200)
    const messages = (await api('/api/sandbox/messages')).json.messages as Json[]
    expect(messages[0]).toMatchObject({ subject: `relay → sandbox (${USERS.taro.upn})`, from: USERS.taro.upn })

    const denied = await api('/api/send', { body: sendBody(USERS.taro.upn, token.json.accessToken, 'shared@sandbox.mailkey.test') })
    expect(denied.status).toBe(502)
    expect(denied.json.error.smtp).toMatchObject({ code: 554, enhanced: '5.2.252' })
  })

  it('hanako: 535 5.7.139; jiro without SMTP.Send: 535 5.7.3', async () => {
    const hanako = await api('/api/token', { body: await signInWebSecret(USERS.hanako) })
    const h = await api('/api/send', { body: sendBody(USERS.hanako.upn, hanako.json.accessToken) })
    expect(h.json.error).toMatchObject({ code: 'AUTH_FAILED', smtp: { code: 535, enhanced: '5.7.139' } })
    const jiro = await api('/api/token', {
      body: await signInWebSecret(USERS.jiro, 'https://outlook.office.com/.default openid profile offline_access'),
    })
    const j = await api('/api/send', { body: sendBody(USERS.jiro.upn, jiro.json.accessToken) })
    expect(j.json.error).toMatchObject({ code: 'AUTH_FAILED', smtp: { code: 535, enhanced: '5.7.3' } })
  })

  it('switches reach the page as TOKEN_ENDPOINT_ERROR with the AADSTS code', async () => {
    const body = await signInWebSecret(USERS.taro)
    const set = async (on: boolean) =>
      api('/api/sandbox/switches', { method: 'PUT', body: { webSecretExpired: on } })
    expect((await set(true)).status).toBe(200)
    const expired = await api('/api/token', { body })
    await set(false)
    expect(expired.json.error).toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR', aadsts: 'AADSTS7000222' })
    // The description's first line only, as from Entra: no trace or correlation IDs.
    expect(expired.json.error.message).toMatch(/AADSTS7000222: The provided client secret keys .* expired/)
    expect(expired.json.error.message).not.toMatch(/Trace ID|Correlation ID/)
    const wrongSecret = await api('/api/token', { body: { ...body, clientSecret: sandbox.clientSecretId } })
    expect(wrongSecret.json.error.aadsts).toBe('AADSTS7000215')
  })

  it('app-only: a client credentials token sends through /api/send; smtpBusy and smtpDown as the relay reports them', async () => {
    expect(sandbox.appOnly).toMatchObject({ scope: 'https://outlook.office365.com/.default', role: 'SMTP.SendAsApp' })
    expect(sandbox.deviceCodeEndpoint).toBe(sandbox.tokenEndpoint.replace(/token$/, 'devicecode'))
    const answer = await new Browserish(caPem).request(sandbox.tokenEndpoint, {
      form: {
        client_id: sandbox.clientId,
        client_secret: sandbox.clientSecret,
        grant_type: 'client_credentials',
        scope: sandbox.appOnly.scope,
      },
    })
    const accessToken = String(answer.json().access_token)
    const sent = await api('/api/send', { body: sendBody(USERS.taro.upn, accessToken) })
    expect(sent.json).toMatchObject({ ok: true, response: expect.stringMatching(/^250 2\.0\.0 OK/) })
    const hanako = await api('/api/send', { body: sendBody(USERS.hanako.upn, accessToken) })
    expect(hanako.json.error).toMatchObject({ code: 'AUTH_FAILED', smtp: { code: 535, enhanced: '5.7.3' } })

    const set = (update: Json) => api('/api/sandbox/switches', { method: 'PUT', body: update })
    expect((await set({ smtpBusy: true })).json.switches).toMatchObject({ smtpBusy: true })
    // A new connection each (`reuse: false`): what the switch does to a connection attempt.
    const fresh = () => ({ ...sendBody(USERS.taro.upn, accessToken), smtp: { ...sandbox.smtp, reuse: false } })
    const busy = await api('/api/send', { body: fresh() })
    await set({ smtpBusy: false, smtpDown: true })
    const down = await api('/api/send', { body: fresh() })
    const page = await (await fetch(`${relay.url}/api/sandbox/inbox?lang=en`)).text()
    await set({ smtpDown: false })
    expect(busy.json.error.smtp).toMatchObject({ code: 451, enhanced: '4.7.500' })
    expect(down.json.error).toMatchObject({ code: 'CONNECTION_FAILED' })
    for (const name of ['refreshTokenRevoked', 'servicePrincipalMissing', 'mailboxPermissionMissing', 'smtpBusy', 'smtpDown']) {
      expect(page).toContain(`<code>${name}</code>`)
    }
    expect((await api('/api/send', { body: sendBody(USERS.taro.upn, accessToken) })).json.ok).toBe(true)
  })
})
