/**
 * The SMTP ingress driven like old MFDs: a raw-socket client writes exact lines (tests/helpers/
 * mfd-client.ts), the ingress commits through a real sink that writes each message to a temp
 * folder, and the test reads the folder back. No SMTP library on the client side.
 */
import { X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { IngressInfo } from '../../../src/lib/contract/gateway.ts'
import { b64, MfdClient } from '../../../tests/helpers/mfd-client.ts'
import type { IngressConfig, IngressListenerConfig } from './ingress-config.ts'
import { startIngress, IngressReply, type Ingress, type IngressDevice, type IngressLimits, type IngressMessage } from './ingress.ts'

interface TestDevice extends IngressDevice {
  username?: string
  password?: string
}

const PASSWORD = 'Pw-9f3c1d-secret'
const DEVICES: TestDevice[] = [
  { id: 'dev-scanner', name: 'Scanner 3F', username: 'scanner3f', password: PASSWORD },
  { id: 'dev-ip', name: 'Old fax' },
]

/** A real commit: the message and its envelope written to `dir`, then the id handed back. */
function folderSink(dir: string) {
  let n = 0
  return async (m: IngressMessage<TestDevice>) => {
    const id = `m${++n}-${m.session.id.slice(0, 6)}`
    // Written under a temporary name and renamed: a reader never sees half a message.
    await writeFile(join(dir, `${id}.eml.tmp`), m.bytes)
    await writeFile(
      join(dir, `${id}.json`),
      JSON.stringify({ device: m.device.id, envelope: m.envelope, session: m.session }),
    )
    await rename(join(dir, `${id}.eml.tmp`), join(dir, `${id}.eml`))
    return { id }
  }
}

interface Harness {
  ingress: Ingress
  sinkDir: string
  logs: Record<string, unknown>[]
  port(security: IngressListenerConfig['security']): number
  stored(id: string): Promise<{ bytes: Buffer; meta: { device: string; envelope: { from: string; to: string[] }; session: IngressMessage<TestDevice>['session'] } }>
}

let root: string
const started: Ingress[] = []

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mailkey-ingress-'))
})
afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.close()))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function harness(
  config: Partial<IngressConfig> = {},
  more: { limits?: Partial<IngressLimits>; allowIp?: boolean; listeners?: IngressListenerConfig[] } = {},
): Promise<Harness> {
  const sinkDir = await mkdtemp(join(root, 'sink-'))
  const logs: Record<string, unknown>[] = []
  const ingress = await startIngress<TestDevice>({
    config: {
      listeners: more.listeners ?? [
        { host: '127.0.0.1', port: 0, security: 'starttls' },
        { host: '127.0.0.1', port: 0, security: 'tls' },
        { host: '127.0.0.1', port: 0, security: 'none' },
      ],
      minTls: 'TLSv1.2',
      plaintextAuth: false,
      maxConnectionsPerAddress: 10,
      ...config,
    },
    dataDir: join(root, 'data'),
    name: 'relay.test',
    limits: { closeTimeoutMs: 200, ...more.limits },
    authThrottle: { baseDelayMs: 1, maxDelayMs: 4 },
    log: (line) => logs.push(line),
    authenticate: async ({ username, password }) =>
      DEVICES.find((d) => d.username === username && d.password === password) ?? null,
    allowUnauthenticated: async (address) =>
      more.allowIp && address === '127.0.0.1' ? (DEVICES[1] as TestDevice) : null,
    accept: folderSink(sinkDir),
  })
  started.push(ingress)
  return {
    ingress,
    sinkDir,
    logs,
    port: (security) => {
      const l = ingress.listeners.find((x) => x.security === security)
      if (!l) throw new Error(`no ${security} listener`)
      return l.port
    },
    stored: async (id) => ({
      bytes: await readFile(join(sinkDir, `${id}.eml`)),
      meta: JSON.parse(await readFile(join(sinkDir, `${id}.json`), 'utf8')),
    }),
  }
}

const queuedId = (reply: string) => {
  const m = /^250 2\.0\.0 OK: queued as (\S+)$/.exec(reply)
  if (!m?.[1]) throw new Error(`not a 250 with an id: ${reply}`)
  return m[1]
}

/** Greeting, EHLO, STARTTLS, EHLO again; returns the EHLO reply after TLS. */
async function starttls(c: MfdClient, tlsOptions = {}) {
  expect(await c.reply()).toBe('220 relay.test ESMTP mailkey')
  await c.cmd('EHLO mfd.local')
  expect(await c.cmd('STARTTLS')).toBe('220 2.0.0 Ready to start TLS')
  await c.startTls(tlsOptions)
  return c.cmd('EHLO mfd.local')
}

/** One closed session's log line (the test waits for the close first). */
async function sessionLog(h: Harness, c: MfdClient) {
  await c.closed
  // The server sees the close an event-loop turn or more after the client (longer on a busy machine).
  for (let i = 0; i < 500 && !h.logs.some((l) => l.event === 'ingress.session'); i++) {
    await new Promise((r) => setTimeout(r, 20))
  }
  return h.logs.filter((l) => l.event === 'ingress.session')
}

describe('SMTP ingress: what a device sees before and after TLS', () => {
  it('offers STARTTLS but no AUTH in clear text, refuses AUTH with 538 5.7.11 and MAIL with 530', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('starttls'))
    expect(await c.reply()).toBe('220 relay.test ESMTP mailkey')
    const ehlo = await c.cmd('EHLO mfd.local')
    expect(ehlo.split('\n')).toEqual([
      '250-relay.test Hello [127.0.0.1]',
      '250-PIPELINING',
      '250-8BITMIME',
      '250-SMTPUTF8',
      '250-ENHANCEDSTATUSCODES',
      '250-STARTTLS',
      '250 SIZE 36700160',
    ])
    expect(await c.cmd(`AUTH PLAIN ${b64(`\0scanner3f\0${PASSWORD}`)}`)).toBe(
      '538 5.7.11 Encryption required for requested authentication mechanism',
    )
    expect(await c.cmd('MAIL FROM:<scanner@example.jp>')).toBe('530 5.7.0 Must issue a STARTTLS command first')
    expect(await c.cmd('QUIT')).toBe('221 2.0.0 Bye')
  })

  it('after STARTTLS lists AUTH PLAIN LOGIN (also in the old AUTH= form), enhanced codes and the 35 MB SIZE', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('starttls'))
    const ehlo = await starttls(c)
    expect(ehlo.split('\n')).toEqual([
      '250-relay.test Hello [127.0.0.1]',
      '250-PIPELINING',
      '250-8BITMIME',
      '250-SMTPUTF8',
      '250-ENHANCEDSTATUSCODES',
      '250-AUTH PLAIN LOGIN',
      '250-AUTH=PLAIN LOGIN',
      '250 SIZE 36700160',
    ])
    expect(c.protocol()).toBe('TLSv1.3')
    c.close()
  })
})

describe('SMTP ingress: old-device tolerances', () => {
  it('HELO only, AUTH LOGIN with the standard prompts, bare-LF commands and 8-bit body ended by LF.LF: stored with CRLF', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('tls'), {})
    expect(await c.reply()).toBe('220 relay.test ESMTP mailkey')
    expect(await c.cmd('HELO SCANNER-3F')).toBe('250 relay.test Hello [127.0.0.1]')
    expect(await c.cmd('AUTH LOGIN')).toBe('334 VXNlcm5hbWU6')
    expect(await c.cmd(b64('scanner3f'))).toBe('334 UGFzc3dvcmQ6')
    expect(await c.cmd(b64(PASSWORD))).toBe('235 2.7.0 Authentication successful')
    // Commands ended by a bare LF, as some firmware sends them.
    c.write('MAIL FROM:<scanner@example.jp>\n')
    expect(await c.reply()).toBe('250 2.1.0 Accepted')
    c.write('RCPT TO:<taro@example.jp>\n')
    expect(await c.reply()).toBe('250 2.1.5 Accepted')
    c.write('DATA\n')
    expect(await c.reply()).toBe('354 End data with <CR><LF>.<CR><LF>')
    // Shift_JIS bytes straight in the body (8-bit, no MIME encoding), LF line ends, LF.LF end.
    const sjis = Buffer.from([0x83, 0x58, 0x83, 0x4c, 0x83, 0x83, 0x83, 0x93]) // スキャン
    c.write(Buffer.concat([
      Buffer.from('From: scanner@example.jp\nTo: taro@example.jp\nSubject: scan\n\n'),
      sjis,
      Buffer.from('\n..dot line\n.\n'),
    ]))
    const id = queuedId(await c.reply())
    const { bytes, meta } = await h.stored(id)
    expect(bytes).toEqual(Buffer.concat([
      Buffer.from('From: scanner@example.jp\r\nTo: taro@example.jp\r\nSubject: scan\r\n\r\n'),
      sjis,
      Buffer.from('\r\n.dot line\r\n'),
    ]))
    expect(meta.device).toBe('dev-scanner')
    expect(meta.envelope).toEqual({ from: 'scanner@example.jp', to: ['taro@example.jp'] })
    expect(meta.session).toMatchObject({ helo: 'scanner-3f', tls: 'TLSv1.3', auth: 'LOGIN' })
    expect(await c.cmd('QUIT')).toBe('221 2.0.0 Bye')
  })

  it('HELO then STARTTLS then AUTH PLAIN with the initial response', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('starttls'))
    expect(await c.reply()).toMatch(/^220 /)
    expect(await c.cmd('HELO mfd')).toBe('250 relay.test Hello [127.0.0.1]')
    expect(await c.cmd('STARTTLS')).toBe('220 2.0.0 Ready to start TLS')
    await c.startTls()
    expect(await c.cmd('HELO mfd')).toBe('250 relay.test Hello [127.0.0.1]')
    expect(await c.cmd(`AUTH PLAIN ${b64(`\0scanner3f\0${PASSWORD}`)}`)).toBe('235 2.7.0 Authentication successful')
    c.close()
  })

  it('AUTH PLAIN without an initial response (empty 334, then the token)', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('tls'), {})
    await c.reply()
    await c.cmd('EHLO mfd')
    expect(await c.cmd('AUTH PLAIN')).toBe('334 ')
    expect(await c.cmd(b64(`scanner3f\0scanner3f\0${PASSWORD}`))).toBe('235 2.7.0 Authentication successful')
    c.close()
  })

  it('AUTH LOGIN with the user name inline', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('tls'), {})
    await c.reply()
    await c.cmd('EHLO mfd')
    expect(await c.cmd(`AUTH LOGIN ${b64('scanner3f')}`)).toBe('334 UGFzc3dvcmQ6')
    expect(await c.cmd(b64(PASSWORD))).toBe('235 2.7.0 Authentication successful')
    c.close()
  })

  it('pipelined MAIL, RCPT and DATA in one write, CRLF body: committed byte for byte', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('tls'), {})
    await c.reply()
    await c.cmd('EHLO mfd')
    await c.cmd(`AUTH PLAIN ${b64(`\0scanner3f\0${PASSWORD}`)}`)
    c.write('MAIL FROM:<> BODY=8BITMIME\r\nRCPT TO:<a@example.jp>\r\nRCPT TO:<b@example.jp>\r\nDATA\r\n')
    expect([await c.reply(), await c.reply(), await c.reply(), await c.reply()]).toEqual([
      '250 2.1.0 Accepted',
      '250 2.1.5 Accepted',
      '250 2.1.5 Accepted',
      '354 End data with <CR><LF>.<CR><LF>',
    ])
    const body = 'Subject: x\r\n\r\n日本語 8bit\r\n'
    c.write(Buffer.concat([Buffer.from(body), Buffer.from('.\r\n')]))
    const id = queuedId(await c.reply())
    const { bytes, meta } = await h.stored(id)
    expect(bytes.toString('utf8')).toBe(body)
    expect(meta.envelope).toEqual({ from: '', to: ['a@example.jp', 'b@example.jp'] })
    c.close()
  })

  it('RELAY_INGRESS_PLAINTEXT_AUTH: AUTH offered and accepted without TLS, on the STARTTLS and the plain listener', async () => {
    const h = await harness({ plaintextAuth: true })
    for (const security of ['starttls', 'none'] as const) {
      const c = await MfdClient.connect(h.port(security))
      await c.reply()
      const ehlo = await c.cmd('EHLO mfd')
      expect(ehlo).toContain('250-AUTH PLAIN LOGIN')
      expect(ehlo.includes('STARTTLS')).toBe(security === 'starttls')
      expect(await c.cmd('AUTH LOGIN')).toBe('334 VXNlcm5hbWU6')
      await c.cmd(b64('scanner3f'))
      expect(await c.cmd(b64(PASSWORD))).toBe('235 2.7.0 Authentication successful')
      await c.cmd('MAIL FROM:<s@example.jp>')
      await c.cmd('RCPT TO:<t@example.jp>')
      await c.cmd('DATA')
      const id = queuedId(await c.cmd('Subject: plain\r\n\r\nhi\r\n.'))
      expect((await h.stored(id)).meta.session).toMatchObject({ tls: null, auth: 'LOGIN' })
      c.close()
    }
    expect(h.logs.some((l) => l.event === 'ingress.warning' && String(l.message).includes('RELAY_INGRESS_PLAINTEXT_AUTH=1'))).toBe(true)
  })

  it('a plain listener without PLAINTEXT_AUTH: no STARTTLS, no AUTH (538), MAIL needs authentication (530)', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('none'))
    await c.reply()
    const ehlo = await c.cmd('EHLO mfd')
    expect(ehlo).not.toContain('STARTTLS')
    expect(ehlo).not.toContain('AUTH')
    expect(await c.cmd('STARTTLS')).toBe('500 5.5.2 command not recognized')
    expect(await c.cmd('AUTH LOGIN')).toBe('538 5.7.11 Encryption required for requested authentication mechanism')
    expect(await c.cmd('MAIL FROM:<s@example.jp>')).toBe('530 5.7.0 Authentication required')
    c.close()
  })

  it('an allow-listed address sends without AUTH, even without TLS', async () => {
    const h = await harness({}, { allowIp: true })
    const c = await MfdClient.connect(h.port('none'))
    await c.reply()
    await c.cmd('HELO fax')
    expect(await c.cmd('MAIL FROM:<fax@example.jp>')).toBe('250 2.1.0 Accepted')
    await c.cmd('RCPT TO:<t@example.jp>')
    await c.cmd('DATA')
    const id = queuedId(await c.cmd('Subject: fax\r\n\r\npage 1\r\n.'))
    const { meta } = await h.stored(id)
    expect(meta.device).toBe('dev-ip')
    expect(meta.session).toMatchObject({ auth: 'address', tls: null, helo: 'fax' })
    c.close()
  })
})

describe('SMTP ingress: bad credentials and their slowdown', () => {
  it('535 5.7.8 for a wrong password, 421 4.7.0 at the third, counted per address; the password is never logged', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('tls'), {})
    await c.reply()
    await c.cmd('EHLO mfd')
    expect(await c.cmd(`AUTH PLAIN ${b64('\0scanner3f\0wrong-1')}`)).toBe('535 5.7.8 Authentication credentials invalid')
    expect(await c.cmd('AUTH LOGIN')).toBe('334 VXNlcm5hbWU6')
    await c.cmd(b64('scanner3f'))
    expect(await c.cmd(b64('wrong-2'))).toBe('535 5.7.8 Authentication credentials invalid')
    expect(await c.cmd(`AUTH PLAIN ${b64(`\0nobody\0${PASSWORD}`)}`)).toBe(
      '421 4.7.0 Too many failed authentication attempts, closing connection',
    )
    const logs = await sessionLog(h, c)
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatchObject({ outcome: 'auth-failed', authFailures: 3, username: 'nobody', accepted: 0 })
    const all = JSON.stringify(h.logs)
    for (const secret of [PASSWORD, 'wrong-1', 'wrong-2', b64(PASSWORD)]) expect(all).not.toContain(secret)

    // The right password still works afterwards (a device that mistyped is not locked out).
    const d = await MfdClient.connect(h.port('tls'), {})
    await d.reply()
    await d.cmd('EHLO mfd')
    expect(await d.cmd(`AUTH PLAIN ${b64(`\0scanner3f\0${PASSWORD}`)}`)).toBe('235 2.7.0 Authentication successful')
    d.close()
  })
})

describe('SMTP ingress: limits', () => {
  it('refuses a declared size over 35 MB at MAIL with 552 5.3.4', async () => {
    const h = await harness({}, { allowIp: true })
    const c = await MfdClient.connect(h.port('none'))
    await c.reply()
    await c.cmd('EHLO mfd')
    expect(await c.cmd(`MAIL FROM:<s@example.jp> SIZE=${35 * 1024 * 1024 + 1}`)).toBe(
      '552 5.3.4 Message size exceeds fixed maximum message size',
    )
    expect(await c.cmd(`MAIL FROM:<s@example.jp> SIZE=${35 * 1024 * 1024}`)).toBe('250 2.1.0 Accepted')
    c.close()
  })

  it('refuses a message over 35 MB after DATA with 552 5.3.4 and stores nothing; the session goes on', async () => {
    const h = await harness({}, { allowIp: true })
    const c = await MfdClient.connect(h.port('none'))
    await c.reply()
    await c.cmd('EHLO mfd')
    await c.cmd('MAIL FROM:<s@example.jp>')
    await c.cmd('RCPT TO:<t@example.jp>')
    await c.cmd('DATA')
    const line = Buffer.from('x'.repeat(998) + '\r\n')
    const lines = Math.ceil((35 * 1024 * 1024) / line.length) + 1
    c.write(Buffer.concat([Buffer.from('Subject: big\r\n\r\n'), Buffer.concat(Array(lines).fill(line)), Buffer.from('.\r\n')]))
    expect(await c.reply()).toBe('552 5.3.4 Message size exceeds fixed maximum message size')
    expect(await readdir(h.sinkDir)).toEqual([])
    expect(await c.cmd('NOOP')).toBe('250 2.0.0 OK')
    c.close()
  })

  it('answers 452 4.3.1 when messages in memory would pass their cap, and frees what it held', async () => {
    const h = await harness({}, { allowIp: true, limits: { maxBufferedBytes: 4000 } })
    const c = await MfdClient.connect(h.port('none'))
    await c.reply()
    await c.cmd('EHLO mfd')
    const send = async (bodyBytes: number) => {
      await c.cmd('MAIL FROM:<s@example.jp>')
      await c.cmd('RCPT TO:<t@example.jp>')
      await c.cmd('DATA')
      return c.cmd('Subject: x\r\n\r\n' + 'y'.repeat(bodyBytes) + '\r\n.')
    }
    expect(await send(5000)).toBe('452 4.3.1 Insufficient system resources, try again later')
    expect(await readdir(h.sinkDir)).toEqual([])
    // Three messages that each fit: nothing of the refused one (or of the previous) is still counted.
    for (let i = 0; i < 3; i++) queuedId(await send(3000))
    c.close()
  })

  it('accepts 500 recipients and answers the 501st 452 4.5.3', async () => {
    const h = await harness({}, { allowIp: true })
    const c = await MfdClient.connect(h.port('none'))
    await c.reply()
    await c.cmd('EHLO mfd')
    await c.cmd('MAIL FROM:<s@example.jp>')
    c.write(Array.from({ length: 501 }, (_, i) => `RCPT TO:<r${i}@example.jp>\r\n`).join(''))
    const replies: string[] = []
    for (let i = 0; i < 501; i++) replies.push(await c.reply())
    expect(replies.slice(0, 500).every((r) => r === '250 2.1.5 Accepted')).toBe(true)
    expect(replies[500]).toBe('452 4.5.3 Too many recipients')
    await c.cmd('DATA')
    const id = queuedId(await c.cmd('Subject: many\r\n\r\n.\r\n.'))
    expect((await h.stored(id)).meta.envelope.to).toHaveLength(500)
    c.close()
  })

  it('at most N connections per address: the next one gets 421 4.7.0, and a slot frees when one closes', async () => {
    const h = await harness({ maxConnectionsPerAddress: 2 })
    const a = await MfdClient.connect(h.port('none'))
    const b = await MfdClient.connect(h.port('starttls'))
    expect(await a.reply()).toMatch(/^220 /)
    expect(await b.reply()).toMatch(/^220 /)
    const c = await MfdClient.connect(h.port('none'))
    expect(await c.reply()).toBe('421 4.7.0 Too many connections from your address, try again later')
    await c.closed
    expect(await a.cmd('QUIT')).toBe('221 2.0.0 Bye')
    await a.closed
    // The slot is released when the server sees the close; retry until it has.
    let greeting = ''
    for (let i = 0; i < 250 && !greeting.startsWith('220 '); i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 20))
      const d = await MfdClient.connect(h.port('none'))
      greeting = await d.reply()
      d.close()
    }
    expect(greeting).toBe('220 relay.test ESMTP mailkey')
    b.close()
  })

  it('an idle device gets 421 4.4.2 after the command timeout', async () => {
    const h = await harness({}, { limits: { commandTimeoutMs: 200 } })
    const c = await MfdClient.connect(h.port('none'))
    expect(await c.reply()).toMatch(/^220 /)
    // The device says nothing after the greeting (were it to talk, a busy machine could let the
    // timeout run out before its command arrived, and the test would depend on timing).
    expect(await c.reply()).toBe('421 4.4.2 Idle timeout, closing connection')
    await c.closed
  })

  it('a session past its time limit gets 421 4.4.2 at its next pause', async () => {
    const h = await harness({}, { limits: { sessionTimeoutMs: 300 } })
    const c = await MfdClient.connect(h.port('none'))
    await c.reply()
    // A device that keeps the session busy with NOOPs, a little apart, until the relay ends it.
    let reply = await c.cmd('NOOP')
    for (let i = 0; i < 200 && reply === '250 2.0.0 OK'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      reply = await c.cmd('NOOP')
    }
    expect(reply).toBe('421 4.4.2 Session time limit reached, closing connection')
    const logs = await sessionLog(h, c)
    expect(logs[0]?.lastError).toBe('421 4.4.2 Session time limit reached, closing connection')
  })
})

describe('SMTP ingress: the commit', () => {
  it('answers 451 4.3.0 when the commit fails, stores nothing, and 250 again once it works', async () => {
    const h = await harness({}, { allowIp: true })
    const c = await MfdClient.connect(h.port('none'))
    await c.reply()
    await c.cmd('EHLO mfd')
    const send = async () => {
      await c.cmd('MAIL FROM:<s@example.jp>')
      await c.cmd('RCPT TO:<t@example.jp>')
      await c.cmd('DATA')
      return c.cmd('Subject: x\r\n\r\nbody\r\n.')
    }
    // The sink's folder gone: its writeFile fails for real (ENOENT), as a full or lost disk would.
    await rm(h.sinkDir, { recursive: true })
    expect(await send()).toBe('451 4.3.0 Temporary local error, try again later')
    expect(existsSync(h.sinkDir)).toBe(false)
    await mkdir(h.sinkDir)
    const id = queuedId(await send())
    expect((await h.stored(id)).bytes.toString()).toBe('Subject: x\r\n\r\nbody\r\n')
    expect(await c.cmd('QUIT')).toBe('221 2.0.0 Bye')
    const logs = await sessionLog(h, c)
    expect(logs[0]).toMatchObject({ outcome: 'accepted', accepted: 1, refused: 1, device: 'dev-ip', auth: 'address' })
  })

  it('a hook may answer its own reply (IngressReply), e.g. a disabled device', async () => {
    const dir = await mkdtemp(join(root, 'own-'))
    const ingress = await startIngress<TestDevice>({
      config: { listeners: [{ host: '127.0.0.1', port: 0, security: 'none' }], minTls: 'TLSv1.2', plaintextAuth: true, maxConnectionsPerAddress: 5 },
      name: 'relay.test',
      limits: { closeTimeoutMs: 200 },
      log: () => undefined,
      authenticate: async () => { throw new IngressReply(535, '5.7.8', 'Device disabled') },
      allowUnauthenticated: async () => { throw new Error('store down') },
      accept: folderSink(dir),
    })
    started.push(ingress)
    const c = await MfdClient.connect(ingress.listeners[0]?.port ?? 0)
    await c.reply()
    await c.cmd('EHLO mfd')
    expect(await c.cmd(`AUTH PLAIN ${b64('\0u\0p')}`)).toBe('535 5.7.8 Device disabled')
    expect(await c.cmd('MAIL FROM:<s@example.jp>')).toBe('451 4.3.0 Temporary local error, try again later')
    c.close()
  })
})

describe('SMTP ingress: TLS versions and the certificate', () => {
  it('refuses TLS 1.1 by default (RELAY_INGRESS_MIN_TLS=TLSv1.2)', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('starttls'))
    await c.reply()
    await c.cmd('EHLO old')
    await c.cmd('STARTTLS')
    await expect(c.startTls({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' })).rejects.toThrow()
  })

  it('RELAY_INGRESS_MIN_TLS=TLSv1: a TLS 1.0-only device completes STARTTLS and implicit TLS, and is warned about', async () => {
    const h = await harness({ minTls: 'TLSv1' })
    const old = { maxVersion: 'TLSv1', minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } as const
    const c = await MfdClient.connect(h.port('starttls'))
    const ehlo = await starttls(c, old)
    expect(c.protocol()).toBe('TLSv1')
    expect(ehlo).toContain('250-AUTH PLAIN LOGIN')
    expect(await c.cmd(`AUTH PLAIN ${b64(`\0scanner3f\0${PASSWORD}`)}`)).toBe('235 2.7.0 Authentication successful')
    c.close()
    const d = await MfdClient.connect(h.port('tls'), { ...old, maxVersion: 'TLSv1.1' })
    expect(d.protocol()).toBe('TLSv1.1')
    expect(await d.reply()).toMatch(/^220 /)
    d.close()
    expect(h.logs.some((l) => l.event === 'ingress.warning' && String(l.message).includes('RELAY_INGRESS_MIN_TLS=TLSv1'))).toBe(true)
  })

  it('generates its certificate once into the data folder (key 0600), keeps it across restarts, and reports its fingerprint', async () => {
    const dataDir = await mkdtemp(join(root, 'cert-'))
    const start = () => startIngress<TestDevice>({
      config: { listeners: [{ host: '127.0.0.1', port: 0, security: 'starttls' }], minTls: 'TLSv1.2', plaintextAuth: false, maxConnectionsPerAddress: 5 },
      dataDir,
      name: 'relay.test',
      limits: { closeTimeoutMs: 200 },
      log: () => undefined,
      authenticate: async () => null,
      allowUnauthenticated: async () => null,
      accept: async () => ({ id: 'never' }),
    })
    const first = await start()
    const info = IngressInfo.parse(first.info())
    await first.close()
    const second = await start()
    started.push(second)
    expect(second.info().certificateSha256).toBe(info.certificateSha256)
    const pem = await readFile(join(dataDir, 'ingress', 'cert.pem'), 'utf8')
    expect(info.certificateSha256).toBe(new X509Certificate(pem).fingerprint256)
    expect(info.certificateSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect((await stat(join(dataDir, 'ingress', 'key.pem'))).mode & 0o777).toBe(0o600)
    expect(info.listeners).toEqual([{ host: '127.0.0.1', port: expect.any(Number), security: 'starttls' }])

    // What the device sees is that certificate.
    const c = await MfdClient.connect(second.listeners[0]?.port ?? 0)
    await starttls(c, { ca: await readFile(join(dataDir, 'ingress', 'ca.pem'), 'utf8') })
    c.close()
  })

  it('without TLS listeners there is no certificate (certificateSha256 null)', async () => {
    const ingress = await startIngress<TestDevice>({
      config: { listeners: [{ host: '127.0.0.1', port: 0, security: 'none' }], minTls: 'TLSv1.2', plaintextAuth: false, maxConnectionsPerAddress: 5 },
      log: () => undefined,
      limits: { closeTimeoutMs: 200 },
      authenticate: async () => null,
      allowUnauthenticated: async () => null,
      accept: async () => ({ id: 'never' }),
    })
    started.push(ingress)
    expect(IngressInfo.parse(ingress.info())).toEqual({
      ok: true,
      listeners: [{ host: '127.0.0.1', port: ingress.listeners[0]?.port, security: 'none' }],
      certificateSha256: null,
    })
  })
})

describe('SMTP ingress: the session log', () => {
  it('writes one line per session with its outcome, device and message ids', async () => {
    const h = await harness()
    const c = await MfdClient.connect(h.port('tls'), {})
    await c.reply()
    await c.cmd('EHLO mfd')
    await c.cmd(`AUTH PLAIN ${b64(`\0scanner3f\0${PASSWORD}`)}`)
    await c.cmd('MAIL FROM:<s@example.jp>')
    await c.cmd('RCPT TO:<t@example.jp>')
    await c.cmd('DATA')
    const id = queuedId(await c.cmd('Subject: x\r\n\r\n.'))
    await c.cmd('QUIT')
    const logs = await sessionLog(h, c)
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'info',
        outcome: 'accepted',
        listener: expect.stringMatching(/^127\.0\.0\.1:\d+\/tls$/),
        remoteAddress: '127.0.0.1',
        helo: 'mfd',
        tls: 'TLSv1.3',
        auth: 'PLAIN',
        username: 'scanner3f',
        device: 'dev-scanner',
        accepted: 1,
        ids: [id],
      }),
    ])
    expect(JSON.stringify(h.logs)).not.toContain(PASSWORD)
  })
})
