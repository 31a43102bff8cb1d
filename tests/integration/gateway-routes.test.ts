/**
 * The gateway's admin and mailbox routes against the real sandbox, on both stores (SQLite and
 * a real PostgreSQL): every endpoint and error code of GATEWAY.md, token care, alerts, and no
 * secret in any answer or log.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorBody } from '../../src/lib/contract/api.ts'
import { AdminSession, MailboxAnswer, MailboxList, SetupStatus } from '../../src/lib/contract/gateway.ts'
import { checkSecretExpiry } from '../../relay/src/gateway/alerts.ts'
import { pollDeviceCode, renew, renewDue, withLease } from '../../relay/src/gateway/tokens.ts'
import {
  ADMIN_PASSWORD_TEXT,
  AdminClient,
  BACKENDS,
  delegatedBody,
  type GatewayRig,
  ORIGIN,
  popupCode,
  setUp,
  startRig,
  stopPostgres,
} from './gateway-fixture.ts'
import { verifyDeviceCode } from './sandbox-client.ts'
import { startFixture, TARO, type Fixture } from './sandbox-fixture.ts'

let fx: Fixture
const inbox = async () => ((await (await fx.sandbox.routes.request('/messages')).json()) as { messages: unknown[] }).messages
beforeAll(async () => {
  fx = await startFixture()
}, 60_000)
afterAll(async () => {
  await fx?.close()
  await stopPostgres()
})

describe.each(BACKENDS)('gateway routes on %s', (backend) => {
  let rig: GatewayRig
  let admin: AdminClient
  beforeAll(async () => {
    rig = await startRig(backend, {}, fx)
  }, 120_000)
  afterAll(async () => {
    await rig?.close()
  })

  it('setup: needed, a wrong code is FORBIDDEN, a short password INVALID_REQUEST, then a session', async () => {
    const anon = new AdminClient(rig.app)
    const status = await anon.call('GET', '/api/admin/setup')
    expect(SetupStatus.parse(status.json)).toEqual({ ok: true, needed: true, passwordFromEnvironment: false })
    expect(rig.gateway.setupLink).toMatch(/^http:\/\/localhost:\d+\/gateway\/setup#code=[\w-]{20,}$/)

    const wrong = await anon.call('POST', '/api/admin/setup', { code: 'not-the-code', password: ADMIN_PASSWORD_TEXT })
    expect(wrong.status).toBe(403)
    expect(ErrorBody.parse(wrong.json).error.code).toBe('FORBIDDEN')
    const code = new URL(rig.gateway.setupLink!).hash.slice('#code='.length)
    const short = await anon.call('POST', '/api/admin/setup', { code, password: 'short' })
    expect(short.status).toBe(400)
    expect(short.json.error.code).toBe('INVALID_REQUEST')

    admin = await setUp(rig)
    const session = await admin.call('GET', '/api/admin/session')
    expect(session.status).toBe(200)
    expect(AdminSession.parse(session.json).admin).toBe(true)

    const again = await anon.call('POST', '/api/admin/setup', { code, password: ADMIN_PASSWORD_TEXT })
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('CONFLICT')
    expect((await anon.call('GET', '/api/admin/setup')).json.needed).toBe(false)
  })

  it('login sets an HttpOnly SameSite=Strict cookie; failures grow a delay per address; logout ends the session', async () => {
    const someone = new AdminClient(rig.app, '198.51.100.7')
    for (let i = 0; i < 3; i++) {
      const bad = await someone.call('POST', '/api/admin/login', { password: 'wrong password!!' })
      expect(bad.status).toBe(401)
      expect(bad.json.error.code).toBe('UNAUTHORIZED')
    }
    const limited = await someone.call('POST', '/api/admin/login', { password: ADMIN_PASSWORD_TEXT })
    expect(limited.status).toBe(429)
    expect(limited.json.error.code).toBe('RATE_LIMITED')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)

    const other = new AdminClient(rig.app, '198.51.100.8')
    const ok = await other.call('POST', '/api/admin/login', { password: ADMIN_PASSWORD_TEXT })
    expect(ok.status).toBe(200)
    expect(ok.setCookie).toMatch(/^mailkey_admin=[\w-]+;/)
    expect(ok.setCookie).toMatch(/HttpOnly/i)
    expect(ok.setCookie).toMatch(/SameSite=Strict/i)
    expect(ok.setCookie).not.toMatch(/Secure/i)
    expect((await other.call('GET', '/api/admin/session')).status).toBe(200)
    expect((await other.call('POST', '/api/admin/logout')).status).toBe(200)
    const after = await new AdminClient(rig.app).call('GET', '/api/admin/session', undefined, {
      Cookie: ok.setCookie!.split(';')[0]!,
    })
    expect(after.status).toBe(401)
  })

  it('every /api/admin route refuses without a session', async () => {
    const anon = new AdminClient(rig.app)
    const id = '00000000-0000-0000-0000-000000000000'
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/session'],
      ['POST', '/api/admin/logout'],
      ['GET', '/api/admin/mailboxes'],
      ['POST', '/api/admin/mailboxes', delegatedBody(fx)],
      ['GET', `/api/admin/mailboxes/${id}`],
      ['PATCH', `/api/admin/mailboxes/${id}`, { name: 'x' }],
      ['DELETE', `/api/admin/mailboxes/${id}`],
      ['POST', `/api/admin/mailboxes/${id}/authorize`, { code: 'c', redirectUri: 'http://localhost' }],
      ['POST', `/api/admin/mailboxes/${id}/devicecode`],
      ['POST', `/api/admin/mailboxes/${id}/test`, { to: 'a@b.example' }],
      ['GET', '/api/admin/alerts'],
      ['GET', '/api/admin/no-such-route'],
    ]
    for (const [method, path, body] of routes) {
      const res = await anon.call(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(401)
      expect(ErrorBody.parse(res.json).error.code, `${method} ${path}`).toBe('UNAUTHORIZED')
    }
    // A forged or expired cookie is no session either.
    const forged = await anon.call('GET', '/api/admin/mailboxes', undefined, { Cookie: 'mailkey_admin=forged' })
    expect(forged.status).toBe(401)
  })

  it('refuses admin writes from another origin even with the session cookie (CSRF)', async () => {
    const cross = await admin.call('POST', '/api/admin/mailboxes', delegatedBody(fx), { Origin: 'https://evil.example' })
    expect(cross.status).toBe(403)
    const site = await admin.call('POST', '/api/admin/mailboxes', delegatedBody(fx), { 'Sec-Fetch-Site': 'cross-site' })
    expect(site.status).toBe(403)
    expect(site.json.error.code).toBe('FORBIDDEN')
    const same = await admin.call('GET', '/api/admin/mailboxes', undefined, { Origin: ORIGIN, 'Sec-Fetch-Site': 'same-origin' })
    expect(same.status).toBe(200)
    expect(MailboxList.parse(same.json).mailboxes).toEqual([])
  })

  let delegatedId = ''
  it('delegated: created needing sign-in, signed in with the popup code, test send arrives, no secret in answers', async () => {
    const created = await admin.call('POST', '/api/admin/mailboxes', delegatedBody(fx))
    expect(created.status).toBe(201)
    const m = MailboxAnswer.parse(created.json).mailbox
    expect(m.state).toBe('needs-sign-in')
    expect(m.tokenExpiresAt).toBeNull()
    delegatedId = m.id
    expect(JSON.stringify(created.json)).not.toContain(fx.info.clientSecret)

    const early = await admin.call('POST', `/api/admin/mailboxes/${m.id}/test`, { to: TARO.upn })
    expect(early.status).toBe(409)
    expect(early.json.error.code).toBe('CONFLICT')

    const code = await popupCode(fx, TARO.upn, TARO.password)
    const signed = await admin.call('POST', `/api/admin/mailboxes/${m.id}/authorize`, code)
    expect(signed.status, JSON.stringify(signed.json)).toBe(200)
    const ready = MailboxAnswer.parse(signed.json).mailbox
    expect(ready.state).toBe('ready')
    expect(ready.account).toBe(TARO.upn)
    expect(Date.parse(ready.tokenExpiresAt!)).toBeGreaterThan(Date.now())
    expect(Date.parse(ready.nextRenewalAt!)).toBeLessThan(Date.parse(ready.tokenExpiresAt!))

    const before = (await inbox()).length
    const sent = await admin.call('POST', `/api/admin/mailboxes/${m.id}/test`, { to: TARO.upn })
    expect(sent.status, JSON.stringify(sent.json)).toBe(200)
    expect(sent.json.ok).toBe(true)
    expect(sent.json.accepted).toEqual([TARO.upn])
    expect(sent.json.transcript.some((l: { line: string }) => l.line === 'AUTH XOAUTH2 ****')).toBe(true)
    const arrived = (await inbox())
    expect(arrived.length).toBe(before + 1)
    expect(JSON.stringify(arrived.at(-1))).toContain('ゲートウェイ')
  })

  it('two instances on one store race to renew: one wins each round, the rotated refresh token is never lost', async () => {
    const g1 = rig.gateway.context
    const g2 = (await rig.another()).context
    expect(g2.instanceId).not.toBe(g1.instanceId)
    const read = () => g1.store.db.selectFrom('mailboxes').selectAll().where('id', '=', delegatedId).executeTakeFirstOrThrow()
    // While one instance holds the lease, the other does not touch the tokens.
    await withLease(g1, delegatedId, async () => {
      expect(await renew(g2, await read())).toBeUndefined()
      return { patch: {}, result: null }
    })
    // Racing: whoever wins reads the newest refresh token; every renewal that ran succeeded.
    for (let round = 0; round < 4; round++) {
      const before = await read()
      const outcomes = (await Promise.all([renew(g1, before), renew(g2, before)])).filter((x) => x !== undefined)
      expect(outcomes.length, `round ${round}`).toBeGreaterThanOrEqual(1)
      for (const o of outcomes) expect(o.ok, `round ${round}`).toBe(true)
      const after = await read()
      expect(after.state).toBe('ready')
      expect(after.refresh_token_enc).not.toBe(before.refresh_token_enc)
      expect(after.lease_owner).toBeNull()
    }
    // The last rotated token still works (a lost rotation would have revoked the grant).
    const last = await renew(g2, await read(), true)
    expect(last?.ok).toBe(true)
  })

  it('renews with the rotated refresh token, stored before use; a rejected refresh is reauth-needed with an alert', async () => {
    const g = rig.gateway.context
    const read = () => g.store.db.selectFrom('mailboxes').selectAll().where('id', '=', delegatedId).executeTakeFirstOrThrow()
    const first = await read()
    await g.store.db.updateTable('mailboxes').set({ next_renewal_at: 0 }).where('id', '=', delegatedId).execute()
    await renewDue(g)
    const second = await read()
    expect(second.state, second.last_error ?? '').toBe('ready')
    expect(second.refresh_token_enc).not.toBe(first.refresh_token_enc)
    expect(second.access_token_enc).not.toBe(first.access_token_enc)
    expect(second.next_renewal_at).toBeGreaterThan(Date.now())

    await fx.setSwitches({ webSecretExpired: true })
    try {
      await renew(g, second, true)
    } finally {
      await fx.setSwitches({ webSecretExpired: false })
    }
    const list = MailboxList.parse((await admin.call('GET', '/api/admin/mailboxes')).json)
    const m = list.mailboxes.find((x) => x.id === delegatedId)!
    expect(m.state).toBe('reauth-needed')
    expect(m.lastError?.aadsts).toBe('AADSTS7000222')
    expect(m.lastError?.hint).toBeTruthy()
    expect(m.nextRenewalAt).toBeNull()
    const alerts = (await admin.call('GET', '/api/admin/alerts')).json.alerts as { kind: string; mailboxId: string; message: { ja: string; en: string } }[]
    const reauth = alerts.filter((a) => a.kind === 'reauth-needed' && a.mailboxId === delegatedId)
    expect(reauth).toHaveLength(1)
    // An expired secret: the alert says to create a new one (the AADSTS code named).
    expect(reauth[0]!.message.ja).toContain('AADSTS7000222')
    expect(reauth[0]!.message.ja).toContain('シークレット')
    expect(reauth[0]!.message.en).toContain('client secret has expired')
    expect(rig.logs.filter((l) => l.event === 'gateway.alert' && l.mailbox === delegatedId)).toHaveLength(1)
    // Raised once: a second failure does not raise it again.
    await renew(g, await read(), true).catch(() => undefined)
    expect(rig.logs.filter((l) => l.event === 'gateway.alert' && l.mailbox === delegatedId)).toHaveLength(1)

    // [再認証]: signing in again makes it ready and resolves the alert.
    const code = await popupCode(fx, TARO.upn, TARO.password)
    const again = await admin.call('POST', `/api/admin/mailboxes/${delegatedId}/authorize`, code)
    expect(again.json.mailbox.state).toBe('ready')
    // The same code again: the endpoint's answer with its diagnosis, in /api/token's shape; the
    // mailbox keeps its working token.
    const reused = await admin.call('POST', `/api/admin/mailboxes/${delegatedId}/authorize`, code)
    expect(reused.status).toBe(502)
    expect(reused.json.error.code).toBe('TOKEN_ENDPOINT_ERROR')
    expect((await admin.call('GET', `/api/admin/mailboxes/${delegatedId}`)).json.mailbox.state).toBe('ready')
    const open = (await admin.call('GET', '/api/admin/alerts')).json.alerts as { kind: string; mailboxId: string }[]
    expect(open.filter((a) => a.kind === 'reauth-needed' && a.mailboxId === delegatedId)).toHaveLength(0)
  })

  it('secret expiry: one alert per threshold, in the log, listed and mailed through the mailbox', async () => {
    const g = rig.gateway.context
    const inFive = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10)
    const patched = await admin.call('PATCH', `/api/admin/mailboxes/${delegatedId}`, { secretExpires: inFive, name: '複合機 4F' })
    expect(patched.status).toBe(200)
    expect(patched.json.mailbox.name).toBe('複合機 4F')
    const alertMails = async () =>
      (await inbox()).filter((m) => JSON.stringify(m).includes('要対応') && JSON.stringify(m).includes('複合機 4F')).length
    const before = await alertMails()
    await checkSecretExpiry(g)
    await checkSecretExpiry(g)
    const alerts = ((await admin.call('GET', '/api/admin/alerts')).json.alerts as { kind: string; thresholdDays?: number; mailedAt: string | null; message: { ja: string; en: string } }[])
      .filter((a) => a.kind === 'secret-expires')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.thresholdDays).toBe(7)
    expect(alerts[0]!.message.ja).toContain(inFive)
    expect(alerts[0]!.message.en).toContain('expires on')
    expect(alerts[0]!.mailedAt).not.toBeNull()
    expect(await alertMails()).toBe(before + 1)
    expect(rig.logs.filter((l) => l.event === 'gateway.alert' && l.kind === 'secret-expires')).toHaveLength(1)
  })

  it('app mailbox: the token is fetched at once; a failure is kept as the state with its diagnosis; sign-in routes are CONFLICT', async () => {
    const body = { ...delegatedBody(fx), name: 'app', tokenSource: 'app' }
    const created = await admin.call('POST', '/api/admin/mailboxes', body)
    expect(created.status).toBe(201)
    const m = MailboxAnswer.parse(created.json).mailbox
    // Ready at once (GATEWAY.md): the relay fetched its token with the secret while creating it.
    expect(m.state, JSON.stringify(m.lastError)).toBe('ready')
    expect(Date.parse(m.tokenExpiresAt!)).toBeGreaterThan(Date.now())
    expect(m.lastError).toBeUndefined()
    const auth = await admin.call('POST', `/api/admin/mailboxes/${m.id}/authorize`, { code: 'x', redirectUri: 'http://localhost' })
    expect(auth.status).toBe(409)
    expect(auth.json.error.code).toBe('CONFLICT')
    expect((await admin.call('POST', `/api/admin/mailboxes/${m.id}/devicecode`)).status).toBe(409)
    expect((await admin.call('DELETE', `/api/admin/mailboxes/${m.id}`)).status).toBe(200)
  })

  it('devicecode: the sandbox answers a user code the relay polls for until the user signed in; then ready and sending', async () => {
    const created = await admin.call('POST', '/api/admin/mailboxes', { ...delegatedBody(fx), name: 'device code' })
    const id = created.json.mailbox.id as string
    const dc = await admin.call('POST', `/api/admin/mailboxes/${id}/devicecode`)
    expect(dc.status, JSON.stringify(dc.json)).toBe(200)
    expect(dc.json.userCode).toMatch(/\S{4,}/)
    expect(dc.json.verificationUri).toMatch(/^https:\/\//)
    expect(dc.json.expiresIn).toBeGreaterThan(0)
    const read = async () => MailboxAnswer.parse((await admin.call('GET', `/api/admin/mailboxes/${id}`)).json).mailbox
    const item = await read()
    expect(item.deviceCode?.userCode).toBe(dc.json.userCode)
    expect(item.state).toBe('needs-sign-in')

    // Polled as the relay's clock polls (at device_poll_at, the interval the endpoint asked for).
    const g = rig.gateway.context
    const row = () => g.store.db.selectFrom('mailboxes').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const pollWhenDue = async () => {
      await sleep(Math.max(0, ((await row()).device_poll_at ?? 0) - Date.now()))
      await pollDeviceCode(g, id)
    }
    // Before the user signed in: still pending (AADSTS70016), the code still listed.
    await pollWhenDue()
    const pending = await read()
    expect(pending.state).toBe('needs-sign-in')
    expect(pending.deviceCode?.userCode).toBe(dc.json.userCode)

    // The user enters the code on the verification page and signs in; the next poll gets the tokens.
    const done = await verifyDeviceCode(fx.sandbox.caPem, dc.json as { userCode: string; verificationUri: string }, 'confirm', TARO)
    expect(done.text).toContain('サインインしました')
    await pollWhenDue()
    const ready = await read()
    expect(ready.state, JSON.stringify(ready.lastError)).toBe('ready')
    expect(ready.account).toBe(TARO.upn)
    expect(ready.deviceCode).toBeUndefined()
    expect((await row()).refresh_token_enc).not.toBeNull()

    const before = (await inbox()).length
    const sent = await admin.call('POST', `/api/admin/mailboxes/${id}/test`, { to: TARO.upn })
    expect(sent.status, JSON.stringify(sent.json)).toBe(200)
    expect((await inbox()).length).toBe(before + 1)
    expect((await admin.call('DELETE', `/api/admin/mailboxes/${id}`)).status).toBe(200)
  })

  it('NOT_FOUND for an unknown mailbox, HOST_NOT_ALLOWED off the allow-lists, INVALID_REQUEST for bad fields', async () => {
    const id = '00000000-0000-0000-0000-000000000000'
    for (const [method, path, body] of [
      ['GET', `/api/admin/mailboxes/${id}`],
      ['PATCH', `/api/admin/mailboxes/${id}`, { name: 'x' }],
      ['DELETE', `/api/admin/mailboxes/${id}`],
      ['POST', `/api/admin/mailboxes/${id}/authorize`, { code: 'c', redirectUri: 'http://localhost' }],
      ['POST', `/api/admin/mailboxes/${id}/devicecode`],
      ['POST', `/api/admin/mailboxes/${id}/test`, { to: 'a@b.example' }],
    ] as [string, string, unknown?][]) {
      const res = await admin.call(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(404)
      expect(res.json.error.code).toBe('NOT_FOUND')
    }
    const smtp = await admin.call('POST', '/api/admin/mailboxes', { ...delegatedBody(fx), smtp: { host: 'smtp.example.net', port: 587, security: 'starttls' } })
    expect(smtp.status).toBe(403)
    expect(smtp.json.error.code).toBe('HOST_NOT_ALLOWED')
    const token = await admin.call('POST', '/api/admin/mailboxes', { ...delegatedBody(fx), tokenEndpoint: 'https://login.example.net/t/oauth2/v2.0/token' })
    expect(token.json.error.code).toBe('HOST_NOT_ALLOWED')
    const bad = await admin.call('POST', '/api/admin/mailboxes', { ...delegatedBody(fx), tokenSource: 'implicit' })
    expect(bad.status).toBe(400)
    expect(bad.json.error.path).toBe('tokenSource')
    const empty = await admin.call('PATCH', `/api/admin/mailboxes/${delegatedId}`, {})
    expect(empty.status).toBe(400)
  })

  it('DELETE removes the mailbox and its alerts', async () => {
    expect((await admin.call('DELETE', `/api/admin/mailboxes/${delegatedId}`)).status).toBe(200)
    expect((await admin.call('GET', `/api/admin/mailboxes/${delegatedId}`)).status).toBe(404)
    const alerts = (await admin.call('GET', '/api/admin/alerts')).json.alerts as { mailboxId: string }[]
    expect(alerts.filter((a) => a.mailboxId === delegatedId)).toHaveLength(0)
  })
})

// Short-lived tokens, as the e2e and a sandbox with RELAY_SANDBOX_TOKEN_TTL=40 have them: the
// relay's margins (1–2 min before expiry) must not make a fresh 40 s token unusable.
describe('gateway routes with 40 s tokens (RELAY_SANDBOX_TOKEN_TTL=40)', () => {
  let short: Fixture
  let rig: GatewayRig
  let admin: AdminClient
  const shortInbox = async () => ((await (await short.sandbox.routes.request('/messages')).json()) as { messages: unknown[] }).messages
  beforeAll(async () => {
    short = await startFixture({ accessTokenTtl: 40 })
    rig = await startRig('sqlite', {}, short)
    admin = await setUp(rig)
  }, 120_000)
  afterAll(async () => {
    await rig?.close()
    await short?.close()
  })

  it('an app mailbox is ready at once and its test send arrives with the token just fetched', async () => {
    const created = await admin.call('POST', '/api/admin/mailboxes', { ...delegatedBody(short), name: 'app 40 s', tokenSource: 'app' })
    expect(created.status).toBe(201)
    const m = MailboxAnswer.parse(created.json).mailbox
    expect(m.state, JSON.stringify(m.lastError)).toBe('ready')
    const life = Date.parse(m.tokenExpiresAt!) - Date.now()
    expect(life).toBeGreaterThan(0)
    expect(life).toBeLessThanOrEqual(40_000)
    const before = (await shortInbox()).length
    const sent = await admin.call('POST', `/api/admin/mailboxes/${m.id}/test`, { to: TARO.upn })
    expect(sent.status, JSON.stringify(sent.json)).toBe(200)
    expect(sent.json.accepted).toEqual([TARO.upn])
    expect((await shortInbox()).length).toBe(before + 1)
  })
})
