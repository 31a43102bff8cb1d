/**
 * The sandbox SMTP server and inbox, in-process: each user through the real SMTP engine with
 * the Microsoft 365 reply it must get, and the inbox and switch routes.
 */
import { readdir, readFile } from 'node:fs/promises'
import { connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { join } from 'node:path'
import { decodeJwt, importJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMessage } from '../../relay/src/mime/index.ts'
import { ErrorBody } from '../../src/lib/contract/api.ts'
import { sendMail, SmtpError, type SendOptions } from '../../relay/src/smtp/index.ts'
import { HANAKO, JIRO, SHARED, startFixture, TARO, type Fixture, type Info } from './sandbox-fixture.ts'

let fx: Fixture
let sandbox: Fixture['sandbox']
let info: Info
let dataDir: string

beforeAll(async () => {
  fx = await startFixture()
  ;({ sandbox, info, dataDir } = fx)
})

afterAll(async () => {
  await fx?.close()
})

describe('SMTP server', () => {
  async function trySend(over: Partial<SendOptions> & { from?: string; user?: string; token?: string }) {
    const from = over.from ?? TARO.upn
    const built = await buildMessage({
      from: `山田 太郎 <${from}>`,
      to: ['admin@sandbox.mailkey.test'],
      subject: 'テストメール ✓',
      text: '本文です。',
      html: '<p>本文 <b>HTML</b></p>',
      attachments: [{ filename: '報告書.txt', contentType: 'text/plain', contentBase64: Buffer.from('報告').toString('base64') }],
    })
    return sendMail({
      host: sandbox.info.smtp.host,
      port: sandbox.info.smtp.port,
      security: 'starttls',
      connectAddress: '127.0.0.1',
      ca: sandbox.caPem,
      auth: { type: 'xoauth2', user: over.user ?? from, accessToken: over.token ?? '' },
      envelope: built.envelope,
      message: built.raw,
      eightBit: built.eightBit,
      ...over,
    })
  }

  async function failure(promise: Promise<unknown>): Promise<SmtpError> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(err).toBeInstanceOf(SmtpError)
    return err as SmtpError
  }

  const replyText = (e: SmtpError) => `${e.reply?.code} ${e.reply?.enhanced ?? ''} ${e.reply?.lines.join(' ')}`

  it('taro: accepted, kept in the inbox with decoded fields and attachments', async () => {
    const { form, browser } = await fx.webTokens(TARO)
    const token = String((await browser.request(info.tokenEndpoint, { form })).json().access_token)
    const result = await trySend({ token })
    expect(result.response).toMatch(/^250 2\.0\.0 OK </)
    expect(result.transcript.some((l) => /AUTH XOAUTH2/.test(l.line))).toBe(true)

    const list = (await (await sandbox.routes.request('/messages')).json()) as { messages: Record<string, unknown>[] }
    const message = list.messages[0] as Record<string, any>
    expect(message).toMatchObject({ subject: 'テストメール ✓', from: `山田 太郎 <${TARO.upn}>`, to: ['admin@sandbox.mailkey.test'] })
    expect(message.text.trim()).toBe('本文です。')
    expect(message.html).toContain('<b>HTML</b>')
    expect(message.attachments[0]).toMatchObject({ filename: '報告書.txt', contentType: 'text/plain' })
    const raw = await sandbox.routes.request(`/messages/${message.id}/raw`)
    expect(raw.headers.get('content-type')).toBe('message/rfc822')
    for (const path of ['/messages/nope', '/messages/nope/raw', `/messages/${message.id}/attachments/9`]) {
      const missing = await sandbox.routes.request(path)
      expect(missing.status).toBe(400)
      expect(ErrorBody.parse(await missing.json()).error.code).toBe('INVALID_REQUEST')
    }
    const attachment = await sandbox.routes.request(`/messages/${message.id}/attachments/0`)
    expect(await attachment.text()).toBe('報告')
    expect(attachment.headers.get('content-disposition')).toContain("filename*=UTF-8''%E5%A0%B1")
    const page = await (await sandbox.routes.request('/inbox')).text()
    expect(page).toContain('テストメール ✓')
    expect(page).toContain('&lt;p&gt;本文 &lt;b&gt;HTML&lt;/b&gt;&lt;/p&gt;')
    expect(page).not.toContain('<script')
    const files = await readdir(join(dataDir, 'sandbox', 'inbox'))
    expect(files.some((f) => f.endsWith(`${message.id}.eml`))).toBe(true)

    // Sending as the shared mailbox without Send As: refused at the end of DATA.
    const denied = await failure(trySend({ token, from: SHARED, user: TARO.upn }))
    expect(replyText(denied)).toContain('554 5.2.252 SendAsDenied;')
    expect(denied.stage).toBe('data')
    // XOAUTH2 as the shared mailbox with taro's token: user= does not match.
    expect(replyText(await failure(trySend({ token, from: SHARED })))).toContain('535 5.7.3')
    // The whole tenant's SMTP AUTH off.
    await fx.setSwitches({ tenantSmtpAuthDisabled: true })
    const tenant = await failure(trySend({ token }))
    await fx.setSwitches({ tenantSmtpAuthDisabled: false })
    expect(replyText(tenant)).toContain('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant')
  })

  it('hanako: SMTP AUTH disabled for the mailbox gives 535 5.7.139', async () => {
    const { form, browser } = await fx.webTokens(HANAKO)
    const token = String((await browser.request(info.tokenEndpoint, { form })).json().access_token)
    const err = await failure(trySend({ token, from: HANAKO.upn }))
    expect(replyText(err)).toContain(
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled'
    )
  })

  it('jiro: a token without SMTP.Send gives 535 5.7.3', async () => {
    const { form, browser } = await fx.webTokens(JIRO, 'https://outlook.office.com/.default openid profile offline_access')
    const answer = (await browser.request(info.tokenEndpoint, { form })).json()
    expect(decodeJwt(String(answer.access_token)).scp).toBe('IMAP.AccessAsUser.All')
    expect(replyText(await failure(trySend({ token: String(answer.access_token), from: JIRO.upn })))).toContain(
      '535 5.7.3 Authentication unsuccessful'
    )
  })

  it('expired, foreign and wrong-audience tokens give 535 5.7.3; passwords 5.7.139; no AUTH 530 5.7.57', async () => {
    const jwk = JSON.parse(await readFile(join(dataDir, 'sandbox', 'signing-key.json'), 'utf8')) as Record<string, string>
    const key = await importJWK(jwk, 'RS256')
    const sign = (claims: Record<string, unknown>, exp: number) =>
      new SignJWT({ scp: 'SMTP.Send', upn: TARO.upn, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid ?? '' })
        .setIssuer(`${info.authority}/v2.0`)
        .setAudience(String(claims.aud ?? 'https://outlook.office.com'))
        .setIssuedAt(exp - 3600)
        .setExpirationTime(exp)
        .sign(key)
    const now = Math.floor(Date.now() / 1000)
    const expired = await sign({}, now - 60)
    const otherAudience = await sign({ aud: 'https://graph.microsoft.com' }, now + 600)
    for (const token of [expired, otherAudience, 'not-a-jwt']) {
      expect(replyText(await failure(trySend({ token })))).toContain('535 5.7.3 Authentication unsuccessful')
    }
    const basic = await failure(trySend({ auth: { type: 'login', user: TARO.upn, password: TARO.password } }))
    expect(replyText(basic)).toContain('535 5.7.139 Authentication unsuccessful, basic authentication is disabled.')
    const none = await failure(trySend({ auth: { type: 'none' } }))
    expect(replyText(none)).toContain('530 5.7.57 Client not authenticated to send mail')
  })
})

/** Sends a line (if any) and reads one whole reply (RFC 5321 §4.2: last line has a space). */
function talk(socket: Socket, line?: string): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(text)) {
        socket.off('data', onData)
        resolve(text)
      }
    }
    socket.on('data', onData)
    if (line !== undefined) socket.write(`${line}\r\n`)
  })
}

describe('SMTP dialogue', () => {
  it('offers AUTH LOGIN XOAUTH2 only after STARTTLS; MAIL before AUTH gets 530 5.7.57', async () => {
    const plain = netConnect(sandbox.info.smtp.port, '127.0.0.1')
    expect(await talk(plain)).toMatch(/^220 localhost ESMTP/)
    const ehlo = await talk(plain, 'EHLO client.test')
    expect(ehlo).toMatch(/^250-localhost Hello \[127\.0\.0\.1\]\r\n/)
    expect(ehlo).toMatch(/250-STARTTLS/)
    expect(ehlo).toMatch(/PIPELINING/)
    expect(ehlo).toMatch(/ENHANCEDSTATUSCODES/)
    expect(ehlo).toMatch(/250[- ]SIZE 157286400\r\n/)
    expect(ehlo).not.toMatch(/AUTH/)
    // Exchange's answer to AUTH on a connection that offers none (before STARTTLS).
    expect(await talk(plain, 'AUTH LOGIN')).toBe('504 5.7.4 Unrecognized authentication type\r\n')
    expect(await talk(plain, 'AUTH XOAUTH2 dXNlcj14AWF1dGg9QmVhcmVyIHkBAQ==')).toBe(
      '504 5.7.4 Unrecognized authentication type\r\n'
    )
    expect(await talk(plain, 'MAIL FROM:<taro@sandbox.mailkey.test>')).toMatch(/^530 5\.7\.57 Client not authenticated to send mail/)
    expect(await talk(plain, 'STARTTLS')).toBe('220 2.0.0 SMTP server ready\r\n')
    const secure = tlsConnect({ socket: plain, servername: 'localhost', ca: sandbox.caPem })
    await new Promise((resolve) => secure.once('secureConnect', resolve))
    expect(secure.getProtocol()).toMatch(/TLSv1\.[23]/)
    const tls = secure as unknown as Socket
    const after = await talk(tls, 'EHLO client.test')
    expect(after).toMatch(/250-AUTH LOGIN XOAUTH2\r\n/)
    expect(after).not.toMatch(/STARTTLS/)
    expect(await talk(tls, 'AUTH PLAIN')).toBe('504 5.7.4 Unrecognized authentication type\r\n')
    // Microsoft's own example (M365-FACTS §2.2): `235 2.7.0 Authentication successful`.
    const { form, browser } = await fx.webTokens(TARO)
    const token = String((await browser.request(info.tokenEndpoint, { form })).json().access_token)
    const sasl = Buffer.from(`user=${TARO.upn}\x01auth=Bearer ${token}\x01\x01`).toString('base64')
    expect(await talk(tls, `AUTH XOAUTH2 ${sasl}`)).toBe('235 2.7.0 Authentication successful\r\n')
    // Exchange's wording of the rest of a submission.
    expect(await talk(tls, `MAIL FROM:<${TARO.upn}>`)).toBe('250 2.1.0 Sender OK\r\n')
    expect(await talk(tls, 'RCPT TO:<admin@sandbox.mailkey.test>')).toBe('250 2.1.5 Recipient OK\r\n')
    expect(await talk(tls, 'DATA')).toBe('354 Start mail input; end with <CRLF>.<CRLF>\r\n')
    expect(await talk(tls, `From: ${TARO.upn}\r\nSubject: x\r\n\r\nbody\r\n.`)).toMatch(/^250 2\.0\.0 OK </)
    expect(await talk(tls, 'QUIT')).toBe('221 2.0.0 Service closing transmission channel\r\n')
    secure.destroy()
  })
})

describe('concurrent submissions', () => {
  /** A connection through STARTTLS and AUTH XOAUTH2 as taro, ready for MAIL. */
  async function authed(token: string): Promise<Socket> {
    const plain = netConnect(sandbox.info.smtp.port, '127.0.0.1')
    await talk(plain)
    await talk(plain, 'EHLO client.test')
    await talk(plain, 'STARTTLS')
    const secure = tlsConnect({ socket: plain, servername: 'localhost', ca: sandbox.caPem })
    await new Promise((resolve) => secure.once('secureConnect', resolve))
    const tls = secure as unknown as Socket
    await talk(tls, 'EHLO client.test')
    const sasl = Buffer.from(`user=${TARO.upn}\x01auth=Bearer ${token}\x01\x01`).toString('base64')
    expect(await talk(tls, `AUTH XOAUTH2 ${sasl}`)).toMatch(/^235 /)
    return tls
  }

  async function startData(tls: Socket): Promise<void> {
    expect(await talk(tls, `MAIL FROM:<${TARO.upn}>`)).toMatch(/^250 /)
    expect(await talk(tls, 'RCPT TO:<admin@sandbox.mailkey.test>')).toMatch(/^250 /)
    expect(await talk(tls, 'DATA')).toMatch(/^354 /)
    tls.write(`From: ${TARO.upn}\r\nTo: admin@sandbox.mailkey.test\r\nSubject: thread\r\n\r\nbody\r\n`)
  }

  it('432 4.3.2 for a fourth submission in flight, 552 5.3.4 past 35 MB', async () => {
    const { form, browser } = await fx.webTokens(TARO)
    const token = String((await browser.request(info.tokenEndpoint, { form })).json().access_token)
    const sockets = await Promise.all([1, 2, 3, 4].map(() => authed(token)))
    for (const tls of sockets) await startData(tls)
    const replies = []
    for (const tls of sockets) replies.push(await talk(tls, '.'))
    expect(replies.slice(0, 3).every((r) => r.startsWith('250 2.0.0 OK'))).toBe(true)
    expect(replies[3]).toBe('432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded\r\n')
    // The limit counts submissions in flight, not open connections.
    const again = sockets[3] as Socket
    await startData(again)
    expect(await talk(again, '.')).toMatch(/^250 2\.0\.0 OK/)
    // Past the mailbox's 35 MB (below the advertised SIZE): refused after the data.
    await startData(again)
    const line = `${'x'.repeat(998)}\r\n`
    again.write(line.repeat(Math.ceil((35 * 1024 * 1024) / line.length) + 10))
    expect(await talk(again, '.')).toBe('552 5.3.4 Message size exceeds fixed maximum message size\r\n')
    for (const tls of sockets) tls.destroy()
  })
})

describe('start-up', () => {
  it('names the port and the variable when a port is taken', async () => {
    const { startSandbox } = await import('../../relay/src/sandbox/index.ts')
    const started = startSandbox({ dataDir, publicOrigin: 'http://localhost:8787', idpPort: 0, smtpPort: sandbox.info.smtp.port })
    await expect(started).rejects.toThrow(
      `The sandbox SMTP server cannot listen on 127.0.0.1:${sandbox.info.smtp.port} (EADDRINUSE). Set RELAY_SANDBOX_SMTP_PORT`
    )
  })
})

describe('sandbox routes', () => {
  it('switches: GET, PUT with validation', async () => {
    const get = (await (await sandbox.routes.request('/switches')).json()) as { switches: Record<string, boolean> }
    expect(get.switches.webSecretExpired).toBe(false)
    const bad = await sandbox.routes.request('/switches', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ unknownSwitch: true }),
    })
    expect(bad.status).toBe(400)
    // Bounded: a huge body is refused, and unknown names are quoted back short.
    const huge = await sandbox.routes.request('/switches', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ [`x${'y'.repeat(100_000)}`]: true }),
    })
    expect(huge.status).toBe(413)
    expect(ErrorBody.parse(await huge.json()).error.code).toBe('PAYLOAD_TOO_LARGE')
    const many = await sandbox.routes.request('/switches', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries([...Array(50)].map((_, i) => [`${'n'.repeat(200)}${i}`, 1]))),
    })
    expect(many.status).toBe(400)
    expect((await many.text()).length).toBeLessThan(1000)
    const page = await (await sandbox.routes.request('/inbox?lang=en')).text()
    expect(page).toContain('Failure switches')
    expect(page).toContain('webSecretExpired')
    expect((await sandbox.routes.request('/ca.pem')).status).toBe(200)
  })
})
