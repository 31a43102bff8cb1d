/**
 * The engine against a real `smtp-server` on 127.0.0.1 (STARTTLS and implicit TLS, XOAUTH2
 * checking the token, PLAIN, LOGIN, PIPELINING), the same scenarios on Node and on Deno. What
 * arrives is parsed with mailparser and compared field by field.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type AddressObject, simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseMailbox } from '../../src/lib/contract/api.ts'
import { ROOT } from '../helpers/relay-process.ts'
import { type ReceivedMessage, type SmtpPeer, startSmtpPeer } from '../helpers/smtp-peer.ts'
import { type ScriptedPeer, scriptedPeer } from '../helpers/smtp-peer-scripted.ts'
import { createCertificateAuthority } from '../../relay/src/tls/certs.ts'
import { type Delivered, type PeerEnv, scenarios } from './engine-scenarios.ts'

const DENO = join(ROOT, 'node_modules', '.bin', 'deno')
const REFUSED = 'nobody@example.jp'

let starttls: SmtpPeer
let implicit: SmtpPeer
let injecting: ScriptedPeer
let env: Omit<PeerEnv, 'runtime'>

beforeAll(async () => {
  const ca = createCertificateAuthority('engine integration CA')
  starttls = await startSmtpPeer({ ca })
  const credentials = { user: starttls.user, token: starttls.token, password: starttls.password }
  implicit = await startSmtpPeer({ ca, credentials, secure: true })
  for (const peer of [starttls, implicit]) peer.refuse.add(REFUSED)
  injecting = await scriptedPeer([
    { s: '220 localhost ESMTP\r\n' },
    { c: 'EHLO client.example\r\n' },
    { s: '250-localhost\r\n250 STARTTLS\r\n' },
    { c: 'STARTTLS\r\n' },
    // The attacker's reply rides in the same segment as the 220, in clear text.
    { s: '220 Ready to start TLS\r\n250-AUTH PLAIN\r\n' },
  ])
  env = {
    port: starttls.port,
    tlsPort: implicit.port,
    injectionPort: injecting.port,
    caPem: ca.certPem,
    user: starttls.user,
    token: starttls.token,
    password: starttls.password,
    refused: REFUSED,
  }
})

afterAll(async () => {
  await starttls?.close()
  await implicit?.close()
  // After both runtimes: not one byte (no ClientHello, no AUTH) followed the injected reply.
  expect(injecting.outcomes).toHaveLength(2)
  for (const outcome of injecting.outcomes) {
    expect(outcome).toEqual({ ok: true, extra: '', tls: false })
  }
  await injecting?.close()
})

const addresses = (a: AddressObject | AddressObject[] | undefined) =>
  [a ?? []].flat().flatMap((o) => o.value.map((v) => ({ name: v.name, address: v.address })))

const expected = (texts: string[] | undefined) =>
  (texts ?? []).map((t) => {
    const m = parseMailbox(t)
    return { name: m?.name ?? '', address: m?.address }
  })

/** Finds what the peer received for `d` and compares it with what was sent. */
async function verify(d: Delivered): Promise<void> {
  const all: ReceivedMessage[] = [...starttls.messages, ...implicit.messages]
  const received = all.find((m) => m.raw.includes(`Message-ID: ${d.messageId}`))
  expect(received, `message ${d.messageId} arrived`).toBeDefined()
  if (!received) return
  expect({ from: received.from, to: received.to, user: received.user }).toEqual({
    ...d.envelope,
    user: d.user,
  })
  const mail = await simpleParser(received.raw)
  const m = d.message
  expect(mail.messageId).toBe(d.messageId)
  expect(mail.subject).toBe(m.subject)
  expect(addresses(mail.from)).toEqual(expected([m.from]))
  expect(addresses(mail.to)).toEqual(expected(m.to))
  expect(addresses(mail.cc)).toEqual(expected(m.cc))
  expect(mail.bcc).toBeUndefined()
  expect(received.raw.toString('latin1')).not.toMatch(/^Bcc:/im)
  expect(mail.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(m.text?.trimEnd())
  expect(
    mail.attachments.map((a) => ({ filename: a.filename, content: a.content.toString('base64') }))
  ).toEqual(
    (m.attachments ?? []).map((a) => ({ filename: a.filename, content: a.contentBase64 }))
  )
}

describe('engine on Node', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_, scenario) => {
    const delivered = await scenario.run({ ...env, runtime: 'node' })
    for (const d of delivered) await verify(d)
  })
})

describe('engine on Deno', () => {
  let results: Map<string, { ok: boolean; error?: string; delivered?: Delivered[] }>

  beforeAll(async () => {
    const { stdout } = await promisify(execFile)(
      DENO,
      [
        'run',
        '--no-lock',
        '--allow-net',
        '--allow-read',
        '--allow-env',
        '--allow-sys',
        'tests/deno/engine.ts',
      ],
      { cwd: ROOT, timeout: 110_000, env: { ...process.env, ENGINE_PEERS: JSON.stringify(env) } }
    )
    results = new Map(
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { name: string; ok: boolean })
        .map((r) => [r.name, r])
    )
  })

  it.each(scenarios.map((s) => [s.name]))('%s', async (name) => {
    const result = results.get(name)
    expect(result, 'the scenario ran').toBeDefined()
    expect(result?.error).toBeUndefined()
    expect(result?.ok).toBe(true)
    for (const d of result?.delivered ?? []) await verify(d)
  })
})
