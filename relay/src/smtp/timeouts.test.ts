import { afterEach, describe, expect, it } from 'vitest'
import { BODY, CLIENT, ehloReply, GREETING, MAIL, options, RCPT } from '../../../tests/helpers/smtp-peer-kit.ts'
import {
  type ScriptedPeer,
  scriptedPeer,
  type Step,
} from '../../../tests/helpers/smtp-peer-scripted.ts'
import { createCertificateAuthority, issueServerCertificate } from '../tls/certs.ts'
import { sendMail, SmtpError } from './index.ts'
import type { SendOptions } from './types.ts'

let peer: ScriptedPeer | undefined
afterEach(async () => {
  await peer?.close()
  peer = undefined
})

// Short enough to keep the suite fast; the assertions are about which timeout fired, never
// about how long anything took.
const SHORT = { connectMs: 150, greetingMs: 150, commandMs: 150, dataEndMs: 150 }

async function run(steps: Step[], extra: Partial<SendOptions> = {}, peerOpts = {}) {
  peer = await scriptedPeer(steps, peerOpts)
  const result = await sendMail(options(peer.port, { timeouts: SHORT, ...extra })).catch((
    e: unknown
  ) => e)
  // The client closed its socket: the peer sees the end of the connection.
  const outcome = await peer.done
  return { result, outcome }
}

describe('named timeouts: each ends the send with a transient timeout failure and a closed socket', () => {
  it('greeting', async () => {
    const { result } = await run([])
    expect(result).toBeInstanceOf(SmtpError)
    expect(result).toMatchObject({ kind: 'timeout', transient: true, stage: 'greeting', timeout: 'greeting' })
    expect((result as Error).message).toMatch(
      /greeting: no reply within 0\.15 s \(greeting timeout\)/
    )
  })

  it('command', async () => {
    const { result, outcome } = await run([{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }])
    expect(outcome.ok).toBe(true)
    expect(result).toMatchObject({
      kind: 'timeout',
      maybeAccepted: false,
      stage: 'ehlo',
      command: `EHLO ${CLIENT}`,
      timeout: 'command',
    })
  })

  it('end of data', async () => {
    const { result } = await run([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: ehloReply('PIPELINING') },
      { c: 'MAIL FROM:<from@example.com>\r\nRCPT TO:<to@example.com>\r\nDATA\r\n' },
      { s: '250 ok\r\n250 ok\r\n354 go\r\n' },
      { c: 'Subject: t\r\n\r\nhi\r\n.\r\nQUIT\r\n' },
    ])
    expect(result).toMatchObject({
      kind: 'timeout',
      stage: 'data',
      timeout: 'dataEnd',
      transient: true,
      // The whole message went and no verdict came: the server may have taken it.
      maybeAccepted: true,
    })
  })

  it('connect (the TLS handshake of implicit TLS counts as connecting)', async () => {
    // A plain TCP peer that never answers the ClientHello.
    const { result } = await run([], { security: 'tls' })
    expect(result).toMatchObject({ kind: 'timeout', stage: 'tls', timeout: 'connect' })
  })

  it('the caller’s signal aborts the send', async () => {
    const controller = new AbortController()
    peer = await scriptedPeer([{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }])
    const pending = sendMail(options(peer.port, { signal: controller.signal })).catch((
      e: unknown
    ) => e)
    setTimeout(() => controller.abort(), 50)
    expect(await pending).toMatchObject({ kind: 'aborted', stage: 'ehlo' })
    await peer.done
  })
})

it('an aborted signal stops the send before it connects', async () => {
  peer = await scriptedPeer([])
  const signal = AbortSignal.abort()
  const result = await sendMail(options(peer.port, { signal })).catch((e: unknown) => e)
  expect(result).toMatchObject({ kind: 'aborted', stage: 'connect', transient: true })
})

describe('reply caps', () => {
  it('a reply line over 4 KiB is a protocol error', async () => {
    const { result } = await run([{ s: `220 ${'x'.repeat(5000)}\r\n` }])
    expect(result).toMatchObject({ kind: 'protocol', stage: 'greeting', transient: false })
    expect((result as Error).message).toContain('4 KiB')
  })

  it('a malformed reply to the final dot: a protocol error after which the message may be accepted', async () => {
    const { result } = await run([
      { s: GREETING },
      { c: `EHLO ${CLIENT}\r\n` },
      { s: '250 mx.example\r\n' },
      { c: MAIL },
      { s: '250 ok\r\n' },
      { c: RCPT },
      { s: '250 ok\r\n' },
      { c: 'DATA\r\n' },
      { s: '354 go\r\n' },
      { c: `${BODY}.\r\nQUIT\r\n` },
      { s: 'OK queued\r\n' },
    ])
    expect(result).toMatchObject({
      kind: 'protocol',
      stage: 'data',
      transient: false,
      maybeAccepted: true,
    })
    expect((result as Error).message).toContain('"OK queued"')
  })

  it('binary garbage is quoted as printable text only', async () => {
    const garbage = Uint8Array.from([0, 1, 0xff, 0xfe, 0x1b, 0x9b, 0x41, 7, 8, 0x7f, 13, 10])
    const { result } = await run([{ s: garbage }])
    expect(result).toMatchObject({ kind: 'protocol', stage: 'greeting', maybeAccepted: false })
    expect((result as Error).message).toMatch(/^[\x20-\x7e]*$/)
    expect((result as Error).message).toContain('not text')
  })

  it('a reply of more than 100 lines is a protocol error', async () => {
    const { result } = await run([{ s: '220-hello\r\n'.repeat(101) + '220 done\r\n' }])
    expect(result).toMatchObject({ kind: 'protocol', stage: 'greeting' })
    expect((result as Error).message).toContain('100 lines')
  })

  it('an early close is a socket failure', async () => {
    const { result } = await run([{ s: GREETING }, { c: `EHLO ${CLIENT}\r\n` }, { end: true }])
    expect(result).toMatchObject({ stage: 'ehlo', kind: 'socket', transient: true })
  })

  it('a refused connection is a socket failure', async () => {
    const probe = await scriptedPeer([])
    const port = probe.port
    await probe.close()
    const result = await sendMail(options(port)).catch((e: unknown) => e)
    expect(result).toMatchObject({ kind: 'socket', stage: 'connect' })
  })
})

describe('TLS verification', () => {
  const ca = createCertificateAuthority('timeouts test CA')
  const cert = issueServerCertificate(ca, { dns: ['other.example'] })

  it('refuses a certificate for another name, even with its CA trusted', async () => {
    // The handshake never completes, so the peer's script never starts: no `done` to await.
    peer = await scriptedPeer([{ s: GREETING }], { cert, implicitTls: true })
    const result = await sendMail(options(peer.port, { security: 'tls', ca: ca.certPem })).catch((
      e: unknown
    ) => e)
    expect(result).toMatchObject({ kind: 'tls', stage: 'tls' })
    expect((result as Error).message).toContain('ERR_TLS_CERT_ALTNAME_INVALID')
  })
})
