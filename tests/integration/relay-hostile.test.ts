/**
 * A catalogue of hostile inputs against the real relay process (Node and Deno): malformed JSON,
 * wrong types, header and command injection in every field, oversize bodies and messages, too
 * many recipients, non-allow-listed and private targets, plain text to a TLS host, bad base64,
 * unknown fields, foreign origins. Each is answered with its documented code, nothing reaches
 * the SMTP server, and the relay is healthy afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_STATUS, ErrorBody, type ErrorCode } from '../../src/lib/contract/api.ts'
import { type RelayProcess, startRelay } from '../helpers/relay-process.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp-peer.ts'
import { type ScriptedPeer, scriptedPeer, type Step } from '../helpers/smtp-peer-scripted.ts'
import { call } from './relay-fixtures.ts'

const MAX_MESSAGE_BYTES = 65_536
/** The built-in token host, for look-alike URLs. */
const MS = 'login.microsoftonline.com'
const TOKEN_PATH = '/t/oauth2/v2.0/token'

const GREETING = '220 mx.example ESMTP\r\n'
/** Binary garbage where the greeting should be: control bytes, invalid UTF-8, a NUL. */
const GARBAGE = Uint8Array.from([
  0x00, 0x01, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0xc3, 0x28, 0x80, 0x07, 0x08, 0x7f, 0x9b,
  ...Array.from({ length: 100 }, (_, i) => (i * 37 + 128) % 256),
  0x0d, 0x0a,
])

/** The server's side of a session up to its reply to MAIL FROM (EHLO offers nothing). */
const untilMail: Step[] = [
  { s: GREETING },
  { upto: '\r\n' }, // EHLO
  { s: '250 mx.example\r\n' },
  { upto: '\r\n' }, // MAIL FROM
]

/** SMTP servers that break the grammar or close the session, and what the relay must answer. */
const FAULTS: {
  name: string
  steps: Step[]
  code: ErrorCode
  stage: string
  /** The message must say this. */
  says?: RegExp
  /** An SMTP reply caused it: `error.smtp.code`. */
  smtp?: number
}[] = [
  {
    name: 'a reply line over 4 KiB',
    steps: [{ s: `220 ${'x'.repeat(5000)}\r\n` }],
    code: 'PROTOCOL_ERROR',
    stage: 'greeting',
    says: /4 KiB/,
  },
  {
    name: 'a reply of over 100 lines',
    steps: [
      { s: GREETING },
      { upto: '\r\n' },
      { s: '250-mx.example\r\n'.repeat(101) + '250 OK\r\n' },
    ],
    code: 'PROTOCOL_ERROR',
    stage: 'ehlo',
    says: /100 lines/,
  },
  {
    name: 'a malformed reply to the final dot',
    steps: [
      ...untilMail,
      { s: '250 2.1.0 OK\r\n' },
      { upto: '\r\n' }, // RCPT TO
      { s: '250 2.1.5 OK\r\n' },
      { upto: 'DATA\r\n' },
      { s: '354 go ahead\r\n' },
      { upto: '\r\n.\r\n' },
      { s: 'OK queued\r\n' },
    ],
    code: 'PROTOCOL_ERROR',
    stage: 'data',
    says: /"OK queued".*may have accepted it/s,
  },
  {
    name: 'binary garbage instead of replies',
    steps: [{ s: GARBAGE }],
    code: 'PROTOCOL_ERROR',
    stage: 'greeting',
    says: /not text/,
  },
  {
    name: '421 at MAIL FROM',
    steps: [...untilMail, { s: '421 mx.example Service closing transmission channel\r\n' }, {
      end: true,
    }],
    code: 'CONNECTION_FAILED',
    stage: 'mail',
    says: /temporarily unavailable.*closed the connection at MAIL FROM/s,
    smtp: 421,
  },
  {
    name: '421 4.3.2 at MAIL FROM (a Microsoft 365 reply)',
    steps: [...untilMail, { s: '421 4.3.2 Service not active\r\n' }, { end: true }],
    code: 'CONNECTION_FAILED',
    stage: 'mail',
    says: /closed the connection at MAIL FROM/,
    smtp: 421,
  },
]

let dir: string
let peer: SmtpPeer
let caFile: string
const faultPeers: ScriptedPeer[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailkey-hostile-'))
  peer = await startSmtpPeer()
  caFile = join(dir, 'ca.pem')
  await writeFile(caFile, peer.caPem)
  for (const f of FAULTS) faultPeers.push(await scriptedPeer(f.steps))
})

afterAll(async () => {
  await peer?.close()
  for (const p of faultPeers) await p.close()
  await rm(dir, { recursive: true, force: true })
})

type Json = Record<string, any>

const valid = (): Json => ({
  smtp: { host: 'localhost', port: peer.port, security: 'starttls' },
  auth: { type: 'xoauth2', user: peer.user, accessToken: peer.token },
  message: {
    from: peer.user,
    to: ['admin@contoso.example'],
    subject: 'hello',
    text: 'body',
    attachments: [{ filename: 'a.txt', contentType: 'text/plain', contentBase64: 'aGVsbG8=' }],
  },
})

/** A valid send with one change applied. */
const send = (change: (b: Json) => void) => () => {
  const b = valid()
  change(b)
  return b
}

const validToken = (): Json => ({
  tokenEndpoint: 'https://localhost:9/t/oauth2/v2.0/token',
  clientId: 'client',
  clientSecret: 'secret',
  scope: 'https://outlook.office.com/SMTP.Send offline_access',
  grant: { type: 'refresh_token', refreshToken: 'rt' },
})
const token = (change: (b: Json) => void) => () => {
  const b = validToken()
  change(b)
  return b
}

const addresses = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@contoso.example`)

interface Case {
  name: string
  path?: string
  method?: 'GET' | 'POST'
  body?: () => unknown
  headers?: Record<string, string>
  code: ErrorCode
  /** The `path` the error must name. */
  field?: string
}

const CASES: Case[] = [
  // Malformed bodies
  { name: 'malformed JSON', body: () => '{', code: 'INVALID_REQUEST' },
  { name: 'truncated JSON', body: () => '{"smtp":{"host":', code: 'INVALID_REQUEST' },
  { name: 'JSON array', body: () => '[]', code: 'INVALID_REQUEST' },
  { name: 'JSON null', body: () => 'null', code: 'INVALID_REQUEST' },
  { name: 'JSON string', body: () => '"hello"', code: 'INVALID_REQUEST' },
  { name: 'empty body', body: () => '', code: 'INVALID_REQUEST' },
  {
    name: 'deeply nested JSON',
    body: () => '['.repeat(100_000) + ']'.repeat(100_000),
    code: 'INVALID_REQUEST',
  },
  {
    name: 'JSON sent as text/plain',
    body: () => JSON.stringify(valid()),
    headers: { 'Content-Type': 'text/plain' },
    code: 'INVALID_REQUEST',
  },
  { name: 'wrong method', method: 'GET', code: 'INVALID_REQUEST' },
  // Wrong types and values
  {
    name: 'missing smtp',
    body: send((b) => delete b.smtp),
    code: 'INVALID_REQUEST',
    field: 'smtp',
  },
  {
    name: 'port as string',
    body: send((b) => (b.smtp.port = '587')),
    code: 'INVALID_REQUEST',
    field: 'smtp.port',
  },
  {
    name: 'port 0',
    body: send((b) => (b.smtp.port = 0)),
    code: 'INVALID_REQUEST',
    field: 'smtp.port',
  },
  {
    name: 'port 70000',
    body: send((b) => (b.smtp.port = 70000)),
    code: 'INVALID_REQUEST',
    field: 'smtp.port',
  },
  {
    name: 'fractional port',
    body: send((b) => (b.smtp.port = 587.5)),
    code: 'INVALID_REQUEST',
    field: 'smtp.port',
  },
  {
    name: 'unknown security',
    body: send((b) => (b.smtp.security = 'ssl')),
    code: 'INVALID_REQUEST',
    field: 'smtp.security',
  },
  {
    name: 'URL as host',
    body: send((b) => (b.smtp.host = 'https://smtp.office365.com')),
    code: 'INVALID_REQUEST',
    field: 'smtp.host',
  },
  {
    name: 'unknown auth type',
    body: send((b) => (b.auth.type = 'cram-md5')),
    code: 'INVALID_REQUEST',
    field: 'auth.type',
  },
  {
    name: 'missing access token',
    body: send((b) => delete b.auth.accessToken),
    code: 'INVALID_REQUEST',
    field: 'auth.accessToken',
  },
  {
    name: 'text as object',
    body: send((b) => (b.message.text = { a: 1 })),
    code: 'INVALID_REQUEST',
    field: 'message.text',
  },
  {
    name: 'not an address',
    body: send((b) => (b.message.from = 'not-an-address')),
    code: 'INVALID_REQUEST',
    field: 'message.from',
  },
  // Injection: CR, LF and NUL in every header field, address, file name and SMTP argument
  {
    name: 'CRLF in host',
    body: send((b) => (b.smtp.host = 'localhost\r\nMAIL FROM:<x@y>')),
    code: 'INVALID_REQUEST',
    field: 'smtp.host',
  },
  {
    name: 'NUL in host',
    body: send((b) => (b.smtp.host = 'localhost\0')),
    code: 'INVALID_REQUEST',
    field: 'smtp.host',
  },
  {
    name: 'CRLF in access token',
    body: send((b) => (b.auth.accessToken = 'tok\r\nRCPT TO:<x@evil.example>')),
    code: 'INVALID_REQUEST',
    field: 'auth.accessToken',
  },
  {
    name: 'CRLF in user',
    body: send((b) => (b.auth.user = 'a@b.example\r\nQUIT')),
    code: 'INVALID_REQUEST',
    field: 'auth.user',
  },
  {
    name: 'SASL separator (^A) in XOAUTH2 user',
    body: send((b) => (b.auth.user = 'a@b.example\x01auth=Bearer other')),
    code: 'INVALID_REQUEST',
    field: 'auth.user',
  },
  {
    name: 'space in access token',
    body: send((b) => (b.auth.accessToken = 'tok other')),
    code: 'INVALID_REQUEST',
    field: 'auth.accessToken',
  },
  {
    name: 'NUL in password',
    body: send((b) => (b.auth = { type: 'plain', user: 'u', password: 'p\0w' })),
    code: 'INVALID_REQUEST',
    field: 'auth.password',
  },
  {
    name: 'CRLF in from',
    body: send((b) => (b.message.from = 'a@b.example\r\nBcc: z@evil.example')),
    code: 'INVALID_REQUEST',
    field: 'message.from',
  },
  {
    name: 'LF in to',
    body: send((b) => (b.message.to = ['a@b.example\nBcc: z@evil.example'])),
    code: 'INVALID_REQUEST',
    field: 'message.to.0',
  },
  {
    name: 'NUL in to',
    body: send((b) => (b.message.to = ['a\0@b.example'])),
    code: 'INVALID_REQUEST',
    field: 'message.to.0',
  },
  {
    name: 'CR in cc',
    body: send((b) => (b.message.cc = ['a@b.example\rX: y'])),
    code: 'INVALID_REQUEST',
    field: 'message.cc.0',
  },
  {
    name: 'CRLF in bcc',
    body: send((b) => (b.message.bcc = ['a@b.example\r\n'])),
    code: 'INVALID_REQUEST',
    field: 'message.bcc.0',
  },
  {
    name: 'CRLF in display name',
    body: send((b) => (b.message.to = ['Eve\r\nBcc: z@evil.example <a@b.example>'])),
    code: 'INVALID_REQUEST',
    field: 'message.to.0',
  },
  {
    name: 'CRLF in subject',
    body: send((b) => (b.message.subject = 'Hi\r\nBcc: z@evil.example')),
    code: 'INVALID_REQUEST',
    field: 'message.subject',
  },
  {
    name: 'LF in subject',
    body: send((b) => (b.message.subject = 'Hi\nX-Evil: 1')),
    code: 'INVALID_REQUEST',
    field: 'message.subject',
  },
  {
    name: 'CRLF in file name',
    body: send((b) => (b.message.attachments[0].filename = 'a.txt\r\nContent-Type: text/html')),
    code: 'INVALID_REQUEST',
    field: 'message.attachments.0.filename',
  },
  {
    name: 'NUL in file name',
    body: send((b) => (b.message.attachments[0].filename = 'a\0.txt')),
    code: 'INVALID_REQUEST',
    field: 'message.attachments.0.filename',
  },
  {
    name: 'CRLF in content type',
    body: send((b) => (b.message.attachments[0].contentType = 'text/plain\r\nX: y')),
    code: 'INVALID_REQUEST',
    field: 'message.attachments.0.contentType',
  },
  {
    name: 'bad content type',
    body: send((b) => (b.message.attachments[0].contentType = 'pdf')),
    code: 'INVALID_REQUEST',
    field: 'message.attachments.0.contentType',
  },
  // Attachments' base64
  {
    name: 'base64 with bad characters',
    body: send((b) => (b.message.attachments[0].contentBase64 = '!!!!')),
    code: 'INVALID_REQUEST',
    field: 'message.attachments.0.contentBase64',
  },
  {
    name: 'base64 with spaces',
    body: send((b) => (b.message.attachments[0].contentBase64 = 'aGVs bG8=')),
    code: 'INVALID_REQUEST',
    field: 'message.attachments.0.contentBase64',
  },
  {
    name: 'base64 without padding',
    body: send((b) => (b.message.attachments[0].contentBase64 = 'aGVsbG8')),
    code: 'INVALID_REQUEST',
    field: 'message.attachments.0.contentBase64',
  },
  {
    name: 'too many attachments',
    body: send((b) => (b.message.attachments = Array(21).fill(b.message.attachments[0]))),
    code: 'INVALID_REQUEST',
    field: 'message.attachments',
  },
  // Recipients
  {
    name: '101 recipients in to',
    body: send((b) => (b.message.to = addresses(101))),
    code: 'INVALID_REQUEST',
    field: 'message.to',
  },
  {
    name: '101 recipients across to and cc',
    body: send((b) => {
      b.message.to = addresses(60)
      b.message.cc = addresses(41)
    }),
    code: 'INVALID_REQUEST',
    field: 'message.to',
  },
  {
    name: 'no recipient',
    body: send((b) => (b.message.to = [])),
    code: 'INVALID_REQUEST',
    field: 'message.to',
  },
  // Unknown fields (no option may loosen checks)
  {
    name: 'unknown top-level field',
    body: send((b) => (b.debug = true)),
    code: 'INVALID_REQUEST',
    field: 'debug',
  },
  {
    name: 'rejectUnauthorized in smtp',
    body: send((b) => (b.smtp.rejectUnauthorized = false)),
    code: 'INVALID_REQUEST',
    field: 'smtp.rejectUnauthorized',
  },
  {
    name: 'raw headers in message',
    body: send((b) => (b.message.headers = { Bcc: 'z@evil.example' })),
    code: 'INVALID_REQUEST',
    field: 'message.headers',
  },
  {
    name: '__proto__ key',
    body: () => JSON.stringify(valid()).replace('{', '{"__proto__":{"admin":true},'),
    code: 'INVALID_REQUEST',
  },
  // Size
  {
    name: 'body over the limit',
    body: send((b) => (b.message.text = 'x'.repeat(MAX_MESSAGE_BYTES + 300_000))),
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'encoded message over the limit',
    body: send((
      b,
    ) => (b.message.attachments[0].contentBase64 = Buffer.alloc(MAX_MESSAGE_BYTES).toString(
      'base64',
    ))),
    code: 'PAYLOAD_TOO_LARGE',
  },
  // Targets
  {
    name: 'host not allow-listed',
    body: send((b) => (b.smtp = { host: 'smtp.gmail.com', port: 587, security: 'starttls' })),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'allow-listed host, other port',
    body: send((b) => (b.smtp.port = 25)),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'private address',
    body: send((b) => (b.smtp.host = '10.0.0.1')),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'loopback by address',
    body: send((b) => (b.smtp.host = '127.0.0.1')),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'IPv6 loopback',
    body: send((b) => (b.smtp = { host: '[::1]', port: 25, security: 'starttls' })),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'cloud metadata address',
    body: send((b) => (b.smtp = { host: '169.254.169.254', port: 80, security: 'tls' })),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'security none to a TLS host',
    body: send((b) => (b.smtp.security = 'none')),
    code: 'HOST_NOT_ALLOWED',
    field: 'smtp.security',
  },
  // Origins
  {
    name: 'foreign origin',
    body: valid,
    headers: { Origin: 'https://evil.example' },
    code: 'ORIGIN_NOT_ALLOWED',
  },
  { name: 'null origin', body: valid, headers: { Origin: 'null' }, code: 'ORIGIN_NOT_ALLOWED' },
  // Token endpoint
  {
    name: 'token: http endpoint',
    path: '/api/token',
    body: token((b) => (b.tokenEndpoint = 'http://localhost:9/t/oauth2/v2.0/token')),
    code: 'INVALID_REQUEST',
    field: 'tokenEndpoint',
  },
  {
    name: 'token: not allow-listed',
    path: '/api/token',
    body: token((b) => (b.tokenEndpoint = 'https://evil.example/t/oauth2/v2.0/token')),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'token: allow-listed name as a prefix of another host',
    path: '/api/token',
    body: token((b) => (b.tokenEndpoint = `https://${MS}.evil.example${TOKEN_PATH}`)),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'token: allow-listed name as userinfo',
    path: '/api/token',
    body: token((b) => (b.tokenEndpoint = `https://${MS}@evil.example${TOKEN_PATH}`)),
    code: 'INVALID_REQUEST',
    field: 'tokenEndpoint',
  },
  {
    name: 'token: backslash before the allow-listed name',
    path: '/api/token',
    body: token((b) => (b.tokenEndpoint = `https://evil.example\\@${MS}${TOKEN_PATH}`)),
    code: 'INVALID_REQUEST',
    field: 'tokenEndpoint',
  },
  {
    name: 'token: metadata address',
    path: '/api/token',
    body: token((b) => (b.tokenEndpoint = 'https://169.254.169.254/t/oauth2/v2.0/token')),
    code: 'HOST_NOT_ALLOWED',
  },
  {
    name: 'token: not a token path',
    path: '/api/token',
    body: token((b) => (b.tokenEndpoint = 'https://localhost:9/t/oauth2/v2.0/authorize')),
    code: 'INVALID_REQUEST',
    field: 'tokenEndpoint',
  },
  {
    name: 'token: credentials in URL',
    path: '/api/token',
    body: token((b) => (b.tokenEndpoint = 'https://a:b@localhost:9/t/oauth2/v2.0/token')),
    code: 'INVALID_REQUEST',
    field: 'tokenEndpoint',
  },
  {
    name: 'token: CRLF in secret',
    path: '/api/token',
    body: token((b) => (b.clientSecret = 's\r\nx')),
    code: 'INVALID_REQUEST',
    field: 'clientSecret',
  },
  // A lone UTF-16 surrogate has no UTF-8 form: refused in every string field
  {
    name: 'token: lone surrogate in secret',
    path: '/api/token',
    body: token((b) => (b.clientSecret = 'sec\ud800ret')),
    code: 'INVALID_REQUEST',
    field: 'clientSecret',
  },
  {
    name: 'token: lone surrogate in client ID',
    path: '/api/token',
    body: token((b) => (b.clientId = '\udc00')),
    code: 'INVALID_REQUEST',
    field: 'clientId',
  },
  {
    name: 'token: lone surrogate in refresh token',
    path: '/api/token',
    body: token((b) => (b.grant.refreshToken = 'rt\udbff')),
    code: 'INVALID_REQUEST',
    field: 'grant.refreshToken',
  },
  {
    name: 'lone surrogate in subject',
    body: send((b) => (b.message.subject = '件名\ud83d')),
    code: 'INVALID_REQUEST',
    field: 'message.subject',
  },
  {
    name: 'lone surrogate in text',
    body: send((b) => (b.message.text = 'body \ude00 text')),
    code: 'INVALID_REQUEST',
    field: 'message.text',
  },
  {
    name: 'lone surrogate in display name',
    body: send((b) => (b.message.to = ['\ud800 <a@b.example>'])),
    code: 'INVALID_REQUEST',
    field: 'message.to.0',
  },
  {
    name: 'lone surrogate in password',
    body: send((b) => (b.auth = { type: 'plain', user: 'u', password: 'p\udfffw' })),
    code: 'INVALID_REQUEST',
    field: 'auth.password',
  },
  {
    name: 'token: client credentials grant',
    path: '/api/token',
    body: token((b) => (b.grant = { type: 'client_credentials' })),
    code: 'INVALID_REQUEST',
    field: 'grant.type',
  },
  {
    name: 'token: oversize',
    path: '/api/token',
    body: token((b) => (b.clientId = 'x'.repeat(70_000))),
    code: 'PAYLOAD_TOO_LARGE',
  },
]

describe.each(['node', 'deno'] as const)('hostile inputs against the relay on %s', (runtime) => {
  let relay: RelayProcess

  beforeAll(async () => {
    const faults = faultPeers.map((p) => `localhost:${p.port}`).join(',')
    relay = await startRelay({
      runtime,
      env: {
        RELAY_SMTP_HOSTS: `localhost:${peer.port},${faults}`,
        RELAY_PLAINTEXT_HOSTS: faults,
        RELAY_TOKEN_HOSTS: 'localhost:9',
        RELAY_CA_FILE: caFile,
        RELAY_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
        RELAY_RATE_LIMIT: '10000',
        RELAY_STATIC_DIR: join(dir, 'no-page'),
      },
    })
  })

  afterAll(async () => {
    expect(await relay?.stop()).toBe(0)
  })

  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40)
  })

  it.each(CASES)('$name → $code', async (c) => {
    const before = peer.messages.length
    const res = await call(
      relay.url,
      c.path ?? '/api/send',
      c.method === 'GET' ? undefined : c.body?.(),
      c.headers,
    )
    const body = ErrorBody.parse(res.json)
    expect({ status: res.status, code: body.error.code }).toEqual({
      status: ERROR_STATUS[c.code],
      code: c.code,
    })
    if (c.field !== undefined) expect(body.error.path).toBe(c.field)
    expect(body.error.message.length).toBeGreaterThan(0)
    expect(peer.messages.length).toBe(before)
  })

  it.each(FAULTS.map((f, i) => ({ ...f, i })))(
    'an SMTP server sending $name → $code at $stage',
    async (f) => {
      const res = await call(relay.url, '/api/send', {
        smtp: { host: 'localhost', port: faultPeers[f.i]?.port, security: 'none' },
        auth: { type: 'none' },
        message: { from: 'a@contoso.example', to: ['b@contoso.example'], subject: 's', text: 't' },
      })
      const body = ErrorBody.parse(res.json)
      expect({ status: res.status, code: body.error.code, stage: body.error.stage }).toEqual({
        status: ERROR_STATUS[f.code],
        code: f.code,
        stage: f.stage,
      })
      if (f.says) expect(body.error.message).toMatch(f.says)
      expect(body.error.smtp?.code).toBe(f.smtp)
      // Only printable text of the server's bytes, and not much of it.
      expect(body.error.message).toMatch(/^[\x20-\x7e…]*$/)
      expect(body.error.message.length).toBeLessThan(600)
      expect(body.error.hint?.length).toBeGreaterThan(0)
      expect(body.transcript?.length).toBeGreaterThan(0)
    },
  )

  it('chunked body over the limit (no Content-Length) → PAYLOAD_TOO_LARGE', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Twice the limit plus the JSON allowance, then stop: the relay must refuse before.
        if (sent > 2 * (MAX_MESSAGE_BYTES + 256 * 1024)) return controller.close()
        sent += chunk.byteLength
        controller.enqueue(chunk)
      },
    })
    const res = await fetch(`${relay.url}/api/send`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect(ErrorBody.parse(await res.json()).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('is healthy afterwards and still sends', async () => {
    expect((await call(relay.url, '/api/health')).status).toBe(200)
    const res = await call(relay.url, '/api/send', valid())
    expect(res.status).toBe(200)
    expect(relay.exitCode()).toBeNull()
  })
})

describe('a flood from one address', () => {
  it('is answered RATE_LIMITED with Retry-After, the relay stays up', async () => {
    const relay = await startRelay({ runtime: 'node', env: { RELAY_RATE_LIMIT: '3' } })
    try {
      const codes: number[] = []
      for (let i = 0; i < 6; i++) codes.push((await call(relay.url, '/api/send', '{')).status)
      expect(codes).toEqual([400, 400, 400, 429, 429, 429])
      const res = await call(relay.url, '/api/token', '{')
      expect(res.status).toBe(400)
      const limited = await call(relay.url, '/api/send', '{')
      expect(ErrorBody.parse(limited.json).error.code).toBe('RATE_LIMITED')
      expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0)
      expect((await call(relay.url, '/api/health')).status).toBe(200)
    } finally {
      await relay.stop()
    }
  })
})
