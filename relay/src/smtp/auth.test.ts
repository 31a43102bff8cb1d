import { Buffer } from 'node:buffer'
import { afterEach, describe, expect, it } from 'vitest'
import { CLIENT, ehloReply, GREETING, options } from '../../../tests/helpers/smtp-peer-kit.ts'
import {
  type ScriptedPeer,
  scriptedPeer,
  type Step,
} from '../../../tests/helpers/smtp-peer-scripted.ts'
import { sendMail, SmtpError } from './index.ts'
import type { SendAuth, SendOptions } from './types.ts'

let peer: ScriptedPeer | undefined
afterEach(async () => {
  await peer?.close()
  peer = undefined
})

const USER = 'sender@contoso.example'
const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-token-payload.signature'
const PASSWORD = 'correct horse battery staple'
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const ERROR_JSON =
  '{"status":"401","schemes":"bearer","scope":"https://outlook.office.com/SMTP.Send"}'

/** Greeting and EHLO offering AUTH, then `steps`; plain text allowed (the peer has no TLS). */
async function run(auth: SendAuth, steps: Step[], extra: Partial<SendOptions> = {}) {
  peer = await scriptedPeer([
    { s: GREETING },
    { c: `EHLO ${CLIENT}\r\n` },
    { s: ehloReply('PIPELINING', 'AUTH LOGIN PLAIN XOAUTH2 OAUTHBEARER') },
    ...steps,
  ])
  const result = await sendMail(options(peer.port, { auth, allowPlaintextAuth: true, ...extra }))
    .catch((e: unknown) => e)
  return { result, outcome: await peer.done }
}

const SEND: Step[] = [
  { c: 'MAIL FROM:<from@example.com>\r\nRCPT TO:<to@example.com>\r\nDATA\r\n' },
  { s: '250 ok\r\n250 ok\r\n354 go\r\n' },
  { c: 'Subject: t\r\n\r\nhi\r\n.\r\nQUIT\r\n' },
  { s: '250 ok\r\n' },
  { end: true },
]

/** Neither the transcript nor the message of a result or error holds a secret. */
function expectNoSecret(result: unknown, ...secrets: string[]) {
  const text = JSON.stringify(result) + String((result as Error).message ?? '')
  for (const secret of secrets) expect(text).not.toContain(secret)
}

const xoauth2 = { type: 'xoauth2', user: USER, accessToken: TOKEN } as const
const XOAUTH2_IR = b64(`user=${USER}\x01auth=Bearer ${TOKEN}\x01\x01`)

describe('AUTH XOAUTH2', () => {
  it('sends the initial response on the AUTH line and shows it as ****', async () => {
    const { result, outcome } = await run(xoauth2, [{ c: `AUTH XOAUTH2 ${XOAUTH2_IR}\r\n` }, {
      s: '235 2.7.0 Authentication successful\r\n',
    }, ...SEND])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect((result as { transcript: unknown[] }).transcript).toContainEqual({
      dir: 'C',
      line: 'AUTH XOAUTH2 ****',
    })
    expectNoSecret(result, TOKEN, XOAUTH2_IR)
  })

  it('answers the error challenge with an empty line and keeps its JSON', async () => {
    const { result, outcome } = await run(xoauth2, [
      { c: `AUTH XOAUTH2 ${XOAUTH2_IR}\r\n` },
      { s: `334 ${b64(ERROR_JSON)}\r\n` },
      { c: '\r\n' },
      { s: '535 5.7.3 Authentication unsuccessful [SN2PR00CA0018]\r\n' },
    ])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toBeInstanceOf(SmtpError)
    expect(result).toMatchObject({
      kind: 'reply',
      transient: false,
      stage: 'auth',
      command: 'AUTH XOAUTH2 ****',
      reply: {
        code: 535,
        enhanced: '5.7.3',
        lines: ['Authentication unsuccessful [SN2PR00CA0018]'],
      },
      saslChallenge: JSON.parse(ERROR_JSON),
    })
    const transcript = (result as SmtpError).transcript
    expect(transcript.slice(-4)).toEqual([
      { dir: 'C', line: 'AUTH XOAUTH2 ****' },
      { dir: 'S', line: `334 ${b64(ERROR_JSON)}` },
      { dir: 'C', line: '****' },
      { dir: 'S', line: '535 5.7.3 Authentication unsuccessful [SN2PR00CA0018]' },
    ])
    expectNoSecret(result, TOKEN, XOAUTH2_IR)
  })

  it('scrubs a token that the server echoes back', async () => {
    const { result } = await run(xoauth2, [{ c: `AUTH XOAUTH2 ${XOAUTH2_IR}\r\n` }, {
      s: `535 5.7.3 bad token ${TOKEN}\r\n`,
    }])
    expect((result as Error).message).toContain('bad token ****')
    expectNoSecret(result, TOKEN)
  })

  it('fails as unavailable at auth when the server does not offer it', async () => {
    peer = await scriptedPeer([{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }, {
      s: ehloReply('AUTH LOGIN PLAIN'),
    }])
    const result = await sendMail(options(peer.port, { auth: xoauth2, allowPlaintextAuth: true }))
      .catch((e: unknown) => e)
    expect(await peer.done).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({ kind: 'unavailable', stage: 'auth', transient: false })
    expect((result as Error).message).toContain('LOGIN, PLAIN')
  })

  it('never sends credentials without TLS unless the host is allowed plain text', async () => {
    peer = await scriptedPeer([{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }, {
      s: ehloReply('AUTH XOAUTH2'),
    }])
    const result = await sendMail(options(peer.port, { auth: xoauth2 })).catch((e: unknown) => e)
    expect(await peer.done).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({ stage: 'auth', kind: 'unavailable' })
  })
})

describe('AUTH OAUTHBEARER (RFC 7628)', () => {
  const auth = { type: 'oauthbearer', user: 'a,b=c@example.com', accessToken: TOKEN } as const
  const IR = b64(`n,a=a=2Cb=3Dc@example.com,\x01auth=Bearer ${TOKEN}\x01\x01`)

  it('sends the GS2 header with the escaped user', async () => {
    const { outcome } = await run(auth, [
      { c: `AUTH OAUTHBEARER ${IR}\r\n` },
      { s: '235 ok\r\n' },
      ...SEND,
    ])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
  })

  it('answers the error challenge with ^A', async () => {
    const { result, outcome } = await run(auth, [
      { c: `AUTH OAUTHBEARER ${IR}\r\n` },
      { s: `334 ${b64('{"status":"invalid_token"}')}\r\n` },
      { c: `${b64('\x01')}\r\n` },
      { s: '535 5.7.8 Authentication credentials invalid\r\n' },
    ])
    expect(outcome.ok).toBe(true)
    expect(result).toMatchObject({
      kind: 'reply',
      stage: 'auth',
      saslChallenge: { status: 'invalid_token' },
    })
    expectNoSecret(result, TOKEN, IR)
  })
})

describe('AUTH PLAIN and LOGIN', () => {
  const plain = { type: 'plain', user: USER, password: PASSWORD } as const
  const login = { type: 'login', user: USER, password: PASSWORD } as const
  const PLAIN_IR = b64(`\0${USER}\0${PASSWORD}`)

  it('PLAIN: initial response with an empty authorization identity', async () => {
    const { result, outcome } = await run(plain, [{ c: `AUTH PLAIN ${PLAIN_IR}\r\n` }, {
      s: '235 ok\r\n',
    }, ...SEND])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expectNoSecret(result, PASSWORD, PLAIN_IR)
  })

  it('PLAIN: a refusal is a reply failure at auth', async () => {
    const { result } = await run(plain, [{ c: `AUTH PLAIN ${PLAIN_IR}\r\n` }, {
      s: '535 5.7.139 Authentication unsuccessful, basic authentication is disabled\r\n',
    }])
    expect(result).toMatchObject({ kind: 'reply', stage: 'auth', reply: { enhanced: '5.7.139' } })
    expectNoSecret(result, PASSWORD, PLAIN_IR)
  })

  it('LOGIN: user name, then password, each continuation shown as ****', async () => {
    const { result, outcome } = await run(login, [
      { c: 'AUTH LOGIN\r\n' },
      { s: `334 ${b64('Username:')}\r\n` },
      { c: `${b64(USER)}\r\n` },
      { s: `334 ${b64('Password:')}\r\n` },
      { c: `${b64(PASSWORD)}\r\n` },
      { s: '235 ok\r\n' },
      ...SEND,
    ])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    const lines = (result as { transcript: { dir: string; line: string }[] }).transcript.filter((
      l
    ) => l.dir === 'C').map((l) => l.line)
    expect(lines.slice(1, 4)).toEqual(['AUTH LOGIN', '****', '****'])
    expectNoSecret(result, PASSWORD, b64(PASSWORD))
  })

  it('LOGIN: a third challenge makes the client abort with *', async () => {
    const { result, outcome } = await run(login, [
      { c: 'AUTH LOGIN\r\n' },
      { s: '334 VXNlcm5hbWU6\r\n' },
      { c: `${b64(USER)}\r\n` },
      { s: '334 UGFzc3dvcmQ6\r\n' },
      { c: `${b64(PASSWORD)}\r\n` },
      { s: '334 TW9yZTo=\r\n' },
      { c: '*\r\n' },
      { s: '501 5.7.0 Authentication aborted\r\n' },
    ])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({ kind: 'reply', stage: 'auth', reply: { code: 501 } })
    expect((result as Error).message).toContain('aborted by the client')
  })

  it('a challenge that is not base64 is answered with *', async () => {
    const { result, outcome } = await run(login, [
      { c: 'AUTH LOGIN\r\n' },
      { s: '334 not base64!\r\n' },
      { c: '*\r\n' },
      { s: '501 aborted\r\n' },
    ])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({ kind: 'reply', stage: 'auth' })
  })
})
