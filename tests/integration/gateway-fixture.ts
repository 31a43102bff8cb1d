/**
 * The gateway against the real sandbox, in-process, on either store: an app with the gateway
 * mounted (sandbox hosts and CA allowed, as npm start does), a cookie-keeping admin client, and
 * the sandbox's hybrid sign-in for delegated mailboxes. `BACKENDS` runs a suite on both.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../../relay/src/app.ts'
import { loadConfig, type RelayConfig } from '../../relay/src/config.ts'
import { startGateway, type GatewayHandle } from '../../relay/src/gateway/index.ts'
import { withSandbox } from '../../relay/src/http/boot.ts'
import { sendMail } from '../../relay/src/smtp/index.ts'
import { resolveAll } from '../../relay/src/testing.ts'
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts'
import { pkcePair, responseParams, signIn, Browserish } from './sandbox-client.ts'
import { SCOPE, startFixture, type Fixture } from './sandbox-fixture.ts'

export const BACKENDS = ['sqlite', 'postgres'] as const
export type Backend = (typeof BACKENDS)[number]
export const ORIGIN = 'http://localhost:8787'
export const ADMIN_PASSWORD_TEXT = 'テスト用の管理者パスワード-2026'

let pg: PostgresServer | undefined
/** One PostgreSQL server per test file, a fresh database per gateway. */
export async function postgresUrl(): Promise<string> {
  pg ??= await startPostgres()
  return pg.database()
}
export async function stopPostgres(): Promise<void> {
  await pg?.stop()
  pg = undefined
}

export interface GatewayRig {
  fixture: Fixture
  gateway: GatewayHandle
  app: ReturnType<typeof createApp>
  config: RelayConfig
  logs: Record<string, unknown>[]
  dataDir: string
  databaseUrl?: string
  /** A second gateway on the same store (PostgreSQL: another instance). */
  another(): Promise<GatewayHandle>
  close(): Promise<void>
}

export async function startRig(backend: Backend, env: Record<string, string> = {}, fixture?: Fixture): Promise<GatewayRig> {
  const fx = fixture ?? (await startFixture())
  const dataDir = await mkdtemp(join(tmpdir(), 'mailkey-gw-'))
  const databaseUrl = backend === 'postgres' ? await postgresUrl() : undefined
  const config = withSandbox(
    loadConfig({
      RELAY_GATEWAY: '1',
      RELAY_DATA_DIR: dataDir,
      RELAY_SMTP_HOSTS: '',
      RELAY_TOKEN_HOSTS: '',
      ...(databaseUrl && { RELAY_DATABASE_URL: databaseUrl }),
      ...env,
    }),
    fx.sandbox,
  )
  const logs: Record<string, unknown>[] = []
  const log = (line: Record<string, unknown>) => logs.push(line)
  const relay = { config, resolveHost: resolveAll, sendMail }
  const gateways: GatewayHandle[] = []
  const open = async () => {
    const g = await startGateway({ config, relay, log, tickMs: 3_600_000 })
    gateways.push(g)
    return g
  }
  const gateway = await open()
  const app = createApp({
    config,
    runtime: 'node',
    clientAddress: (c) => c.req.header('X-Test-Client') ?? '192.0.2.1',
    sendMail,
    resolveHost: resolveAll,
    log,
    gateway,
  })
  return {
    fixture: fx,
    gateway,
    app,
    config,
    logs,
    dataDir,
    ...(databaseUrl && { databaseUrl }),
    another: open,
    async close() {
      for (const g of gateways) await g.close()
      if (!fixture) await fx.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** Keeps the admin cookie like a browser on the relay's origin. */
export class AdminClient {
  cookie = ''
  readonly app: GatewayRig['app']
  readonly address: string
  constructor(app: GatewayRig['app'], address = '192.0.2.10') {
    this.app = app
    this.address = address
  }
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await this.app.request(path, {
      method,
      headers: {
        'X-Test-Client': this.address,
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
        ...(this.cookie && { Cookie: this.cookie }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    const set = res.headers.get('set-cookie')
    if (set) {
      const pair = set.split(';')[0] ?? ''
      this.cookie = /Max-Age=0|expires=Thu, 01 Jan 1970/i.test(set) ? '' : pair
    }
    const text = await res.text()
    let json: Record<string, any> = {}
    try {
      json = JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: res.status, json, headers: res.headers, setCookie: set }
  }
}

/** Sets the admin password through the setup link and keeps the session. */
export async function setUp(rig: GatewayRig, client = new AdminClient(rig.app)): Promise<AdminClient> {
  const code = new URL(rig.gateway.setupLink ?? '').hash.replace('#code=', '')
  const res = await client.call('POST', '/api/admin/setup', { code, password: ADMIN_PASSWORD_TEXT })
  if (res.status !== 200) throw new Error(`setup failed: ${res.status} ${JSON.stringify(res.json)}`)
  return client
}

export function delegatedBody(fx: Fixture, address = 'taro@sandbox.mailkey.test') {
  return {
    name: '複合機 3F',
    address,
    smtp: fx.info.smtp,
    tokenSource: 'delegated',
    tenantId: fx.info.tenantId,
    clientId: fx.info.clientId,
    clientSecret: fx.info.clientSecret,
    tokenEndpoint: fx.info.tokenEndpoint,
    authorizeEndpoint: fx.info.authorizeEndpoint,
  }
}

/** The popup of the gateway page: hybrid code id_token + PKCE, as the user `upn`. */
export async function popupCode(fx: Fixture, upn: string, password: string) {
  const browser = new Browserish(fx.sandbox.caPem)
  const { verifier, challenge } = pkcePair()
  const redirectUri = 'http://localhost:5173'
  const location = await signIn(
    browser,
    fx.authorizeUrl({
      client_id: fx.info.clientId,
      response_type: 'code id_token',
      response_mode: 'fragment',
      redirect_uri: redirectUri,
      scope: SCOPE,
      nonce: 'n-1',
      state: 's-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
    upn,
    password,
  )
  const params = responseParams(location)
  return { code: params.get('code') ?? '', codeVerifier: verifier, redirectUri }
}
