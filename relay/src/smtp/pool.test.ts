import { Buffer } from 'node:buffer'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CLIENT, ehloReply, enc, GREETING, options } from '../../../tests/helpers/smtp-peer-kit.ts'
import { type ScriptedPeer, scriptedPeer } from '../../../tests/helpers/smtp-peer-scripted.ts'
import { startSmtpPeer } from '../../../tests/helpers/smtp-peer.ts'
import { createPool, type Pool, sendMail } from './index.ts'
import { sessionKey } from './pool.ts'

let peer: ScriptedPeer | undefined
let pool: Pool | undefined
afterEach(async () => {
  await pool?.close()
  await peer?.close()
  peer = pool = undefined
})

const PASSWORD = 'pool-test-password'
const auth = { type: 'plain', user: 'u@example.com', password: PASSWORD } as const
const AUTH_LINE = `AUTH PLAIN ${Buffer.from(`\0u@example.com\0${PASSWORD}`).toString('base64')}\r\n`
const ENVELOPE = 'MAIL FROM:<from@example.com>\r\nRCPT TO:<to@example.com>\r\n'
const BODY = 'Subject: t\r\n\r\nhi\r\n'

describe('connection pool', () => {
  it('reuses an authenticated connection: RSET + MAIL + RCPT + BDAT in one flight, no QUIT', async () => {
    peer = await scriptedPeer([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING', 'AUTH PLAIN') },
      { c: AUTH_LINE },
      { s: '235 ok\r\n' },
      { c: `${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 ok\r\n250 ok\r\n250 queued 1\r\n' },
      { c: `RSET\r\n${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 flushed\r\n250 ok\r\n250 ok\r\n250 queued 2\r\n' },
      { c: 'QUIT\r\n' },
      { s: '221 bye\r\n' },
      { end: true },
    ])
    pool = createPool()
    const opts = options(peer.port, { auth, allowPlaintextAuth: true, pool })
    const first = await sendMail(opts)
    expect(first.response).toBe('250 queued 1')
    expect(pool.idleCount).toBe(1)
    const second = await sendMail(opts)
    expect(second.response).toBe('250 queued 2')
    expect(second.transcript[0]).toMatchObject({
      dir: 'I',
      line: expect.stringMatching(
        /^reusing the connection to localhost port \d+ .*message 2 on it.*: greeting, EHLO and AUTH not repeated$/
      ),
    })
    expect(second.timings).toMatchObject({ connectMs: 0, tlsMs: 0, authMs: 0 })
    await pool.close()
    expect(await peer.done).toEqual({ ok: true, extra: '', tls: false })
  })

  it('asks for the address only to open a connection, and passes its failure on as it is', async () => {
    peer = await scriptedPeer([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING', 'AUTH PLAIN') },
      { c: AUTH_LINE },
      { s: '235 ok\r\n' },
      { c: `${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 ok\r\n250 ok\r\n250 queued 1\r\n' },
      { c: `RSET\r\n${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 flushed\r\n250 ok\r\n250 ok\r\n250 queued 2\r\n' },
      { c: 'QUIT\r\n' },
      { s: '221 bye\r\n' },
      { end: true },
    ])
    pool = createPool()
    let asked = 0
    const resolveAddress = async () => (asked++, '127.0.0.1')
    const { connectAddress: _, ...base } = options(peer.port, { auth, allowPlaintextAuth: true, pool })
    expect((await sendMail({ ...base, resolveAddress })).response).toBe('250 queued 1')
    expect(asked).toBe(1)
    expect((await sendMail({ ...base, resolveAddress })).response).toBe('250 queued 2')
    expect(asked).toBe(1)
    // A new connection (another user's) asks; what the caller's resolver throws comes back.
    const refused = new Error('the caller refuses this name')
    const other = { ...base, auth: { ...auth, user: 'v@example.com' } }
    const failed = await sendMail({ ...other, resolveAddress: () => Promise.reject(refused) })
      .catch((e: unknown) => e)
    expect(failed).toBe(refused)
    await pool.close()
    expect(await peer.done).toEqual({ ok: true, extra: '', tls: false })
  })

  it('begins the next RSET when the envelope replies come alone, so the BDAT reply is not held', async () => {
    // Postfix flushes the MAIL and RCPT replies when its 4 KiB buffer runs dry mid-chunk; the
    // BDAT reply then waits (Nagle) for a byte from us. `RSET` without its CRLF is that byte:
    // unanswered until the next write (the next message, or QUIT) ends the line.
    peer = await scriptedPeer([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING') },
      { c: `${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 ok\r\n250 ok\r\n' },
      { c: 'RSET' },
      { s: '250 queued 1\r\n' },
      { c: `\r\n${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 flushed\r\n250 ok\r\n250 ok\r\n' },
      { c: 'RSET' },
      { s: '250 queued 2\r\n' },
      { c: '\r\nQUIT\r\n' },
      { s: '250 flushed\r\n221 bye\r\n' },
      { end: true },
    ])
    pool = createPool()
    const first = await sendMail(options(peer.port, { pool }))
    expect(first.response).toBe('250 queued 1')
    expect(pool.idleCount).toBe(1)
    const second = await sendMail(options(peer.port, { pool }))
    expect(second.response).toBe('250 queued 2')
    // The transcript shows the RSET once its line is complete, as the message's first command.
    const sent = second.transcript.filter((l) => l.dir === 'C').map((l) => l.line)
    expect(sent).toEqual([
      'RSET',
      'MAIL FROM:<from@example.com>',
      'RCPT TO:<to@example.com>',
      'BDAT 18 LAST',
      '<message body, 18 bytes>',
    ])
    await pool.close()
    expect(await peer.done).toEqual({ ok: true, extra: '', tls: false })
  })

  it('drops an idle connection the server closes', async () => {
    peer = await scriptedPeer([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING') },
      { c: `${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 ok\r\n250 ok\r\n250 queued\r\n' },
      { s: '421 4.4.2 idle too long\r\n' },
      { end: true },
    ])
    pool = createPool()
    await sendMail(options(peer.port, { pool }))
    await vi.waitFor(() => expect(pool?.idleCount).toBe(0))
  })

  it('sends again on a fresh connection when a reused one turns out dead before any reply', async () => {
    // Every connection plays this script: a cold send, then the warm flight is met by a close.
    peer = await scriptedPeer([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING') },
      { c: `${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 ok\r\n250 ok\r\n250 queued\r\n' },
      { c: `RSET\r\n${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { end: true },
    ])
    pool = createPool()
    await sendMail(options(peer.port, { pool }))
    const second = await sendMail(options(peer.port, { pool }))
    expect(second.response).toBe('250 queued')
    const notes = second.transcript.filter((l) => l.dir === 'I').map((l) => l.line)
    expect(notes[0]).toMatch(/^reusing the connection/)
    expect(notes[1]).toMatch(
      /^the server had closed the reused connection \(.*closed by the server\).*new connection$/
    )
    expect(notes[2]).toMatch(/^connected to/)
    expect(peer.outcomes[0]).toEqual({ ok: true, extra: '', tls: false })
  })

  it('sends again on a fresh connection when a reused one answers the RSET with 421', async () => {
    // The server's idle timer fired as the flight was on its way: its 421 answers the RSET.
    peer = await scriptedPeer([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING') },
      { c: `${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 ok\r\n250 ok\r\n250 queued\r\n' },
      { c: `RSET\r\n${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '421 4.4.2 mx.example timeout, closing connection\r\n' },
      { end: true },
    ])
    pool = createPool()
    await sendMail(options(peer.port, { pool }))
    const second = await sendMail(options(peer.port, { pool }))
    expect(second.response).toBe('250 queued')
    expect(second.transcript.map((l) => l.line)).toContain(
      'the server had closed the reused connection (421 4.4.2 mx.example timeout, closing ' +
        'connection) before taking anything of this message; sending it on a new connection'
    )
    expect(peer.outcomes[0]).toEqual({ ok: true, extra: '', tls: false })
  })

  it('does not send again when a reused connection dies after the server answered', async () => {
    // RSET, MAIL and RCPT answered, then the connection ends: the message may have been taken.
    peer = await scriptedPeer([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING') },
      { c: `${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 ok\r\n250 ok\r\n250 queued\r\n' },
      { c: `RSET\r\n${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 flushed\r\n250 ok\r\n250 ok\r\n' },
      { end: true },
    ])
    pool = createPool()
    await sendMail(options(peer.port, { pool }))
    const error = await sendMail(options(peer.port, { pool })).catch((e: unknown) => e)
    // Not sent again: a second connection would have carried it ("250 queued").
    expect(error).toMatchObject({ name: 'SmtpError', stage: 'data', kind: 'socket' })
  })

  it('drops an idle connection at a reply nobody asked for (a 421 before its close)', async () => {
    peer = await scriptedPeer([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING', 'CHUNKING') },
      { c: `${ENVELOPE}BDAT 18 LAST\r\n${BODY}` },
      { s: '250 ok\r\n250 ok\r\n250 queued\r\n' },
      // The server announces its close but keeps the socket open.
      { s: '421 4.4.2 closing soon\r\n' },
      { c: 'never sent' },
    ])
    pool = createPool()
    await sendMail(options(peer.port, { pool }))
    await vi.waitFor(() => expect(pool?.idleCount).toBe(0))
    const second = await sendMail(options(peer.port, { pool }))
    expect(second.transcript.some((l) => /^reusing/.test(l.line))).toBe(false)
    expect(second.transcript[0]?.line).toMatch(/^connected to/)
  })

  it('fresh: a new connection with the whole dialogue, ended with QUIT, within the limit', async () => {
    const real = await startSmtpPeer()
    try {
      pool = createPool({ maxPerMailbox: 1 })
      const opts = {
        ...options(real.port, { security: 'starttls', ca: real.caPem, pool }),
        auth: { type: 'xoauth2', user: real.user, accessToken: real.token } as const,
      }
      await sendMail(opts)
      expect(pool.idleCount).toBe(1)
      // The one slot is held by the idle connection: it is closed to make room.
      const fresh = await sendMail({ ...opts, fresh: true })
      expect(fresh.transcript.some((l) => /^reusing/.test(l.line))).toBe(false)
      expect(fresh.transcript).toContainEqual({ dir: 'C', line: 'AUTH XOAUTH2 ****' })
      expect(fresh.transcript).toContainEqual({ dir: 'C', line: 'QUIT' })
      expect(real.connections.max).toBe(1)
      expect(real.connections.total).toBe(2)
      expect(pool.idleCount).toBe(0)
      await vi.waitFor(() => expect(real.connections.open).toBe(0))
    } finally {
      await pool?.close()
      await real.close()
    }
  })

  it('keys by a hash of the secret, never the secret itself', () => {
    const a = sessionKey(options(25, { auth }))
    const b = sessionKey(options(25, { auth: { ...auth, password: 'another-password' } }))
    expect(a.key).not.toBe(b.key)
    expect(a.mailbox).toBe(b.mailbox)
    expect(JSON.stringify(a)).not.toContain(PASSWORD)
  })

  it('opens at most 3 connections per mailbox, even for 8 concurrent sends', async () => {
    const real = await startSmtpPeer()
    try {
      pool = createPool({ maxPerMailbox: 3 })
      const opts = {
        ...options(real.port, { security: 'starttls', ca: real.caPem, pool }),
        auth: { type: 'xoauth2', user: real.user, accessToken: real.token } as const,
        message: enc('Subject: pooled\r\n\r\nhello\r\n'),
      }
      const results = await Promise.all(Array.from({ length: 8 }, () => sendMail(opts)))
      expect(results.every((r) => r.accepted.length === 1)).toBe(true)
      expect(real.messages).toHaveLength(8)
      expect(real.connections.max).toBeLessThanOrEqual(3)
      expect(real.connections.total).toBeLessThanOrEqual(3)
      // A new token for the same mailbox evicts an idle connection rather than exceed the limit.
      real.tokens.add('renewed-token-123')
      const renewed = { ...opts, auth: { ...opts.auth, accessToken: 'renewed-token-123' } }
      await sendMail(renewed)
      expect(real.connections.total).toBe(4)
      await vi.waitFor(() => expect(real.connections.open).toBeLessThanOrEqual(3))
      expect(pool.idleCount).toBe(3)
    } finally {
      await pool?.close()
      await real.close()
    }
  })

  it('keeps at most maxIdle idle connections over all keys, closing the one idle longest', async () => {
    const real = await startSmtpPeer()
    try {
      pool = createPool({ maxPerMailbox: 3, maxIdle: 2 })
      const base = {
        ...options(real.port, { security: 'starttls', ca: real.caPem, pool }),
        message: enc('Subject: capped\r\n\r\nhello\r\n'),
      }
      const withToken = (accessToken: string) => ({
        ...base,
        auth: { type: 'xoauth2', user: real.user, accessToken } as const,
      })
      const tokens = ['first-token-1', 'second-token-2', 'third-token-3']
      for (const t of tokens) real.tokens.add(t)
      for (const t of tokens) await sendMail(withToken(t))
      expect(real.connections.total).toBe(3)
      // The first token's connection, idle longest, was closed when the third went idle.
      expect(pool.idleCount).toBe(2)
      await vi.waitFor(() => expect(real.connections.open).toBe(2))
      const third = await sendMail(withToken('third-token-3'))
      expect(third.timings).toMatchObject({ connectMs: 0, tlsMs: 0, authMs: 0 })
      await sendMail(withToken('first-token-1'))
      expect(real.connections.total).toBe(4)
      expect(pool.idleCount).toBe(2)
    } finally {
      await pool?.close()
      await real.close()
    }
  })
})
