/**
 * email-oauth2-proxy (the `emailproxy` Python package) for `bench/devices.ts`: installed into a
 * throwaway virtual environment, configured in a temp folder for the client credentials flow
 * against the sandbox's IdP, started headless, stopped. Nothing of it is kept in the project.
 *
 * Install: `python -m venv` + `pip install emailproxy`; when pip cannot (no package index
 * reachable), a source checkout named by `EMAILPROXY_SRC` (a folder holding `emailproxy.py`) run
 * by a venv made with `--system-site-packages`, so its one runtime dependency (`cryptography`)
 * comes from the system's packages (Debian: `python3-venv python3-cryptography`). Otherwise the
 * answer is `{skipped: reason}`, as it is at once with `EMAILPROXY=skip` (our side only). `EMAILPROXY_PYTHON` picks the interpreter (default
 * `/usr/bin/python3` when present, else `python3`).
 *
 * @module
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '../tests/helpers/ports.ts'

const run = promisify(execFile)

export interface EmailProxyOptions {
  /** The SMTP server it proxies (STARTTLS), e.g. the delay proxy in front of the sandbox. */
  upstream: { host: string; port: number }
  /** The mailbox (account section) and its app-only credentials. */
  account: string
  tokenUrl: string
  scope: string
  clientId: string
  clientSecret: string
  /** PEM of the CA the upstream's and the IdP's certificates chain to (SSL_CERT_FILE). */
  caPem: string
  /** Certificate and key for `local_starttls` (devices do STARTTLS to it as to the gateway). */
  certPem: string
  keyPem: string
}

export interface EmailProxy {
  port: number
  pid: number
  /** How it was installed and which version, for the report. */
  how: string
  output(): string
  stop(): Promise<void>
}

const firstLine = (err: unknown) => {
  const e = err as { stderr?: string; message?: string }
  const text = (e.stderr || e.message || String(err)).trim().split('\n')
  return (text.find((l) => /error/i.test(l)) ?? text.at(-1) ?? '').trim().slice(0, 200)
}

async function install(dir: string): Promise<{ command: string[]; how: string } | { skipped: string }> {
  const python = process.env.EMAILPROXY_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3')
  // Our side alone (memory work, no package index): no venv, no pip, the column says why.
  if (process.env.EMAILPROXY === 'skip') return { skipped: 'EMAILPROXY=skip: our side only' }
  const venv = join(dir, 'venv')
  let pipFailure = ''
  try {
    await run(python, ['-m', 'venv', venv], { timeout: 120_000 })
    await run(join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--retries', '0', '--timeout', '15', '-q', 'emailproxy'], { timeout: 300_000 })
    const { stdout } = await run(join(venv, 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(m.version("emailproxy"))'])
    return { command: [join(venv, 'bin', 'emailproxy')], how: `emailproxy ${stdout.trim()} from pip, venv` }
  } catch (err) {
    pipFailure = `pip install emailproxy failed (${firstLine(err)})`
  }
  const src = process.env.EMAILPROXY_SRC
  if (!src) return { skipped: `${pipFailure}; no EMAILPROXY_SRC checkout given` }
  const script = join(src, 'emailproxy.py')
  if (!existsSync(script)) return { skipped: `${pipFailure}; no emailproxy.py in EMAILPROXY_SRC` }
  const local = join(dir, 'venv-system')
  try {
    await run(python, ['-m', 'venv', '--system-site-packages', local], { timeout: 120_000 })
    await run(join(local, 'bin', 'python'), ['-c', 'import cryptography.fernet'])
  } catch (err) {
    return { skipped: `${pipFailure}; the checkout needs python3-venv and python3-cryptography (${firstLine(err)})` }
  }
  const version = /__package_version__ = '([^']+)'/.exec(await readFile(script, 'utf8'))?.[1] ?? '?'
  return { command: [join(local, 'bin', 'python'), script], how: `emailproxy ${version} from EMAILPROXY_SRC, venv with system packages` }
}

export async function startEmailProxy(o: EmailProxyOptions): Promise<EmailProxy | { skipped: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mailkey-bench-emailproxy-'))
  const cleanup = () => rm(dir, { recursive: true, force: true })
  const installed = await install(dir)
  if ('skipped' in installed) {
    await cleanup()
    return installed
  }
  const port = await freePort()
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'local.pem'), key: join(dir, 'local.key'), config: join(dir, 'emailproxy.config') }
  await writeFile(files.ca, o.caPem)
  await writeFile(files.cert, o.certPem)
  await writeFile(files.key, o.keyPem, { mode: 0o600 })
  await writeFile(
    files.config,
    [
      `[SMTP-${port}]`,
      `server_address = ${o.upstream.host}`,
      `server_port = ${o.upstream.port}`,
      'server_starttls = True',
      'local_address = 127.0.0.1',
      'local_starttls = True',
      `local_certificate_path = ${files.cert}`,
      `local_key_path = ${files.key}`,
      '',
      `[${o.account}]`,
      `token_url = ${o.tokenUrl}`,
      `oauth2_scope = ${o.scope}`,
      'oauth2_flow = client_credentials',
      `client_id = ${o.clientId}`,
      `client_secret = ${o.clientSecret}`,
      '',
      '[emailproxy]',
      'delete_account_token_on_password_error = True',
      'encrypt_client_secret_on_first_use = False',
      'use_login_password_as_client_credentials_secret = False',
      'allow_catch_all_accounts = False',
      '',
    ].join('\n'),
    { mode: 0o600 },
  )
  const [command, ...args] = installed.command
  const child = spawn(command!, [...args, '--no-gui', '--config-file', files.config, '--log-file', join(dir, 'emailproxy.log')], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Python's ssl module trusts the sandbox CA through SSL_CERT_FILE (SMTP and the token URL).
    env: { ...process.env, SSL_CERT_FILE: files.ca, PYTHONUNBUFFERED: '1' },
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM')
    } catch {
      // gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // gone
      }
    }, 5_000)
    await exited
    clearTimeout(timer)
    await cleanup()
  }
  // Ready once its port takes connections.
  const net = await import('node:net')
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) break
    if (child.exitCode !== null || i > 150) {
      const log = await readFile(join(dir, 'emailproxy.log'), 'utf8').catch(() => '')
      await stop()
      return { skipped: `emailproxy did not start: ${(out + log).trim().split('\n').slice(-3).join(' / ').slice(0, 300)}` }
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    port,
    pid: child.pid!,
    how: installed.how,
    output: () => out,
    stop,
  }
}
