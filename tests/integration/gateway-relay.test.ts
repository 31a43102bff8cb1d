/**
 * The gateway in real relay processes, on Node and Deno, on both stores, against the sandbox:
 * setup link → admin session → delegated mailbox signed in → test send delivered; a `kill -9`
 * loses nothing committed; no secret (client secret, tokens, admin password, setup code) is in
 * the database files or the relay's output; a wrong or missing key stops the start with one line.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SecretBox, parseKey } from '../../relay/src/gateway/crypto.ts'
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts'
import { startRelay, type RelayProcess } from '../helpers/relay-process.ts'
import { ADMIN_PASSWORD_TEXT, popupCode } from './gateway-fixture.ts'
import { startFixture, TARO, type Fixture } from './sandbox-fixture.ts'

let fx: Fixture
let pg: PostgresServer
let caFile: string
let work: string
beforeAll(async () => {
  ;[fx, pg] = await Promise.all([startFixture(), startPostgres()])
  work = await mkdtemp(join(tmpdir(), 'mailkey-gwrelay-'))
  caFile = join(work, 'ca.pem')
  writeFileSync(caFile, fx.sandbox.caPem)
}, 120_000)
afterAll(async () => {
  await fx?.close()
  await pg?.stop()
  if (work) await rm(work, { recursive: true, force: true })
})

/** Every file under `dir`, concatenated (the database's bytes as a thief would see them). */
function allBytes(dir: string): Buffer {
  const parts: Buffer[] = []
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) parts.push(readFileSync(p))
    }
  }
  walk(dir)
  return Buffer.concat(parts)
}

async function api(relay: RelayProcess, method: string, path: string, body?: unknown, cookie = '') {
  const res = await fetch(`${relay.url}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'Content-Type': 'application/json' }), ...(cookie && { Cookie: cookie }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  return { status: res.status, json: (await res.json()) as Record<string, any>, setCookie: res.headers.get('set-cookie') }
}

async function waitFor(what: () => boolean, label: string) {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 100))
  if (!what()) throw new Error(`timed out waiting for ${label}`)
}

const CASES = [
  ['node', 'sqlite'],
  ['node', 'postgres'],
  ['deno', 'sqlite'],
  ['deno', 'postgres'],
] as const

describe.each(CASES)('gateway relay on %s with %s', (runtime, backend) => {
  it('setup → sign-in → test send; survives kill -9; no secret at rest or in output; wrong key refused', async () => {
    const dataDir = join(work, `${runtime}-${backend}`)
    const databaseUrl = backend === 'postgres' ? await pg.database() : undefined
    const env = {
      RELAY_GATEWAY: '1',
      RELAY_DATA_DIR: dataDir,
      RELAY_SMTP_HOSTS: fx.sandbox.smtpHostPort,
      RELAY_TOKEN_HOSTS: fx.sandbox.tokenHost,
      RELAY_CA_FILE: caFile,
      ...(databaseUrl && { RELAY_DATABASE_URL: databaseUrl }),
    }
    let relay = await startRelay({ runtime, env })
    const outputs: string[] = []
    try {
      await waitFor(() => /#code=/.test(relay.output()), 'the setup link')
      const link = /(http:\/\/\S+\/gateway\/setup#code=([\w-]+))/.exec(relay.output())
      expect(link).not.toBeNull()
      const code = link![2]!
      const setup = await api(relay, 'POST', '/api/admin/setup', { code, password: ADMIN_PASSWORD_TEXT })
      expect(setup.status, JSON.stringify(setup.json)).toBe(200)
      const cookie = setup.setCookie!.split(';')[0]!

      const created = await api(relay, 'POST', '/api/admin/mailboxes', {
        name: 'スキャナー',
        address: TARO.upn,
        smtp: fx.info.smtp,
        tokenSource: 'delegated',
        tenantId: fx.info.tenantId,
        clientId: fx.info.clientId,
        clientSecret: fx.info.clientSecret,
        tokenEndpoint: fx.info.tokenEndpoint,
        authorizeEndpoint: fx.info.authorizeEndpoint,
      }, cookie)
      expect(created.status, JSON.stringify(created.json)).toBe(201)
      const id = created.json.mailbox.id as string
      const popup = await popupCode(fx, TARO.upn, TARO.password)
      const signed = await api(relay, 'POST', `/api/admin/mailboxes/${id}/authorize`, popup, cookie)
      expect(signed.status, JSON.stringify(signed.json)).toBe(200)
      expect(signed.json.mailbox.state).toBe('ready')
      const sent = await api(relay, 'POST', `/api/admin/mailboxes/${id}/test`, { to: TARO.upn }, cookie)
      expect(sent.status, JSON.stringify(sent.json)).toBe(200)
      expect(sent.json.accepted).toEqual([TARO.upn])

      // kill -9: what was answered is committed; the restarted relay knows the session and mailbox.
      await relay.stop('SIGKILL')
      outputs.push(relay.output())
      relay = await startRelay({ runtime, env })
      const session = await api(relay, 'GET', '/api/admin/session', undefined, cookie)
      expect(session.status).toBe(200)
      const list = await api(relay, 'GET', '/api/admin/mailboxes', undefined, cookie)
      expect(list.json.mailboxes.map((m: { id: string; state: string }) => [m.id, m.state])).toEqual([[id, 'ready']])
      expect((await api(relay, 'GET', '/api/admin/setup')).json.needed).toBe(false)
      expect(relay.output()).not.toMatch(/#code=/)
      await relay.stop()
      outputs.push(relay.output())

      // The secrets the relay holds, decrypted with its key, and the ones it was given.
      const key = parseKey(readFileSync(join(dataDir, 'secret.key'), 'utf8'), 'secret.key')
      const box = await SecretBox.fromBytes(key)
      let row: Record<string, string>
      if (backend === 'postgres') {
        const dbName = new URL(databaseUrl!).pathname.slice(1)
        const json = await pg.psql(`SELECT row_to_json(m) FROM mailboxes m WHERE id = '${id}'`, dbName)
        row = JSON.parse(json)
        await pg.psql('CHECKPOINT', dbName)
      } else {
        const { default: Database } = await import('better-sqlite3')
        const db = new Database(join(dataDir, 'gateway.sqlite'), { readonly: true })
        row = db.prepare('SELECT * FROM mailboxes WHERE id = ?').get(id) as Record<string, string>
        db.close()
      }
      const refresh = await box.open(row.refresh_token_enc!, `mailbox:${id}:refresh`)
      const access = await box.open(row.access_token_enc!, `mailbox:${id}:access`)
      expect(await box.open(row.client_secret_enc!, `mailbox:${id}:secret`)).toBe(fx.info.clientSecret)
      const secrets = { clientSecret: fx.info.clientSecret, refresh, access, adminPassword: ADMIN_PASSWORD_TEXT, setupCode: code, code: popup.code, verifier: popup.codeVerifier, cookie: cookie.split('=')[1]! }
      const atRest = backend === 'postgres' ? allBytes(pg.dataDir) : allBytes(dataDir)
      const output = outputs.join('\n')
      for (const [name, value] of Object.entries(secrets)) {
        expect(value.length, name).toBeGreaterThan(10)
        if (name !== 'setupCode') expect(output.includes(value), `${name} in the relay's output`).toBe(false)
        expect(atRest.includes(Buffer.from(value)), `${name} in the database files`).toBe(false)
      }
      // The setup code is printed once, by design, and is useless after setup.
      expect(outputs[1]).not.toContain(code)

      // A key that cannot decrypt the store: one clear line, exit 1.
      const wrong = await startRelay({ runtime, env: { ...env, RELAY_SECRET_KEY: randomBytes(32).toString('base64') } })
        .then(async (r) => {
          await r.stop()
          return 'started'
        }, (err: Error) => err.message)
      expect(wrong).toMatch(/exited with 1/)
      const lines = wrong.split('\n').filter((l) => l.startsWith('relay: RELAY_SECRET_KEY'))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/cannot decrypt the gateway's stored secrets/)
      // No key at all for a store that holds secrets: also one line, and no new key is made.
      rmSync(join(dataDir, 'secret.key'))
      const missing = await startRelay({ runtime, env }).then(async (r) => {
        await r.stop()
        return 'started'
      }, (err: Error) => err.message)
      expect(missing).toMatch(/relay: RELAY_SECRET_KEY: the gateway's store holds secrets/)
    } finally {
      await relay.stop()
    }
  }, 240_000)
})
