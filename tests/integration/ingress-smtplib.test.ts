/**
 * Python's smtplib as the device, as the tests outside the project drive the gateway: STARTTLS
 * with the certificate really verified (the generated CA), implicit TLS, login() choosing its
 * mechanism from our EHLO, an 8-bit body, and the 535 a wrong password gets.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startIngress, type Ingress } from '../../relay/src/gateway/ingress.ts'

const PASSWORD = 'smtplib-Pw-41c2'
const SCRIPT = String.raw`
import json, smtplib, ssl, sys
mode, port, cafile, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
out = {}
try:
    if mode == 'tls':
        s = smtplib.SMTP_SSL('127.0.0.1', port, context=ctx, timeout=30)
    else:
        s = smtplib.SMTP('127.0.0.1', port, timeout=30)
        s.ehlo('mfd.example')
        s.starttls(context=ctx)
    s.ehlo('mfd.example')
    out['auth'] = s.esmtp_features.get('auth')
    s.login('scanner', password)
    s.mail('scanner@example.jp')
    s.rcpt('taro@example.jp')
    code, text = s.data(b'From: scanner@example.jp\r\nSubject: smtplib\r\n\r\n\xe3\x82\xb9\xe3\x82\xad\xe3\x83\xa3\xe3\x83\xb3\r\n')
    out['data'] = [code, text.decode()]
    s.quit()
except smtplib.SMTPResponseException as e:
    out['error'] = [e.smtp_code, e.smtp_error.decode()]
print(json.dumps(out))
`

let root: string
let ingress: Ingress
let n = 0

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mailkey-ingress-smtplib-'))
  ingress = await startIngress({
    config: {
      listeners: [
        { host: '127.0.0.1', port: 0, security: 'starttls' },
        { host: '127.0.0.1', port: 0, security: 'tls' },
      ],
      minTls: 'TLSv1.2',
      plaintextAuth: false,
      maxConnectionsPerAddress: 10,
    },
    dataDir: join(root, 'data'),
    limits: { closeTimeoutMs: 200 },
    authThrottle: { baseDelayMs: 1, maxDelayMs: 2 },
    log: () => undefined,
    authenticate: async ({ username, password }) =>
      username === 'scanner' && password === PASSWORD ? { id: 'dev-1' } : null,
    allowUnauthenticated: async () => null,
    accept: async (m) => {
      const id = `py${++n}`
      await writeFile(join(root, `${id}.eml`), m.bytes)
      return { id }
    },
  })
})
afterAll(async () => {
  await ingress?.close()
  await rm(root, { recursive: true, force: true })
})

async function smtplib(mode: 'starttls' | 'tls', password: string) {
  const port = ingress.listeners.find((l) => l.security === mode)?.port ?? 0
  const { stdout } = await promisify(execFile)(
    'python3',
    ['-c', SCRIPT, mode, String(port), join(root, 'data', 'ingress', 'ca.pem'), password],
    { timeout: 60_000 },
  )
  return JSON.parse(stdout) as { auth?: string; data?: [number, string]; error?: [number, string] }
}

describe('SMTP ingress with Python smtplib as the device', () => {
  for (const mode of ['starttls', 'tls'] as const) {
    it(`${mode}: verifies the certificate, logs in and gets its 250 after the commit`, async () => {
      const out = await smtplib(mode, PASSWORD)
      // smtplib folds the old `AUTH=` line into the same feature, so it reads the list twice.
      expect(out.auth?.trim().split(/\s+/)).toEqual(['PLAIN', 'LOGIN', 'PLAIN', 'LOGIN'])
      expect(out.data?.[0]).toBe(250)
      const id = /^2\.0\.0 OK: queued as (\S+)$/.exec(out.data?.[1] ?? '')?.[1] ?? ''
      expect(await readFile(join(root, `${id}.eml`), 'utf8')).toBe(
        'From: scanner@example.jp\r\nSubject: smtplib\r\n\r\nスキャン\r\n',
      )
    })
  }

  it('a wrong password: smtplib raises SMTPAuthenticationError 535 5.7.8', async () => {
    expect((await smtplib('starttls', 'wrong')).error).toEqual([535, '5.7.8 Authentication credentials invalid'])
  })
})
