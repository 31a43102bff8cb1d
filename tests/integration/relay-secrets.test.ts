/**
 * Known secrets (access tokens, passwords, client secrets, codes, refresh tokens, PKCE
 * verifiers) sent through every route of the real relay process, on Node and on Deno,
 * succeeding and failing in every way a request can: none of them may appear in any answer or
 * anywhere in the process's output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SandboxInfo } from '../../src/lib/contract/api.ts'
import { startSandbox } from '../../relay/src/sandbox/index.ts'
import type { SandboxHandle } from '../../relay/src/sandbox/types.ts'
import { type RelayProcess, startRelay } from '../helpers/relay-process.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp-peer.ts'
import { call, SMTP_SCOPE, WEB_REDIRECT } from './relay-fixtures.ts'

const rand = (label: string) =>
  `${label}-${crypto.randomUUID()}${crypto.randomUUID()}`.replace(/-/g, '')

let dir: string
let peer: SmtpPeer
let plain: SmtpPeer
let sandbox: SandboxHandle
let caFile: string
const SECRET_NAMES = [
  'goodToken',
  'goodPassword',
  'badToken',
  'badPassword',
  'clientSecret',
  'code',
  'codeVerifier',
  'refreshToken',
  'bearer',
] as const
let secrets: Record<(typeof SECRET_NAMES)[number], string>

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailkey-secrets-'))
  peer = await startSmtpPeer()
  plain = await startSmtpPeer({ server: { allowInsecureAuth: true, hideSTARTTLS: true } })
  sandbox = await startSandbox({
    dataDir: dir,
    publicOrigin: 'http://localhost:5173',
    idpPort: 0,
    smtpPort: 0,
  })
  caFile = join(dir, 'ca.pem')
  await writeFile(caFile, [peer.caPem, plain.caPem, sandbox.caPem].join('\n'))
  secrets = {
    goodToken: peer.token,
    goodPassword: plain.password,
    badToken: rand('badtoken'),
    badPassword: rand('badpassword'),
    clientSecret: `${rand('secret')}~.+/=&%`,
    code: rand('code'),
    codeVerifier: rand('verifier'),
    refreshToken: rand('refresh'),
    bearer: rand('bearer'),
  }
})

afterAll(async () => {
  await Promise.all([peer?.close(), plain?.close(), sandbox?.close()])
  await rm(dir, { recursive: true, force: true })
})

type Json = Record<string, any>

describe.each(['node', 'deno'] as const)('secrets through the relay on %s', (runtime) => {
  let relay: RelayProcess
  const answers: string[] = []

  beforeAll(async () => {
    relay = await startRelay({
      runtime,
      env: {
        RELAY_SMTP_HOSTS: `localhost:${peer.port}`,
        RELAY_PLAINTEXT_HOSTS: `localhost:${plain.port}`,
        RELAY_TOKEN_HOSTS: sandbox.tokenHost,
        RELAY_CA_FILE: caFile,
        RELAY_MAX_MESSAGE_BYTES: '65536',
        RELAY_STATIC_DIR: join(dir, 'no-page'),
      },
    })
  })

  afterAll(async () => {
    await relay?.stop()
  })

  const send = (
    auth: Json,
    smtp: Json = { host: 'localhost', port: peer.port, security: 'starttls' },
    message?: Json,
  ) => ({
    smtp,
    auth,
    message: message ?? { from: peer.user, to: ['admin@contoso.example'], subject: 's', text: 't' },
  })
  const xoauth2 = (accessToken: string) => ({ type: 'xoauth2', user: peer.user, accessToken })
  const tokenRequest = (grant: Json, over: Json = {}) => {
    const info = sandbox.info as SandboxInfo
    return {
      tokenEndpoint: info.tokenEndpoint,
      clientId: info.clientId,
      clientSecret: secrets.clientSecret,
      scope: SMTP_SCOPE,
      grant,
      ...over,
    }
  }
  const codeGrant = () => ({
    type: 'authorization_code',
    code: secrets.code,
    codeVerifier: secrets.codeVerifier,
    redirectUri: WEB_REDIRECT,
  })

  /** Every route, each way it can end; [label, path, body, headers, expected status]. */
  const requests = (): [string, string, unknown, Record<string, string>, number][] => {
    const s = secrets
    const plainSmtp = { host: 'localhost', port: plain.port, security: 'none' }
    return [
      ['send ok (xoauth2)', '/api/send', send(xoauth2(s.goodToken)), {}, 200],
      [
        'send ok (plain, plaintext host)',
        '/api/send',
        send({ type: 'plain', user: plain.user, password: s.goodPassword }, plainSmtp),
        {},
        200,
      ],
      [
        'send ok (login)',
        '/api/send',
        send({ type: 'login', user: plain.user, password: s.goodPassword }, plainSmtp),
        {},
        200,
      ],
      ['send bad token', '/api/send', send(xoauth2(s.badToken)), {}, 502],
      [
        'send bad password',
        '/api/send',
        send({ type: 'plain', user: plain.user, password: s.badPassword }, plainSmtp),
        {},
        502,
      ],
      [
        'send oauthbearer unavailable',
        '/api/send',
        send({ type: 'oauthbearer', user: peer.user, accessToken: s.badToken }),
        {},
        502,
      ],
      ['send token with CRLF', '/api/send', send(xoauth2(`${s.badToken}\r\nQUIT`)), {}, 400],
      [
        'send token in bad field',
        '/api/send',
        { ...send(xoauth2(s.badToken)), extra: s.badToken },
        {},
        400,
      ],
      [
        'send truncated JSON',
        '/api/send',
        `{"auth":{"type":"xoauth2","accessToken":"${s.badToken}"`,
        {},
        400,
      ],
      [
        'send host not allowed',
        '/api/send',
        send(xoauth2(s.badToken), { host: 'smtp.example.com', port: 587, security: 'starttls' }),
        {},
        403,
      ],
      [
        'send none to TLS host',
        '/api/send',
        send({ type: 'plain', user: 'u', password: s.badPassword }, {
          host: 'localhost',
          port: peer.port,
          security: 'none',
        }),
        {},
        403,
      ],
      [
        'send oversize',
        '/api/send',
        send(xoauth2(s.badToken), undefined, {
          from: peer.user,
          to: ['a@b.example'],
          text: s.badToken.repeat(12000),
        }),
        {},
        413,
      ],
      ['send foreign origin', '/api/send', send(xoauth2(s.badToken)), {
        Origin: 'https://evil.example',
      }, 403],
      [
        'send with Authorization header',
        '/api/send',
        '{',
        { Authorization: `Bearer ${s.bearer}` },
        400,
      ],
      ['token code refused', '/api/token', tokenRequest(codeGrant()), {}, 502],
      [
        'token refresh refused',
        '/api/token',
        tokenRequest({ type: 'refresh_token', refreshToken: s.refreshToken }),
        {},
        502,
      ],
      [
        'token unknown client',
        '/api/token',
        tokenRequest(codeGrant(), { clientId: 'no-such-client' }),
        {},
        502,
      ],
      [
        'token host not allowed',
        '/api/token',
        tokenRequest(codeGrant(), { tokenEndpoint: 'https://evil.example/t/oauth2/v2.0/token' }),
        {},
        403,
      ],
      [
        'token bad path',
        '/api/token',
        tokenRequest(codeGrant(), { tokenEndpoint: 'https://evil.example/t/authorize' }),
        {},
        400,
      ],
      [
        'token secret with CRLF',
        '/api/token',
        tokenRequest(codeGrant(), { clientSecret: `${s.clientSecret}\r\n` }),
        {},
        400,
      ],
      [
        'token truncated JSON',
        '/api/token',
        `{"clientSecret":"${s.clientSecret}","grant":{"code":"${s.code}"`,
        {},
        400,
      ],
      [
        'token oversize',
        '/api/token',
        tokenRequest(codeGrant(), { scope: s.refreshToken.repeat(1000) }),
        {},
        413,
      ],
      ['health with query', `/api/health?access_token=${s.bearer}`, undefined, {}, 200],
      [
        'config with header',
        '/api/config',
        undefined,
        { Authorization: `Bearer ${s.bearer}` },
        200,
      ],
      ['unknown route', '/api/nope', { token: s.bearer }, {}, 404],
    ]
  }

  it('answers every request as expected', async () => {
    for (const [label, path, body, headers, status] of requests()) {
      const res = await call(relay.url, path, body, headers)
      answers.push(`${label}\n${[...res.headers].join('\n')}\n${res.text}`)
      expect({ label, status: res.status }).toEqual({ label, status })
    }
  })

  it('never shows a secret in an answer or in the output', async () => {
    expect(answers.length).toBeGreaterThan(20)
    const exitCode = await relay.stop()
    expect(exitCode).toBe(0)
    const output = relay.output()
    expect(output.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThanOrEqual(
      answers.length,
    )
    for (const [name, value] of Object.entries(secrets)) {
      // The base64 of a secret would hide it from a plain search: look for that too.
      const forms = [
        value,
        Buffer.from(value).toString('base64'),
        encodeURIComponent(value),
        new URLSearchParams({ value }).toString().slice('value='.length),
      ]
      for (const form of forms) {
        expect(output.includes(form), `${name} in the output`).toBe(false)
        for (const answer of answers) {
          expect(answer.includes(form), `${name} in: ${answer.split('\n')[0]}`).toBe(false)
        }
      }
    }
  })
})
