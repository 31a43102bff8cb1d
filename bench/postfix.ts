/**
 * A throwaway Postfix instance on a loopback port, for the CHUNKING (BDAT, RFC 3030) figures:
 * smtp-server does not offer CHUNKING, Debian's Postfix does. Its own configuration and queue in
 * a temporary directory (the system's Postfix configuration is not touched), STARTTLS with the
 * run-time certificate, no SASL (so no AUTH), every message discarded after it is queued.
 *
 * Needs Debian's `postfix` package and root (Postfix's master runs as root); otherwise it says
 * why it was skipped.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '../tests/helpers/ports.ts'

const run = promisify(execFile)
const POSTFIX = '/usr/sbin/postfix'
const READY_ATTEMPTS = 50
const READY_INTERVAL_MS = 100

export type PostfixInstance = { port: number; stop(): Promise<void> } | { skipped: string }

export async function startPostfix(cert: {
  certPem: string
  keyPem: string
}): Promise<PostfixInstance> {
  if (!existsSync(POSTFIX)) return { skipped: 'postfix not installed (apt-get install -y postfix)' }
  if (process.getuid?.() !== 0) return { skipped: 'Postfix needs root to start' }
  const uid = Number((await run('id', ['-u', 'postfix'])).stdout.trim())

  const dir = await mkdtemp(join(os.tmpdir(), 'mailkey-bench-postfix-'))
  // Postfix's daemons run as the postfix user and must reach the data directory.
  await chmod(dir, 0o755)
  const conf = join(dir, 'conf')
  const data = join(dir, 'data')
  await Promise.all([mkdir(conf), mkdir(join(dir, 'queue')), mkdir(data)])
  await chown(data, uid, -1)
  await writeFile(join(conf, 'cert.pem'), cert.certPem)
  await writeFile(join(conf, 'key.pem'), cert.keyPem, { mode: 0o600 })
  if (existsSync('/etc/postfix/dynamicmaps.cf')) {
    await copyFile('/etc/postfix/dynamicmaps.cf', join(conf, 'dynamicmaps.cf'))
  }
  const port = await freePort()
  const master = (await readFile('/etc/postfix/master.cf', 'utf8'))
    .replace(/^smtp(\s+inet\s)/mu, '#smtp$1')
    .concat(`\n127.0.0.1:${port} inet n - n - - smtpd\n`)
  await writeFile(join(conf, 'master.cf'), master)
  await writeFile(
    join(conf, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${join(dir, 'queue')}`,
      `data_directory = ${data}`,
      'inet_interfaces = loopback-only',
      'inet_protocols = ipv4',
      'myhostname = localhost',
      'mydestination =',
      'mynetworks = 127.0.0.0/8',
      'relay_domains =',
      'smtpd_relay_restrictions = permit_mynetworks, reject',
      'default_transport = discard',
      'local_transport = discard',
      'relay_transport = discard',
      'alias_maps =',
      'alias_database =',
      `maillog_file = ${join(dir, 'maillog')}`,
      `maillog_file_prefixes = ${dir}`,
      'smtpd_tls_security_level = may',
      `smtpd_tls_cert_file = ${join(conf, 'cert.pem')}`,
      `smtpd_tls_key_file = ${join(conf, 'key.pem')}`,
      '',
    ].join('\n')
  )

  const stop = async () => {
    await run(POSTFIX, ['-c', conf, 'stop']).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await run(POSTFIX, ['-c', conf, 'start'])
    await waitForGreeting(port)
  } catch {
    const maillog = await readFile(join(dir, 'maillog'), 'utf8').catch(() => '')
    const reason = maillog.trim().split('\n').slice(-2).join(' / ') || 'did not start'
    await stop()
    return { skipped: `postfix failed to start: ${reason}` }
  }
  return { port, stop }
}

async function waitForGreeting(port: number): Promise<void> {
  for (let i = 0; i < READY_ATTEMPTS; i++) {
    const greeted = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('data', (d) => {
        socket.end('QUIT\r\n')
        resolve(d.toString().startsWith('220'))
      })
      socket.once('error', () => resolve(false))
    })
    if (greeted) return
    await new Promise((resolve) => setTimeout(resolve, READY_INTERVAL_MS))
  }
  throw new Error('no greeting')
}
