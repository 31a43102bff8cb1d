import { describe, expect, it } from 'vitest'
import {
  BODY,
  CLIENT,
  ehloReply,
  GREETING,
  MAIL,
  RCPT,
  runScript as run,
} from '../../../tests/helpers/smtp-peer-kit.ts'
import { createCertificateAuthority, issueServerCertificate } from '../tls/certs.ts'
import { SmtpError } from './index.ts'

describe('STARTTLS', () => {
  const ca = createCertificateAuthority('session test CA')
  const cert = issueServerCertificate(ca, { dns: ['localhost'] })
  const tlsOpts = { security: 'starttls' as const, ca: ca.certPem }

  it('upgrades, forgets the first EHLO and asks again (RFC 3207)', async () => {
    const { result, outcome } = await run(
      [
        { s: GREETING },
        { c: `EHLO ${CLIENT}\r\n` },
        // Before TLS the server claims PIPELINING; after TLS it does not: the client must obey
        // the second list only.
        { s: ehloReply('PIPELINING', 'STARTTLS') },
        { c: 'STARTTLS\r\n' },
        { s: '220 2.0.0 go ahead\r\n' },
        { tls: true },
        { c: `EHLO ${CLIENT}\r\n` },
        { s: ehloReply('SIZE 1000') },
        { c: 'MAIL FROM:<from@example.com> SIZE=18\r\n' },
        { s: '250 ok\r\n' },
        { c: RCPT },
        { s: '250 ok\r\n' },
        { c: 'DATA\r\n' },
        { s: '354 go\r\n' },
        { c: `${BODY}.\r\nQUIT\r\n` },
        { s: '250 ok\r\n' },
        { end: true },
      ],
      tlsOpts,
      { cert }
    )
    expect(outcome).toEqual({ ok: true, extra: '', tls: true })
    expect((result as { transcript: unknown[] }).transcript).toContainEqual({
      dir: 'I',
      line: expect.stringMatching(/^TLS established: TLSv1\.[23]/),
    })
  })

  it('refuses to continue when bytes follow the 220 (response injection)', async () => {
    const { result, outcome } = await run(
      [
        { s: GREETING },
        { c: `EHLO ${CLIENT}\r\n` },
        { s: ehloReply('STARTTLS') },
        { c: 'STARTTLS\r\n' },
        { s: '220 2.0.0 go ahead\r\n250-injected\r\n' },
      ],
      tlsOpts,
      { cert }
    )
    // Not a byte more: no TLS ClientHello, no command.
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toBeInstanceOf(SmtpError)
    expect(result).toMatchObject({ stage: 'starttls', kind: 'protocol', transient: false })
  })

  it('never falls back to clear text when STARTTLS is not offered', async () => {
    const { result, outcome } = await run(
      [{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }, { s: ehloReply('AUTH PLAIN') }],
      { ...tlsOpts, auth: { type: 'plain', user: 'u', password: 'secret-password' } }
    )
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({ kind: 'unavailable', stage: 'starttls' })
  })

  it('fails at STARTTLS when the server refuses it (454: transient)', async () => {
    const { result } = await run(
      [{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }, { s: ehloReply('STARTTLS') }, {
        c: 'STARTTLS\r\n',
      }, { s: '454 4.7.0 TLS not available\r\n' }],
      tlsOpts
    )
    expect(result).toMatchObject({ kind: 'reply', stage: 'starttls', transient: true, reply: { code: 454 } })
  })

  it('fails with a TLS failure when the certificate is not trusted', async () => {
    const { result } = await run(
      [
        { s: GREETING },
        { c: `EHLO ${CLIENT}\r\n` },
        { s: ehloReply('STARTTLS') },
        { c: 'STARTTLS\r\n' },
        { s: '220 go\r\n' },
        { tls: true },
      ],
      { security: 'starttls' },
      { cert }
    )
    expect(result).toMatchObject({ kind: 'tls', stage: 'tls', transient: false })
  })

  it('speaks implicit TLS, verifying the name', async () => {
    const { result, outcome } = await run(
      [
        { s: GREETING },
        { c: `EHLO ${CLIENT}\r\n` },
        { s: ehloReply('PIPELINING') },
        { c: MAIL + RCPT + 'DATA\r\n' },
        { s: '250 ok\r\n250 ok\r\n354 go\r\n' },
        { c: `${BODY}.\r\nQUIT\r\n` },
        { s: '250 ok\r\n' },
        { end: true },
      ],
      { security: 'tls', ca: ca.certPem },
      { cert, implicitTls: true }
    )
    expect(outcome.ok).toBe(true)
    expect(result).toMatchObject({ response: '250 ok' })
  })
})
