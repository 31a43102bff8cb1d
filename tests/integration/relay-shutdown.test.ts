/**
 * SIGTERM while sends are in flight and their SMTP server has not yet answered the message's
 * final dot: once the grace period (RELAY_SHUTDOWN_GRACE_MS, shortened here) is over, every
 * client still waiting gets the contract's answer that its outcome is unknown (the message may
 * have been delivered: the server has all of it), and so does one still waiting for a
 * connection, instead of a dropped connection; then the relay exits 0. A send the server answers
 * within the grace gets its real answer. On Node and Deno, against the real relay process and a
 * scripted SMTP server that holds its final reply.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ERROR_STATUS, ErrorBody, SendSuccess } from '../../src/lib/contract/api.ts'
import { call } from './relay-fixtures.ts'
import { type RelayProcess, startRelay } from '../helpers/relay-process.ts'
import { type ScriptedPeer, scriptedPeer, type Step } from '../helpers/smtp-peer-scripted.ts'
import { GREETING } from '../helpers/smtp-peer-kit.ts'

/** A session up to the message's final dot; then the server says nothing (it is "thinking"). */
const untilFinalDot: Step[] = [
  { s: GREETING },
  { upto: '\r\n' }, // EHLO
  { s: '250 mx.example\r\n' },
  { upto: '\r\n' }, // MAIL FROM
  { s: '250 2.1.0 Sender OK\r\n' },
  { upto: '\r\n' }, // RCPT TO
  { s: '250 2.1.5 Recipient OK\r\n' },
  { upto: 'DATA\r\n' },
  { s: '354 Start mail input\r\n' },
  { upto: '\r\n.\r\n' },
]

const IN_FLIGHT = 8
/** The relay opens at most 3 connections for one mailbox: the other sends wait for a slot. */
const PER_MAILBOX = 3
const GRACE_MS = '1500'

const sendTo = (port: number, subject: string) => ({
  smtp: { host: 'localhost', port, security: 'none' },
  auth: { type: 'none' },
  message: { from: 'a@contoso.example', to: ['b@contoso.example'], subject, text: 'body' },
})

describe.each(['node', 'deno'] as const)('SIGTERM with sends in flight on %s', (runtime) => {
  let relay: RelayProcess | undefined
  const peers: ScriptedPeer[] = []

  afterEach(async () => {
    await relay?.stop('SIGKILL')
    await Promise.all(peers.splice(0).map((p) => p.close()))
  })

  it(`answers each of ${IN_FLIGHT} sends still waiting for the server after the grace: outcome unknown`, async () => {
    const peer = await scriptedPeer(untilFinalDot)
    peers.push(peer)
    const hosts = `localhost:${peer.port}`
    relay = await startRelay({
      runtime,
      env: {
        RELAY_SMTP_HOSTS: hosts,
        RELAY_PLAINTEXT_HOSTS: hosts,
        RELAY_RATE_LIMIT: '10000',
        RELAY_SHUTDOWN_GRACE_MS: GRACE_MS,
      },
    })
    const url = relay.url
    const held = Array.from({ length: IN_FLIGHT }, (_, i) =>
      call(url, '/api/send', sendTo(peer.port, `held ${i}`)).then(
        (res) => ({ status: res.status, body: res.json }),
        (err: unknown) => ({ failed: String((err as Error).cause ?? err) }),
      )
    )
    // Three messages have reached the server whole before the signal; five wait for a slot.
    await expect.poll(() => peer.played(), { timeout: 20_000 }).toBe(PER_MAILBOX)
    const code = relay.stop('SIGTERM')

    const answers = await Promise.all(held)
    for (const a of answers) {
      expect(a).toMatchObject({ status: ERROR_STATUS.TIMEOUT })
      const { error } = ErrorBody.parse((a as { body: unknown }).body)
      expect(error.code).toBe('TIMEOUT')
      expect(error.message).toMatch(/outcome is unknown: a message being sent may have been delivered/)
      expect(error.hint).toMatch(/Check whether the message arrived before sending it again/)
      expect(error.maybeDelivered).toBe(true)
    }
    expect(await code, relay.output()).toBe(0)
    expect(relay.output()).toMatch(
      new RegExp(`stopped after ${GRACE_MS} ms with ${IN_FLIGHT} request\\(s\\) in flight`),
    )
  })

  it('lets a send that the server answers within the grace finish with its real answer', async () => {
    let reached = () => {}
    const atFinalDot = new Promise<void>((resolve) => (reached = resolve))
    let release = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    const peer = await scriptedPeer([
      ...untilFinalDot,
      {
        wait: () => {
          reached()
          return released
        },
      },
      { s: '250 2.0.0 OK queued as 42\r\n' },
    ])
    peers.push(peer)
    const hosts = `localhost:${peer.port}`
    relay = await startRelay({
      runtime,
      env: { RELAY_SMTP_HOSTS: hosts, RELAY_PLAINTEXT_HOSTS: hosts, RELAY_SHUTDOWN_GRACE_MS: '60000' },
    })
    const own = relay
    const answer = call(own.url, '/api/send', sendTo(peer.port, 'finishes'))
    await atFinalDot
    const code = own.stop('SIGTERM')
    // The relay has the signal and is waiting for the send; only then does the server answer.
    await expect.poll(() => own.output(), { timeout: 20_000 }).toMatch(
      /relay: SIGTERM: stopping; 1 request\(s\) in flight may take 60000 ms to finish/,
    )
    release()
    const res = await answer
    expect(res.status, res.text).toBe(200)
    expect(SendSuccess.parse(res.json).response).toBe('250 2.0.0 OK queued as 42')
    expect(await code, own.output()).toBe(0)
    expect(own.output()).not.toMatch(/answered TIMEOUT/)
  })

  it('exits at once, without waiting for the grace, when nothing is in flight', async () => {
    relay = await startRelay({ runtime, env: { RELAY_SHUTDOWN_GRACE_MS: '600000' } })
    expect((await call(relay.url, '/api/health')).status).toBe(200)
    expect(await relay.stop('SIGTERM'), relay.output()).toBe(0)
    expect(relay.output()).toMatch(/relay: SIGTERM: stopping; 0 request\(s\) in flight/)
    expect(relay.output()).not.toMatch(/answered TIMEOUT/)
  })
})
