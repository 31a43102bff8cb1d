/**
 * The real relay process, started with the npm scripts' commands, on Node and on Deno:
 * sending through smtp-server (STARTTLS, XOAUTH2), redeeming a code and a refresh token at the
 * sandbox's real OpenID provider, sending with that token to the sandbox's SMTP server, and a
 * graceful shutdown that lets a send in flight finish. The Deno relay cannot host the sandbox
 * (Node-only libraries), so the sandbox runs in this test process for both runtimes; the Node
 * relay is also started once with RELAY_SANDBOX=1.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorBody, Health, SendSuccess, TokenSuccess } from '../../src/lib/contract/api.ts'
import type { SandboxInfo } from '../../src/lib/contract/api.ts'
import { startSandbox } from '../../relay/src/sandbox/index.ts'
import type { SandboxHandle } from '../../relay/src/sandbox/types.ts'
import { type RelayProcess, startRelay } from '../helpers/relay-process.ts'
import { type SmtpPeer, startSmtpPeer } from '../helpers/smtp-peer.ts'
import { call, SMTP_SCOPE, webSecretCode } from './relay-fixtures.ts'

const TARO = { upn: 'taro@sandbox.mailkey.test', password: 'Sandbox-Taro-2026' }
const HANAKO = { upn: 'hanako@sandbox.mailkey.test', password: 'Sandbox-Hanako-2026' }

let dir: string
let peer: SmtpPeer
let slow: SmtpPeer
let sandbox: SandboxHandle
let caFile: string
/** Set when the slow server starts receiving a message (the send is then in flight). */
let slowReceiving = false

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailkey-relay-it-'))
  peer = await startSmtpPeer()
  // Answers the end of DATA after a pause: a send still in flight when the relay is stopped.
  slow = await startSmtpPeer({
    server: {
      onData(stream, _s, cb) {
        slowReceiving = true
        stream.resume()
        stream.on('end', () => setTimeout(() => cb(null, 'OK: queued slowly'), 1500))
      },
    },
  })
  sandbox = await startSandbox({
    dataDir: dir,
    publicOrigin: 'http://localhost:5173',
    idpPort: 0,
    smtpPort: 0,
  })
  const page = join(dir, 'page')
  await mkdir(join(page, '_app', 'immutable'), { recursive: true })
  await writeFile(join(page, 'index.html'), '<!doctype html><title>mailkey</title>')
  await writeFile(join(page, 'redirect-bridge.html'), '<!doctype html><title>bridge</title>')
  await writeFile(join(page, '_app', 'immutable', 'start.abc.js'), 'export {}')
  caFile = join(dir, 'ca.pem')
  await writeFile(caFile, [peer.caPem, slow.caPem, sandbox.caPem].join('\n'))
})

afterAll(async () => {
  await Promise.all([peer?.close(), slow?.close(), sandbox?.close()])
  await rm(dir, { recursive: true, force: true })
})

const sendBody = (
  port: number,
  user: string,
  accessToken: string,
  to = 'admin@contoso.example',
) => ({
  smtp: { host: 'localhost', port, security: 'starttls' },
  auth: { type: 'xoauth2', user, accessToken },
  message: {
    from: `山田 太郎 <${user}>`,
    to: [to],
    subject: 'テストメール (relay integration)',
    text: '本文です。\n.\n以上',
    attachments: [{ filename: '報告書.txt', contentType: 'text/plain', contentBase64: 'aGVsbG8=' }],
  },
})

describe.each(['node', 'deno'] as const)('the relay on %s', (runtime) => {
  let relay: RelayProcess

  beforeAll(async () => {
    relay = await startRelay({
      runtime,
      env: {
        RELAY_SMTP_HOSTS: [`localhost:${peer.port}`, `localhost:${slow.port}`, sandbox.smtpHostPort]
          .join(','),
        RELAY_TOKEN_HOSTS: sandbox.tokenHost,
        RELAY_CA_FILE: caFile,
        RELAY_STATIC_DIR: join(dir, 'page'),
      },
    })
  })

  afterAll(async () => {
    await relay?.stop()
  })

  it('prints the listening line and answers health for its runtime', async () => {
    expect(relay.output()).toMatch(/^relay listening on http:\/\/127\.0\.0\.1:\d+\n/)
    const res = await call(relay.url, '/api/health')
    expect(Health.parse(res.json).runtime).toBe(runtime)
  })

  it('serves the built page with its caching rules and secure headers', async () => {
    const shell = await call(relay.url, '/settings')
    expect(shell.text).toContain('<title>mailkey</title>')
    expect(shell.headers.get('cache-control')).toBe('no-store')
    expect(shell.headers.get('x-frame-options')).toBe('DENY')
    expect(shell.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    const bridge = await call(relay.url, '/redirect-bridge.html')
    expect(bridge.headers.get('cache-control')).toBe('no-store')
    expect(bridge.headers.get('cross-origin-opener-policy')).toBeNull()
    const asset = await call(relay.url, '/_app/immutable/start.abc.js')
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect((await call(relay.url, '/..%2f..%2fca.pem')).text).not.toContain('CERTIFICATE')
  })

  it('sends through smtp-server with STARTTLS and XOAUTH2', async () => {
    const before = peer.messages.length
    const res = await call(relay.url, '/api/send', sendBody(peer.port, peer.user, peer.token))
    expect(res.status).toBe(200)
    const body = SendSuccess.parse(res.json)
    expect(body.transcript.map((l) => l.line)).toContain('STARTTLS')
    expect(body.transcript).toContainEqual({ dir: 'C', line: 'AUTH XOAUTH2 ****' })
    expect(res.text).not.toContain(peer.token)
    expect(peer.messages.length).toBe(before + 1)
    expect(peer.messages.at(-1)?.user).toBe(peer.user)
  })

  it('redeems a code at the sandbox IdP, refreshes, and sends with the token', async () => {
    const info = sandbox.info as SandboxInfo
    const grant = await webSecretCode(info, sandbox.caPem, TARO)
    const base = {
      tokenEndpoint: info.tokenEndpoint,
      clientId: info.clientId,
      clientSecret: info.clientSecret,
      scope: SMTP_SCOPE,
    }
    const first = await call(relay.url, '/api/token', {
      ...base,
      grant: { type: 'authorization_code', ...grant },
    })
    expect(first.status).toBe(200)
    const tokens = TokenSuccess.parse(first.json)
    expect(tokens.refreshToken).toBeTruthy()
    expect(tokens.expiresIn).toBeGreaterThan(0)

    const refreshed = await call(relay.url, '/api/token', {
      ...base,
      grant: { type: 'refresh_token', refreshToken: tokens.refreshToken },
    })
    expect(refreshed.status).toBe(200)
    const renewed = TokenSuccess.parse(refreshed.json)

    const [host, port] = sandbox.smtpHostPort.split(':')
    expect(host).toBe('localhost')
    const sent = await call(
      relay.url,
      '/api/send',
      sendBody(Number(port), TARO.upn, renewed.accessToken),
    )
    expect(sent.status).toBe(200)
    expect(SendSuccess.parse(sent.json).response).toMatch(/^250 /)

    // A code works once (AADSTS54005 at Entra; the IdP also revokes what it issued).
    const again = await call(relay.url, '/api/token', {
      ...base,
      grant: { type: 'authorization_code', ...grant },
    })
    expect(ErrorBody.parse(again.json).error.code).toBe('TOKEN_ENDPOINT_ERROR')
  })

  it('explains a refused login from the sandbox (5.7.139) with the admin step', async () => {
    const info = sandbox.info as SandboxInfo
    const grant = await webSecretCode(info, sandbox.caPem, HANAKO)
    const tokens = await call(relay.url, '/api/token', {
      tokenEndpoint: info.tokenEndpoint,
      clientId: info.clientId,
      clientSecret: info.clientSecret,
      scope: SMTP_SCOPE,
      grant: { type: 'authorization_code', ...grant },
    })
    const { accessToken } = TokenSuccess.parse(tokens.json)
    const port = Number(sandbox.smtpHostPort.split(':')[1])
    const res = await call(relay.url, '/api/send', sendBody(port, HANAKO.upn, accessToken))
    const body = ErrorBody.parse(res.json)
    expect(res.status).toBe(502)
    expect(body.error.code).toBe('AUTH_FAILED')
    expect(body.error.smtp?.enhanced).toBe('5.7.139')
    expect(body.error.hint).toContain('Authenticated SMTP')
    expect(res.text).not.toContain(accessToken)
  })

  it('explains a wrong client secret with its AADSTS code', async () => {
    const info = sandbox.info as SandboxInfo
    const grant = await webSecretCode(info, sandbox.caPem, TARO)
    const res = await call(relay.url, '/api/token', {
      tokenEndpoint: info.tokenEndpoint,
      clientId: info.clientId,
      clientSecret: 'not-the-secret~value',
      scope: SMTP_SCOPE,
      grant: { type: 'authorization_code', ...grant },
    })
    const body = ErrorBody.parse(res.json)
    expect(body.error.code).toBe('TOKEN_ENDPOINT_ERROR')
    expect(body.error.aadsts).toBe('AADSTS7000215')
    expect(body.error.hint).toContain('Certificates & secrets')
  })

  it('finishes a send in flight on SIGTERM, then exits 0', async () => {
    slowReceiving = false
    const inFlight = call(relay.url, '/api/send', sendBody(slow.port, slow.user, slow.token))
    while (!slowReceiving) await new Promise((r) => setTimeout(r, 20))
    const stopped = relay.stop()
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(res.json.response).toContain('queued slowly')
    expect(await stopped).toBe(0)
  })
})

describe('the Node relay with RELAY_SANDBOX=1', () => {
  let relay: RelayProcess
  let data: string

  beforeAll(async () => {
    data = await mkdtemp(join(tmpdir(), 'mailkey-relay-sandbox-'))
    relay = await startRelay({
      runtime: 'node',
      env: {
        RELAY_SANDBOX: '1',
        RELAY_SANDBOX_IDP_PORT: '0',
        RELAY_SANDBOX_SMTP_PORT: '0',
        RELAY_DATA_DIR: data,
      },
    })
  })

  afterAll(async () => {
    await relay?.stop()
    await rm(data, { recursive: true, force: true })
  })

  it('shows the sandbox in /api/config and signs in, redeems and sends through it', async () => {
    const config = (await call(relay.url, '/api/config')).json
    const info = config.sandbox as SandboxInfo
    expect(config.smtpHosts).toContain(`${info.smtp.host}:${info.smtp.port}`)
    const caPem = (await call(relay.url, '/api/sandbox/ca.pem')).text
    const user = info.users.find((u) => u.upn.startsWith('taro@'))!
    const grant = await webSecretCode(info, caPem, user)
    const tokens = await call(relay.url, '/api/token', {
      tokenEndpoint: info.tokenEndpoint,
      clientId: info.clientId,
      clientSecret: info.clientSecret,
      scope: SMTP_SCOPE,
      grant: { type: 'authorization_code', ...grant },
    })
    const { accessToken } = TokenSuccess.parse(tokens.json)
    const sent = await call(relay.url, '/api/send', sendBody(info.smtp.port, user.upn, accessToken))
    expect(sent.status).toBe(200)
    const inbox = (await call(relay.url, '/api/sandbox/messages')).json as { messages: unknown[] }
    expect(inbox.messages.length).toBe(1)
  })
})

describe.each(['node', 'deno'] as const)('a bad configuration on %s', (runtime) => {
  it('stops the start with one line naming the variable', async () => {
    const err = await startRelay({ runtime, env: { RELAY_RATE_LIMIT: 'lots' } }).catch((e: Error) =>
      e
    )
    expect(err).toBeInstanceOf(Error)
    const [headline, ...output] = (err as Error).message.split('\n').filter((l) => l.trim() !== '')
    expect(headline).toMatch(/exited with 1 before listening/)
    expect(output).toEqual([
      'relay: RELAY_RATE_LIMIT: expected a whole number 1…100000, got "lots"',
    ])
  })
})

describe.each(['node', 'deno'] as const)('a port in use on %s', (runtime) => {
  it('stops the start with one line naming PORT', async () => {
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = String((taken.address() as { port: number }).port)
    try {
      const err = await startRelay({ runtime, env: { PORT: port } }).catch((e: Error) => e)
      const lines = (err as Error).message.split('\n').filter((l) => l.trim() !== '')
      expect(lines.slice(1)).toHaveLength(1)
      expect(lines[1]).toMatch(
        new RegExp(
          `^relay: PORT: cannot listen on http://127.0.0.1:${port} \\((EADDRINUSE|AddrInUse)`,
        ),
      )
    } finally {
      taken.close()
    }
  })
})

describe.each(['node', 'deno'] as const)('an unusable HOST on %s', (runtime) => {
  it.each(['0', '8799'])('stops the start with one line naming HOST (PORT=%s)', async (port) => {
    const err = await startRelay({ runtime, env: { HOST: 'no-such-host.invalid', PORT: port } })
      .catch((e: Error) => e)
    const lines = (err as Error).message.split('\n').filter((l) => l.trim() !== '')
    expect(lines[0]).toMatch(/exited with 1 before listening/)
    expect(lines.slice(1)).toHaveLength(1)
    expect(lines[1]).toMatch(
      new RegExp(`^relay: HOST: cannot listen on http://no-such-host\\.invalid:${port} \\(`),
    )
  })
})

describe('a sandbox that cannot start on Node', () => {
  const startLines = async (env: Record<string, string>) => {
    const err = await startRelay({ runtime: 'node', env: { RELAY_SANDBOX: '1', ...env } }).catch(
      (e: Error) => e,
    )
    const lines = (err as Error).message.split('\n').filter((l) => l.trim() !== '')
    expect(lines[0]).toMatch(/exited with 1 before listening/)
    return lines.slice(1)
  }

  it('names RELAY_DATA_DIR when the data folder is not a folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailkey-relay-file-'))
    try {
      const file = join(dir, 'not-a-folder')
      await writeFile(file, '')
      const lines = await startLines({ RELAY_DATA_DIR: file, RELAY_SANDBOX_IDP_PORT: '0' })
      expect(lines).toEqual([
        `relay: RELAY_DATA_DIR: the sandbox cannot keep its files in "${file}" (ENOTDIR)`,
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('names the sandbox port variable when its port is taken', async () => {
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as { port: number }).port
    const dir = await mkdtemp(join(tmpdir(), 'mailkey-relay-port-'))
    try {
      const lines = await startLines({
        RELAY_DATA_DIR: dir,
        RELAY_SANDBOX_IDP_PORT: '0',
        RELAY_SANDBOX_SMTP_PORT: String(port),
      })
      expect(lines).toHaveLength(1)
      const smtp = `The sandbox SMTP server cannot listen on 127.0.0.1:${port}`
      expect(lines[0]).toContain(`relay: RELAY_SANDBOX_SMTP_PORT: ${smtp}`)
      expect(lines[0]).toContain('(EADDRINUSE)')
    } finally {
      taken.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('RELAY_SANDBOX=1 on Deno', () => {
  it('is refused with one line (the sandbox is Node-only)', async () => {
    const err = await startRelay({ runtime: 'deno', env: { RELAY_SANDBOX: '1' } }).catch((
      e: Error,
    ) => e)
    const lines = (err as Error).message.split('\n').filter((l) => l.trim() !== '')
    expect(lines.slice(1)).toEqual([
      'relay: RELAY_SANDBOX: the sandbox runs on Node only (npm start or npm run relay)',
    ])
  })
})
