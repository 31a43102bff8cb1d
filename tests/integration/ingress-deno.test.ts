/**
 * The SMTP ingress on Deno: smtp-server under Deno's Node compatibility, STARTTLS and implicit
 * TLS (Deno's TLS is rustls), driven by the same raw-socket MFD client as on Node. Also shows
 * what Deno does with a TLS 1.0 device (it cannot: rustls has no TLS below 1.2), which is why
 * RELAY_INGRESS_MIN_TLS=TLSv1 is refused on Deno (ingress-config.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { b64, MfdClient } from '../helpers/mfd-client.ts'
import { ROOT } from '../helpers/relay-process.ts'

const DENO = join(ROOT, 'node_modules', '.bin', 'deno')
const SCRIPT = 'tests/integration/ingress-deno.script.ts'

interface Running {
  child: ChildProcess
  dir: string
  port: (security: string) => number
  stderr: () => string
}
const running: Running[] = []

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.child.stdin?.end()
    if (r.child.exitCode === null) await new Promise((resolve) => r.child.once('exit', resolve))
    await rm(r.dir, { recursive: true, force: true })
  }
})

async function startOnDeno(minTls = 'TLSv1.2'): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'mailkey-ingress-deno-'))
  const child = spawn(
    DENO,
    ['run', '--no-lock', '--allow-net', '--allow-read', '--allow-write', '--allow-env', '--allow-sys', SCRIPT, dir, minTls],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  )
  let err = ''
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`deno exited ${code}: ${err}`)))
  })
  const { listeners } = JSON.parse(first) as { listeners: { port: number; security: string }[] }
  const r: Running = {
    child,
    dir,
    port: (s) => listeners.find((l) => l.security === s)?.port ?? 0,
    stderr: () => err,
  }
  running.push(r)
  return r
}

async function sendOne(c: MfdClient, subject: string): Promise<string> {
  expect(await c.cmd(`AUTH PLAIN ${b64('\0scanner\0deno-pass')}`)).toBe('235 2.7.0 Authentication successful')
  expect(await c.cmd('MAIL FROM:<s@example.jp>')).toBe('250 2.1.0 Accepted')
  expect(await c.cmd('RCPT TO:<t@example.jp>')).toBe('250 2.1.5 Accepted')
  expect(await c.cmd('DATA')).toBe('354 End data with <CR><LF>.<CR><LF>')
  c.write(`Subject: ${subject}\nX: bare LF\n\nbody\n.\n`)
  const reply = await c.reply()
  const id = /^250 2\.0\.0 OK: queued as (\S+)$/.exec(reply)?.[1]
  if (!id) throw new Error(reply)
  return id
}

describe('SMTP ingress on Deno', () => {
  it('STARTTLS and implicit TLS sessions commit messages; the password stays out of the log', async () => {
    const deno = await startOnDeno()
    const c = await MfdClient.connect(deno.port('starttls'))
    expect(await c.reply()).toBe('220 relay.test ESMTP mailkey')
    expect(await c.cmd('EHLO mfd')).not.toContain('AUTH')
    expect(await c.cmd('STARTTLS')).toBe('220 2.0.0 Ready to start TLS')
    expect(await c.startTls()).toMatch(/^TLSv1\.[23]$/)
    expect(await c.cmd('EHLO mfd')).toContain('250-AUTH PLAIN LOGIN')
    const a = await sendOne(c, 'starttls on deno')
    expect(await c.cmd('QUIT')).toBe('221 2.0.0 Bye')

    const d = await MfdClient.connect(deno.port('tls'), {})
    expect(d.protocol()).toMatch(/^TLSv1\.[23]$/)
    expect(await d.reply()).toBe('220 relay.test ESMTP mailkey')
    expect(await d.cmd('HELO mfd')).toBe('250 relay.test Hello [127.0.0.1]')
    const b = await sendOne(d, 'implicit tls on deno')
    expect(await d.cmd('QUIT')).toBe('221 2.0.0 Bye')

    expect(await readFile(join(deno.dir, `${a}.eml`), 'utf8')).toBe('Subject: starttls on deno\r\nX: bare LF\r\n\r\nbody\r\n')
    expect(await readFile(join(deno.dir, `${b}.eml`), 'utf8')).toBe('Subject: implicit tls on deno\r\nX: bare LF\r\n\r\nbody\r\n')
    await d.closed
    expect(deno.stderr()).not.toContain('deno-pass')
  })

  it('cannot complete a TLS 1.0 handshake, even when asked to (hence the config refuses TLSv1 on Deno)', async () => {
    const deno = await startOnDeno('TLSv1')
    const c = await MfdClient.connect(deno.port('starttls'))
    await c.reply()
    await c.cmd('EHLO old')
    expect(await c.cmd('STARTTLS')).toBe('220 2.0.0 Ready to start TLS')
    await expect(
      c.startTls({ minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }),
    ).rejects.toThrow()
  })
})
