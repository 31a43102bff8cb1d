import { describe, expect, it } from 'vitest'
import {
  BODY,
  CLIENT,
  ehloReply,
  enc,
  GREETING,
  MAIL,
  options,
  RCPT,
  runScript as run,
} from '../../../tests/helpers/smtp-peer-kit.ts'
import { sendMail } from './index.ts'

describe('greeting and EHLO', () => {
  it('sends one command per round trip without PIPELINING, QUIT with the final dot', async () => {
    const { result, outcome } = await run([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('8BITMIME') },
      { c: MAIL },
      { s: '250 2.1.0 ok\r\n' },
      { c: RCPT },
      { s: '250 2.1.5 ok\r\n' },
      { c: 'DATA\r\n' },
      { s: '354 go ahead\r\n' },
      { c: `${BODY}.\r\nQUIT\r\n` },
      { s: '250 2.0.0 OK queued as 42\r\n221 2.0.0 bye\r\n' },
      { end: true },
    ])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({
      accepted: ['to@example.com'],
      rejected: [],
      response: '250 2.0.0 OK queued as 42',
    })
  })

  it('falls back to HELO when EHLO is refused, and then uses no extension', async () => {
    const { result, outcome } = await run([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: '502 5.5.1 command not implemented\r\n' },
      { c: `HELO ${CLIENT}\r\n` },
      { s: '250 mx.example\r\n' },
      { c: MAIL },
      { s: '250 ok\r\n' },
      { c: RCPT },
      { s: '250 ok\r\n' },
      { c: 'DATA\r\n' },
      { s: '354 go\r\n' },
      { c: `${BODY}.\r\nQUIT\r\n` },
      { s: '250 ok\r\n' },
      { end: true },
    ])
    expect(outcome.ok).toBe(true)
    expect(result).toMatchObject({ response: '250 ok' })
  })

  it('fails at the greeting on a 554 and sends nothing', async () => {
    const { result, outcome } = await run([{ s: '554 5.3.2 no service\r\n' }])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({
      kind: 'reply',
      transient: false,
      stage: 'greeting',
      reply: { code: 554, enhanced: '5.3.2' },
    })
  })
})

describe('envelope and body', () => {
  it('pipelines MAIL, every RCPT and DATA in one flight, with BODY=8BITMIME when needed', async () => {
    const { result, outcome } = await run(
      [
        { s: GREETING },
        { c: `EHLO ${CLIENT}\r\n` },
        { s: ehloReply('PIPELINING', '8BITMIME', 'SIZE 0') },
        {
          c: 'MAIL FROM:<from@example.com> SIZE=18 BODY=8BITMIME\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n',
        },
        { s: '250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n354 go\r\n' },
        { c: `${BODY}.\r\nQUIT\r\n` },
        { s: '250 2.0.0 queued\r\n' },
        { end: true },
      ],
      {
        envelope: {
          from: 'from@example.com',
          to: ['a@example.com', 'b@example.com', 'c@example.com'],
        },
        eightBit: true,
      }
    )
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    // Partial acceptance is a success with `rejected` filled.
    expect(result).toMatchObject({
      accepted: ['a@example.com', 'c@example.com'],
      rejected: [{
        address: 'b@example.com',
        reply: { code: 550, enhanced: '5.1.1', lines: ['no such user'] },
      }],
    })
  })

  it('sends BDAT LAST with the envelope when CHUNKING is offered: one round trip', async () => {
    const { result, outcome } = await run([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING') },
      { c: `${MAIL}${RCPT}BDAT 18 LAST\r\n${BODY}QUIT\r\n` },
      { s: '250 ok\r\n250 ok\r\n250 2.0.0 queued\r\n221 bye\r\n' },
      { end: true },
    ])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({ response: '250 2.0.0 queued' })
    const transcript = (result as { transcript: { dir: string; line: string }[] }).transcript
    expect(transcript.filter((l) => l.dir === 'C').map((l) => l.line)).toEqual([
      `EHLO ${CLIENT}`,
      'MAIL FROM:<from@example.com>',
      'RCPT TO:<to@example.com>',
      'BDAT 18 LAST',
      '<message body, 18 bytes>',
      'QUIT',
    ])
  })

  it('fails at RCPT when no recipient is accepted, sending no body', async () => {
    const { result, outcome } = await run([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING') },
      { c: MAIL + RCPT + 'DATA\r\n' },
      { s: '250 ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no valid recipients\r\n' },
    ])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({
      kind: 'reply',
      stage: 'rcpt',
      reply: { code: 550 },
    })
  })

  it('fails at MAIL when MAIL is refused', async () => {
    const { result } = await run([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply() },
      { c: MAIL },
      { s: '530 5.7.57 Client not authenticated to send mail\r\n' },
    ])
    expect(result).toMatchObject({
      kind: 'reply',
      stage: 'mail',
      reply: { code: 530, enhanced: '5.7.57' },
    })
  })

  it('reports the MAIL refusal, not the close, when the server hangs up mid-flight', async () => {
    const { result } = await run([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING') },
      { c: MAIL + RCPT + 'DATA\r\n' },
      { s: '550 5.7.60 Client does not have permissions to send as this sender\r\n' },
      { end: true },
    ])
    expect(result).toMatchObject({
      kind: 'reply',
      stage: 'mail',
      reply: { code: 550, enhanced: '5.7.60' },
    })
  })

  it('refuses UTF-8 addresses before MAIL when SMTPUTF8 is not offered', async () => {
    const { result, outcome } = await run(
      [{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }, { s: ehloReply('8BITMIME') }],
      { envelope: { from: 'from@example.com', to: ['たろう@example.jp'] }, smtpUtf8: true }
    )
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({
      stage: 'mail',
      kind: 'unavailable',
      transient: false,
    })
  })

  it('sends SMTPUTF8 when offered, and an 8-bit body without BODY= when 8BITMIME is not', async () => {
    const { result, outcome } = await run(
      [
        { s: GREETING },
        { c: `EHLO ${CLIENT}\r\n` },
        { s: ehloReply('SMTPUTF8') },
        { c: 'MAIL FROM:<from@example.com> SMTPUTF8\r\n' },
        { s: '250 ok\r\n' },
        { c: 'RCPT TO:<たろう@example.jp>\r\n' },
        { s: '250 ok\r\n' },
        { c: 'DATA\r\n' },
        { s: '354 go\r\n' },
        { c: 'Subject: 件名\r\n\r\n本文\r\n.\r\nQUIT\r\n' },
        { s: '250 ok\r\n' },
        { end: true },
      ],
      {
        envelope: { from: 'from@example.com', to: ['たろう@example.jp'] },
        message: enc('Subject: 件名\r\n\r\n本文\r\n'),
        smtpUtf8: true,
        eightBit: true,
      }
    )
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect((result as { transcript: unknown[] }).transcript).toContainEqual({
      dir: 'I',
      line: expect.stringContaining('does not offer 8BITMIME'),
    })
  })

  it('refuses before MAIL when the message exceeds the advertised SIZE', async () => {
    const { result, outcome } = await run([{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }, {
      s: ehloReply('SIZE 10'),
    }])
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
    expect(result).toMatchObject({
      stage: 'mail',
      kind: 'unavailable',
      transient: false,
    })
    expect((result as Error).message).toMatch(/18 bytes.*at most 10/)
  })

  it('normalises bare CR and LF and dot-stuffs, so no body ends the message early', async () => {
    const smuggle = 'Subject: x\n\n.\nline\r.\r\n.\nMAIL FROM:<evil@example.com>\r\n..two\rend'
    const { outcome } = await run(
      [
        { s: GREETING },
        { c: `EHLO ${CLIENT}\r\n` },
        { s: ehloReply() },
        { c: MAIL },
        { s: '250 ok\r\n' },
        { c: RCPT },
        { s: '250 ok\r\n' },
        { c: 'DATA\r\n' },
        { s: '354 go\r\n' },
        {
          c: 'Subject: x\r\n\r\n..\r\nline\r\n..\r\n..\r\nMAIL FROM:<evil@example.com>\r\n...two\r\nend\r\n.\r\nQUIT\r\n',
        },
        { s: '250 ok\r\n' },
        { end: true },
      ],
      { message: enc(smuggle) }
    )
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
  })

  it('refuses an envelope address holding CR or LF before connecting', async () => {
    const error = await sendMail(
      options(1, { envelope: { from: 'a@example.com\r\nRSET', to: ['b@example.com'] } })
    ).catch((e: unknown) => e)
    expect(error).toMatchObject({ stage: 'mail', kind: 'local', transient: false })
  })
})
