import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorBody, SendSuccess } from '../../../src/lib/contract/api.ts'
import { type SmtpPeer, startSmtpPeer } from '../../../tests/helpers/smtp-peer.ts'
import type { AppDeps } from '../app.ts'
import { postJson, testApp } from '../testing.ts'
import { createPool, SmtpError } from '../smtp/index.ts'
import { resolveAll } from '../http/boot.ts'

/** A reply error as smtp-server sends it: `${responseCode} ${message}`. */
const reply = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code })

let dir: string
let caFile: string
let starttls: SmtpPeer
let implicit: SmtpPeer
let plain: SmtpPeer
let noStarttls: SmtpPeer
let plainOnly: SmtpPeer
let m365: SmtpPeer
let silent: Server
let silentPort: number
let closedPort: number

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailkey-send-'))
  starttls = await startSmtpPeer()
  implicit = await startSmtpPeer({ secure: true })
  plain = await startSmtpPeer({ server: { allowInsecureAuth: true, hideSTARTTLS: true } })
  noStarttls = await startSmtpPeer({ server: { hideSTARTTLS: true } })
  plainOnly = await startSmtpPeer({ server: { authMethods: ['PLAIN'] } })
  // Answers like Exchange Online: tenant-level SMTP AUTH off, Send As refused, a full mailbox.
  m365 = await startSmtpPeer({
    server: {
      onAuth(auth, _s, cb) {
        if (auth.accessToken === 'tenant-off') {
          return cb(
            reply(
              535,
              '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled',
            ),
          )
        }
        cb(null, { user: auth.username })
      },
      onMailFrom(address, _s, cb) {
        if (address.address.startsWith('other')) {
          return cb(
            reply(550, '5.7.60 SMTP; Client does not have permissions to send as this sender'),
          )
        }
        cb()
      },
      onData(stream, _s, cb) {
        stream.resume()
        stream.on(
          'end',
          () =>
            cb(
              reply(
                554,
                '5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException',
              ),
            ),
        )
      },
    },
  })
  // A CA bundle trusting every peer's run-time CA.
  caFile = join(dir, 'ca.pem')
  await writeFile(
    caFile,
    [starttls, implicit, plain, noStarttls, plainOnly, m365].map((p) => p.caPem).join('\n'),
  )
  // Accepts and never greets (TIMEOUT); and a port where nothing listens (CONNECTION_FAILED).
  silent = createServer(() => {})
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  silentPort = (silent.address() as { port: number }).port
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  closedPort = (probe.address() as { port: number }).port
  await new Promise((r) => probe.close(r))
})

afterAll(async () => {
  await Promise.all([starttls, implicit, plain, noStarttls, plainOnly, m365].map((p) => p.close()))
  silent.close()
  await rm(dir, { recursive: true, force: true })
})

function app(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}) {
  const hosts = [starttls, implicit, noStarttls, plainOnly, m365].map((p) => `localhost:${p.port}`)
  return testApp(
    {
      RELAY_SMTP_HOSTS: [...hosts, `localhost:${silentPort}`, `localhost:${closedPort}`].join(','),
      RELAY_PLAINTEXT_HOSTS: `localhost:${plain.port}`,
      RELAY_CA_FILE: caFile,
      ...env,
    },
    { smtpTimeouts: { greetingMs: 1500, connectMs: 1500 }, ...extra },
  )
}

const send = (
  peer: { port: number; token?: string; user?: string },
  over: Record<string, unknown> = {},
) => ({
  smtp: { host: 'localhost', port: peer.port, security: 'starttls' },
  auth: {
    type: 'xoauth2',
    user: peer.user ?? 'sender@contoso.example',
    accessToken: peer.token ?? 'tok',
  },
  message: {
    from: 'Sender <sender@contoso.example>',
    to: ['山田 太郎 <admin@contoso.example>'],
    subject: 'テストメール',
    text: '本文\n.\nend',
  },
  ...over,
})

async function error(res: Response, status: number, code: string) {
  const body = ErrorBody.parse(await res.json())
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code })
  return body
}

describe('POST /api/send', () => {
  it('sends over STARTTLS with XOAUTH2 and answers per the contract', async () => {
    const { app: a, logs } = app()
    const before = starttls.messages.length
    const res = await postJson(a, '/api/send', send(starttls))
    expect(res.status).toBe(200)
    const body = SendSuccess.parse(await res.json())
    expect(body.messageId).toMatch(/^<.+@contoso\.example>$/)
    expect(body.accepted).toEqual(['admin@contoso.example'])
    expect(body.rejected).toEqual([])
    expect(body.response).toMatch(/^250 /)
    expect(body.transcript).toContainEqual({ dir: 'C', line: 'AUTH XOAUTH2 ****' })
    expect(JSON.stringify(body)).not.toContain(starttls.token)
    expect(body.timings.totalMs).toBeGreaterThanOrEqual(0)
    expect(starttls.messages.length).toBe(before + 1)
    const got = starttls.messages.at(-1)!
    expect(got.to).toEqual(['admin@contoso.example'])
    // The server removed the dot-stuffing the engine added: the lone dot arrived as text.
    expect(got.raw.toString('utf8')).toContain('\r\n.\r\nend')
    expect(logs.at(-1)).toMatchObject({ method: 'POST', path: '/api/send', status: 200 })
  })

  it('sends over implicit TLS', async () => {
    const res = await postJson(
      app().app,
      '/api/send',
      send(implicit, { smtp: { host: 'localhost', port: implicit.port, security: 'tls' } }),
    )
    expect(res.status).toBe(200)
  })

  it('sends in plain text with a password only to a RELAY_PLAINTEXT_HOSTS entry', async () => {
    const body = send(plain, {
      smtp: { host: 'localhost', port: plain.port, security: 'none' },
      auth: { type: 'plain', user: plain.user, password: plain.password },
    })
    const res = await postJson(app().app, '/api/send', body)
    expect(res.status).toBe(200)
    const answer = SendSuccess.parse(await res.json())
    expect(JSON.stringify(answer)).not.toContain(plain.password)
  })

  it('reports refused recipients beside accepted ones', async () => {
    starttls.refuse.add('nobody@contoso.example')
    const res = await postJson(
      app().app,
      '/api/send',
      send(starttls, {
        message: {
          from: 'sender@contoso.example',
          to: ['admin@contoso.example', 'nobody@contoso.example'],
          text: 'x',
        },
      }),
    )
    const body = SendSuccess.parse(await res.json())
    expect(body.accepted).toEqual(['admin@contoso.example'])
    expect(body.rejected).toEqual(['nobody@contoso.example'])
  })

  it('RECIPIENT_REJECTED when every recipient is refused', async () => {
    starttls.refuse.add('nobody@contoso.example')
    const res = await postJson(
      app().app,
      '/api/send',
      send(starttls, {
        message: { from: 'sender@contoso.example', to: ['nobody@contoso.example'], text: 'x' },
      }),
    )
    const body = await error(res, 502, 'RECIPIENT_REJECTED')
    expect(body.error.smtp?.code).toBe(550)
    expect(body.transcript?.length).toBeGreaterThan(0)
  })

  it('AUTH_FAILED with the token refused, never echoing it', async () => {
    const res = await postJson(
      app().app,
      '/api/send',
      send({ port: starttls.port, token: 'wrong-token-123456' }),
    )
    const body = await error(res, 502, 'AUTH_FAILED')
    expect(body.error.hint).toContain('Authenticated SMTP')
    // smtp-server's XOAUTH2 error challenge (status, scope) is reported; the token is not.
    expect(body.error.message).toContain(
      'status 401 for scope https://outlook.office.com/SMTP.Send',
    )
    expect(JSON.stringify(body)).not.toContain('wrong-token-123456')
  })

  it('AUTH_FAILED 5.7.139 explained with the admin step', async () => {
    const res = await postJson(
      app().app,
      '/api/send',
      send({ port: m365.port, token: 'tenant-off' }),
    )
    const body = await error(res, 502, 'AUTH_FAILED')
    expect(body.error.smtp).toMatchObject({ code: 535, enhanced: '5.7.139' })
    expect(body.error.smtp?.text).toMatch(/^Authentication unsuccessful, SmtpClientAuthentication/)
    expect(body.error.hint).toContain('Turn off SMTP AUTH protocol for your organization')
  })

  it('SENDER_REJECTED 5.7.60 explained', async () => {
    const res = await postJson(
      app().app,
      '/api/send',
      send(m365, {
        message: { from: 'other@contoso.example', to: ['admin@contoso.example'], text: 'x' },
      }),
    )
    const body = await error(res, 502, 'SENDER_REJECTED')
    expect(body.error.smtp?.enhanced).toBe('5.7.60')
    expect(body.error.hint).toContain('Send As')
  })

  it('MESSAGE_REJECTED 5.2.2 explained', async () => {
    const res = await postJson(app().app, '/api/send', send(m365))
    const body = await error(res, 502, 'MESSAGE_REJECTED')
    expect(body.error.smtp?.enhanced).toBe('5.2.2')
    expect(body.error.message).toContain('mailbox is full')
  })

  it('STARTTLS_UNAVAILABLE when the server does not offer it', async () => {
    await error(
      await postJson(app().app, '/api/send', send(noStarttls)),
      502,
      'STARTTLS_UNAVAILABLE',
    )
  })

  it('AUTH_MECHANISM_UNAVAILABLE when XOAUTH2 is not offered', async () => {
    await error(
      await postJson(app().app, '/api/send', send(plainOnly)),
      502,
      'AUTH_MECHANISM_UNAVAILABLE',
    )
  })

  it('TLS_FAILED when the certificate is not trusted (no CA configured)', async () => {
    const res = await postJson(app({ RELAY_CA_FILE: '' }).app, '/api/send', send(starttls))
    await error(res, 502, 'TLS_FAILED')
  })

  it('CONNECTION_FAILED when nothing listens', async () => {
    const body = await error(
      await postJson(app().app, '/api/send', send({ port: closedPort })),
      502,
      'CONNECTION_FAILED',
    )
    expect(body.error.message).toContain('ECONNREFUSED')
    // No connection was opened, so there is no transcript (shared/API.md).
    expect(body).not.toHaveProperty('transcript')
  })

  it('TIMEOUT when the server never greets', async () => {
    const body = await error(
      await postJson(app().app, '/api/send', send({ port: silentPort })),
      504,
      'TIMEOUT',
    )
    // The connection was opened: the transcript shows it.
    expect(body.transcript?.[0]?.line).toMatch(/^connected to /)
    // StartTLS to an implicit-TLS port (465) ends this way: the hint says so.
    expect(body.error.hint).toContain('port 465 expects SSL/TLS')
  })

  it('HOST_NOT_ALLOWED for a host:port outside the allow-list', async () => {
    const res = await postJson(app().app, '/api/send', send({ port: 25 }))
    const body = await error(res, 403, 'HOST_NOT_ALLOWED')
    expect(body.error.path).toBe('smtp.host')
  })

  it('HOST_NOT_ALLOWED for security none to a TLS host', async () => {
    const res = await postJson(
      app().app,
      '/api/send',
      send(starttls, { smtp: { host: 'localhost', port: starttls.port, security: 'none' } }),
    )
    expect((await error(res, 403, 'HOST_NOT_ALLOWED')).error.path).toBe('smtp.security')
  })

  it('HOST_NOT_ALLOWED when a built-in Microsoft host resolves to a private address', async () => {
    const connected: string[] = []
    const { app: a } = testApp({}, {
      resolveHost: async () => ['127.0.0.1', '10.0.0.5'],
      // As the engine: the address is asked for when a connection is opened.
      sendMail: async (o) => {
        connected.push((await o.resolveAddress?.()) ?? '')
        throw new Error('not reached')
      },
    })
    const res = await postJson(
      a,
      '/api/send',
      send({ port: 587 }, {
        smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
      }),
    )
    expect((await error(res, 403, 'HOST_NOT_ALLOWED')).error.message).toContain('private')
    expect(connected).toEqual([])
  })

  it('connects to the public address it checked for a built-in host', async () => {
    const connected: string[] = []
    const { app: a } = testApp({}, {
      resolveHost: async () => ['192.168.1.1', '52.96.1.2'],
      sendMail: async (o) => {
        connected.push(`${o.host}@${await o.resolveAddress?.()}`)
        throw new SmtpError({
          stage: 'connect',
          kind: 'socket',
          message: 'connect ECONNREFUSED',
        })
      },
    })
    const res = await postJson(
      a,
      '/api/send',
      send({ port: 587 }, {
        smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
      }),
    )
    await error(res, 502, 'CONNECTION_FAILED')
    expect(connected).toEqual(['smtp.office365.com@52.96.1.2'])
  })

  it('resolves the host to open a connection, never for a send on a reused one', async () => {
    const looked: string[] = []
    const pool = createPool()
    const resolveHost = (host: string) => (looked.push(host), resolveAll(host))
    const { app: a } = app({}, { pool, resolveHost })
    try {
      const sent = async (over: Record<string, unknown> = {}, token = starttls.token) => {
        const res = await postJson(a, '/api/send', send({ ...starttls, token }, over))
        expect(res.status).toBe(200)
        return SendSuccess.parse(await res.json()).transcript
      }
      await sent()
      expect(looked).toEqual(['localhost'])
      // Reused: connected to the address checked when it was opened; nothing to resolve.
      expect((await sent()).some((l) => l.dir === 'I' && l.line.startsWith('reusing'))).toBe(true)
      expect(looked).toEqual(['localhost'])
      // A new connection (asked for, or for another token) resolves and checks again.
      await sent({ smtp: { host: 'localhost', port: starttls.port, security: 'starttls', reuse: false } })
      const renewed = `renewed-${crypto.randomUUID()}`
      starttls.tokens.add(renewed)
      await sent({}, renewed)
      expect(looked).toEqual(['localhost', 'localhost', 'localhost'])
    } finally {
      await pool.close()
    }
  })

  it('tries the next checked address when a connection is refused, IPv4 first', async () => {
    const { app: a } = app({}, { resolveHost: async () => ['::1', '127.0.0.2', '127.0.0.1'] })
    const res = await postJson(a, '/api/send', send(starttls))
    expect(res.status).toBe(200)
  })

  it('CONNECTION_FAILED when the name does not resolve', async () => {
    const { app: a } = testApp({ RELAY_SMTP_HOSTS: 'no-such-host.invalid:587' })
    const res = await postJson(
      a,
      '/api/send',
      send({ port: 587 }, {
        smtp: { host: 'no-such-host.invalid', port: 587, security: 'starttls' },
      }),
    )
    await error(res, 502, 'CONNECTION_FAILED')
  })

  it('PAYLOAD_TOO_LARGE for a body over the limit and for an encoded message over it', async () => {
    const { app: a } = app({ RELAY_MAX_MESSAGE_BYTES: '4096' })
    const huge = send(starttls, {
      message: {
        from: 'sender@contoso.example',
        to: ['a@contoso.example'],
        text: 'x'.repeat(300_000),
      },
    })
    await error(await postJson(a, '/api/send', huge), 413, 'PAYLOAD_TOO_LARGE')
    const big = send(starttls, {
      message: {
        from: 'sender@contoso.example',
        to: ['a@contoso.example'],
        text: 'y'.repeat(5000),
      },
    })
    await error(await postJson(a, '/api/send', big), 413, 'PAYLOAD_TOO_LARGE')
  })

  it('RATE_LIMITED with Retry-After per client address', async () => {
    const { app: a } = app({ RELAY_RATE_LIMIT: '2' })
    for (let i = 0; i < 2; i++) {
      await postJson(a, '/api/send', {}, { 'X-Test-Client': '198.51.100.7' })
    }
    const res = await postJson(a, '/api/send', {}, { 'X-Test-Client': '198.51.100.7' })
    await error(res, 429, 'RATE_LIMITED')
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0)
    const other = await postJson(a, '/api/send', {}, { 'X-Test-Client': '198.51.100.8' })
    expect(other.status).toBe(400)
  })

  it('rate-limits by the proxy-appended X-Forwarded-For entry when RELAY_TRUST_PROXY=1', async () => {
    const { app: a } = app({ RELAY_RATE_LIMIT: '1', RELAY_TRUST_PROXY: '1' })
    const via = (chain: string) => postJson(a, '/api/send', {}, { 'X-Forwarded-For': chain })
    expect((await via('203.0.113.9, 198.51.100.20')).status).toBe(400)
    // The client's own claim (first entry) changes nothing: the proxy's entry is the same.
    expect((await via('203.0.113.10, 198.51.100.20')).status).toBe(429)
    expect((await via('198.51.100.21')).status).toBe(400)
  })

  it('INTERNAL for an unexpected failure, without its message', async () => {
    const logs: Record<string, unknown>[] = []
    const { app: a } = app({}, {
      log: (l) => logs.push(l),
      sendMail: async () => {
        throw new Error('internal detail 42')
      },
    })
    const res = await postJson(a, '/api/send', send(starttls))
    const body = await error(res, 500, 'INTERNAL')
    expect(JSON.stringify(body)).not.toContain('internal detail')
    expect(JSON.stringify(logs)).not.toContain('internal detail')
  })

  it.each([
    ['malformed JSON', () => '{"smtp": ', undefined],
    [
      'a string port',
      () => send(starttls, { smtp: { host: 'localhost', port: '587', security: 'starttls' } }),
      'smtp.port',
    ],
    ['an unknown field', () => send(starttls, { extra: 1 }), 'extra'],
    [
      'CRLF in an address',
      () =>
        send(starttls, {
          message: { from: 'a@b.example', to: ['x@y.example\r\nBcc: z@evil.example'] },
        }),
      'message.to.0',
    ],
    [
      'no recipient',
      () => send(starttls, { message: { from: 'a@b.example', to: [], text: 'x' } }),
      'message.to',
    ],
  ])('INVALID_REQUEST with the path of the first bad field: %s', async (_what, body, path) => {
    const res = await postJson(app().app, '/api/send', body())
    expect((await error(res, 400, 'INVALID_REQUEST')).error.path).toBe(path)
  })

  it('INVALID_REQUEST for a body that is not JSON', async () => {
    const res = await app().app.request('/api/send', {
      method: 'POST',
      body: 'a=b',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    await error(res, 400, 'INVALID_REQUEST')
  })
})
