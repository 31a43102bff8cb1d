import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enc, options } from '../../../tests/helpers/smtp-peer-kit.ts'
import { type SmtpPeer, startSmtpPeer } from '../../../tests/helpers/smtp-peer.ts'
import { sendMail } from './index.ts'
import { clearSessions, keepSession, sessionFor, sessionKeyFor } from './tls-sessions.ts'

let peer: SmtpPeer
beforeAll(async () => {
  peer = await startSmtpPeer()
})
afterAll(async () => {
  clearSessions()
  await peer?.close()
})

const send = (ca: string | undefined) =>
  sendMail({
    ...options(peer.port, { security: 'starttls', ...(ca ? { ca } : {}) }),
    auth: { type: 'xoauth2', user: peer.user, accessToken: peer.token },
    message: enc('Subject: resumed\r\n\r\nhello\r\n'),
  })

const tlsLine = (transcript: { dir: string; line: string }[]) =>
  transcript.find((l) => l.dir === 'I' && l.line.startsWith('TLS established'))?.line

describe('TLS session resumption', () => {
  it('resumes the session of an earlier connection to the same server', async () => {
    clearSessions()
    const first = await send(peer.caPem)
    expect(tlsLine(first.transcript)).not.toMatch(/resumed/)
    const second = await send(peer.caPem)
    expect(tlsLine(second.transcript)).toMatch(/\(session resumed\)$/)
    expect(second.accepted).toEqual(['to@example.com'])
  })

  it('never lets a kept session stand in for verification: without the CA the send fails', async () => {
    await send(peer.caPem)
    const error = await send(undefined).catch((e: unknown) => e)
    expect(error).toMatchObject({ stage: 'tls', kind: 'tls' })
  })

  it('keys sessions by host name, port and trusted roots', () => {
    clearSessions()
    const session = new Uint8Array([1, 2, 3])
    keepSession(sessionKeyFor('smtp.example.com', 587, 'ca-a'), session)
    expect(sessionFor(sessionKeyFor('SMTP.example.com', 587, 'ca-a'))).toBe(session)
    expect(sessionFor(sessionKeyFor('smtp.example.com', 465, 'ca-a'))).toBeUndefined()
    expect(sessionFor(sessionKeyFor('smtp.example.com', 587, 'ca-b'))).toBeUndefined()
    expect(sessionFor(sessionKeyFor('mx.example.com', 587, 'ca-a'))).toBeUndefined()
  })
})
