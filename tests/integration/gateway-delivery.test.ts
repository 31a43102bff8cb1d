/**
 * Gateway II end to end in a real relay process against the sandbox tenant: an app-only
 * mailbox, a device with SMTP AUTH and an API key, a scan handed over the SMTP ingress like an
 * MFD (STARTTLS, AUTH LOGIN with the standard prompts), and a script's message over
 * `POST /api/v1/messages`; both are committed, delivered with XOAUTH2 through the mailbox and
 * arrive with the mailbox as From and the device's From as Reply-To. A `554 5.2.252` fails at
 * once and produces a failure notice (RFC 3464) that arrives in the mailbox; `451 4.7.500 Server
 * busy` is retried, and [再送] sends it once the server is back.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MfdClient, b64 } from '../helpers/mfd-client.ts'
import { startRelay, type RelayProcess } from '../helpers/relay-process.ts'
import { startFixture, TARO, type Fixture } from './sandbox-fixture.ts'

const PASSWORD = 'gateway-admin-password-2026'

let fx: Fixture
let relay: RelayProcess
let work: string
let cookie = ''

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${relay.url}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'Content-Type': 'application/json' }), ...(cookie && { Cookie: cookie }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  return { status: res.status, json: (await res.json()) as Record<string, any>, setCookie: res.headers.get('set-cookie') }
}

interface Arrived {
  subject: string
  from: string
  to: string[]
  text: string
  [key: string]: unknown
}

async function inbox(): Promise<Arrived[]> {
  const res = await fx.sandbox.routes.request('/messages')
  return ((await res.json()) as { messages: Arrived[] }).messages
}

async function until<T>(what: () => Promise<T | undefined>, label: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await what()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${label}`)
}

const queued = (id: string, state: string) =>
  until(async () => {
    const q = await api('GET', '/api/admin/queue')
    const m = (q.json.messages as { id: string; state: string }[]).find((x) => x.id === id)
    return m?.state === state ? (m as Record<string, any>) : undefined
  }, `message ${id} ${state}`)

beforeAll(async () => {
  fx = await startFixture()
  work = await mkdtemp(join(tmpdir(), 'mailkey-delivery-'))
  const caFile = join(work, 'ca.pem')
  await writeFile(caFile, fx.sandbox.caPem)
  relay = await startRelay({
    runtime: 'node',
    env: {
      RELAY_GATEWAY: '1',
      RELAY_ADMIN_PASSWORD: PASSWORD,
      RELAY_DATA_DIR: join(work, 'data'),
      RELAY_SMTP_HOSTS: fx.sandbox.smtpHostPort,
      RELAY_TOKEN_HOSTS: fx.sandbox.tokenHost,
      RELAY_CA_FILE: caFile,
      RELAY_INGRESS: '127.0.0.1:0/starttls',
    },
  })
  const login = await api('POST', '/api/admin/login', { password: PASSWORD })
  expect(login.status, JSON.stringify(login.json)).toBe(200)
  cookie = login.setCookie!.split(';')[0]!
}, 180_000)

afterAll(async () => {
  const output = relay ? relay.output() : ''
  await relay?.stop()
  await fx?.close()
  if (work) await rm(work, { recursive: true, force: true })
  // No device password, API key or admin password in what the relay printed.
  for (const secret of secrets) expect(output).not.toContain(secret)
})

const secrets: string[] = [PASSWORD]

describe('devices send through an app-only mailbox', () => {
  let mailboxId = ''
  let device: { id: string; username: string; password: string; apiKey: string }

  it('creates the mailbox (ready at once) and a device whose credentials are shown once', async () => {
    const mb = await api('POST', '/api/admin/mailboxes', {
      name: '複合機用',
      address: TARO.upn,
      smtp: fx.info.smtp,
      tokenSource: 'app',
      tenantId: fx.info.tenantId,
      clientId: fx.info.clientId,
      clientSecret: fx.info.clientSecret,
      tokenEndpoint: fx.info.tokenEndpoint,
    })
    expect(mb.status, JSON.stringify(mb.json)).toBe(201)
    expect(mb.json.mailbox.state).toBe('ready')
    mailboxId = mb.json.mailbox.id
    const dev = await api('POST', '/api/admin/devices', {
      name: '複合機 3F', mailboxId, smtpAuth: true, apiKey: true, fromPolicy: 'mailbox',
    })
    expect(dev.status, JSON.stringify(dev.json)).toBe(201)
    const c = dev.json.credentials
    device = { id: dev.json.device.id, username: c.username, password: c.password, apiKey: c.apiKey }
    secrets.push(device.password, device.apiKey)
    expect(device.username).toMatch(/^device-[0-9a-f]{6}$|^[a-z0-9-]+-[0-9a-f]{6}$/)
    const listed = await api('GET', '/api/admin/devices')
    expect(JSON.stringify(listed.json)).not.toContain(device.password)
    expect(JSON.stringify(listed.json)).not.toContain(device.apiKey)
    expect(listed.json.devices[0]).toMatchObject({ id: device.id, username: device.username, apiKey: true, fromPolicy: 'mailbox' })
    // Without a session the device routes refuse.
    const saved = cookie
    cookie = ''
    expect((await api('GET', '/api/admin/devices')).status).toBe(401)
    expect((await api('GET', '/api/admin/queue')).status).toBe(401)
    cookie = saved
  })

  it('takes a scan over the ingress like an MFD and delivers it with the mailbox as From', async () => {
    const ingress = await api('GET', '/api/admin/ingress')
    expect(ingress.json.listeners).toHaveLength(1)
    expect(ingress.json.certificateSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    const port = ingress.json.listeners[0].port as number
    const ca = await readFile(join(work, 'data', 'ingress', 'ca.pem'), 'utf8')
    const mfd = await MfdClient.connect(port)
    expect(await mfd.reply()).toMatch(/^220 /)
    expect(await mfd.cmd('EHLO mfd-3f')).toMatch(/^250/)
    expect(await mfd.cmd('STARTTLS')).toMatch(/^220 /)
    expect(await mfd.startTls({ ca })).toMatch(/^TLSv1\.[23]$/)
    expect(await mfd.cmd('EHLO mfd-3f')).toMatch(/AUTH/)
    expect(await mfd.cmd('AUTH LOGIN')).toBe('334 VXNlcm5hbWU6')
    expect(await mfd.cmd(b64(device.username))).toBe('334 UGFzc3dvcmQ6')
    expect(await mfd.cmd(b64(device.password))).toMatch(/^235 /)
    expect(await mfd.cmd('MAIL FROM:<scanner@mfd.local>')).toMatch(/^250 /)
    expect(await mfd.cmd(`RCPT TO:<${TARO.upn}>`)).toMatch(/^250 /)
    expect(await mfd.cmd('DATA')).toMatch(/^354 /)
    const done = await mfd.cmd(
      [
        'From: "scanner@mfd.local" <scanner@mfd.local>',
        `To: ${TARO.upn}`,
        'Subject: Scanned from MFD 3F',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Scanned document attached.',
        '.',
      ].join('\r\n'),
    )
    const id = /queued as (\S+)/.exec(done)?.[1]
    expect(done, done).toMatch(/^250 /)
    await mfd.cmd('QUIT')
    mfd.close()
    const sent = await queued(id!, 'sent')
    expect(sent.lastReply).toMatch(/^250 /)
    const arrived = await until(async () => (await inbox()).find((m) => m.subject === 'Scanned from MFD 3F'), 'the scan')
    expect(arrived.from).toContain(TARO.upn)
    expect(arrived.from).toContain('複合機 3F')
    const raw = await (await fx.sandbox.routes.request(`/messages/${arrived.id}/raw`)).text()
    expect(raw).toMatch(/^Reply-To: scanner@mfd\.local\r$/m)
    expect(raw).toMatch(new RegExp(`^From: .*<${TARO.upn.replace(/\./g, '\\.')}>\\r$`, 'm'))
  })

  it('takes a script\'s message over the send API (202) and delivers it', async () => {
    const bearer = { Authorization: `Bearer ${device.apiKey}` }
    const posted = await api('POST', '/api/v1/messages', {
      message: { from: 'report@contoso.example', to: [TARO.upn], subject: '日次レポート', text: '本文です。' },
    }, bearer)
    expect(posted.status, JSON.stringify(posted.json) + relay.output().slice(-3000)).toBe(202)
    expect(posted.json.state).toBe('queued')
    const state = await until(async () => {
      const r = await api('GET', `/api/v1/messages/${posted.json.id}`, undefined, bearer)
      return r.json.state === 'sent' ? r.json : undefined
    }, 'the script message sent')
    expect(state.lastReply).toMatch(/^250 /)
    await until(async () => (await inbox()).find((m) => m.subject === '日次レポート'), 'the report')
    // A wrong key is refused in the contract's shape.
    const wrong = await api('POST', '/api/v1/messages', { message: { from: 'a@contoso.example', to: [TARO.upn], subject: 'x', text: 'y' } }, { Authorization: 'Bearer mk_AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })
    expect(wrong.status).toBe(401)
    expect(wrong.json.error.code).toBe('UNAUTHORIZED')
  })

  it('fails a 5xx at once with a failure notice to the mailbox; retries a 451 and [再送] sends it', async () => {
    const keep = await api('POST', '/api/admin/devices', { name: 'script-keep', mailboxId, apiKey: true, fromPolicy: 'keep' })
    const bearer = { Authorization: `Bearer ${keep.json.credentials.apiKey}` }
    secrets.push(keep.json.credentials.apiKey)
    // Sending as another address without Send As: Exchange's 554 5.2.252.
    const denied = await api('POST', '/api/v1/messages', {
      message: { from: 'ceo@contoso.example', to: [TARO.upn], subject: 'Send As denied', text: 'x' },
    }, bearer)
    expect(denied.status).toBe(202)
    const failed = await queued(denied.json.id, 'failed')
    expect(failed.lastReply).toMatch(/^554 5\.2\.252/)
    expect(failed.attempts).toBe(1)
    const notice = await until(async () => (await inbox()).find((m) => /Undeliverable: Send As denied/.test(m.subject)), 'the failure notice')
    expect(notice.text).toContain('配送できませんでした')
    expect(notice.text).toContain('could not deliver')

    await fx.setSwitches({ smtpBusy: true })
    const busy = await api('POST', '/api/v1/messages', {
      message: { from: TARO.upn, to: [TARO.upn], subject: 'While busy', text: 'x' },
    }, bearer)
    const waiting = await queued(busy.json.id, 'retrying')
    expect(waiting.lastReply).toMatch(/^451 4\.7\.500/)
    await fx.setSwitches({ smtpBusy: false })
    const again = await api('POST', `/api/admin/queue/${busy.json.id}/retry`)
    expect(again.status).toBe(200)
    await queued(busy.json.id, 'sent')
    await until(async () => (await inbox()).find((m) => m.subject === 'While busy'), 'the busy message')
  })
})
