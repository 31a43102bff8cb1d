/**
 * The whole path in a real browser before the page exists: Debian Chromium opens the sandbox
 * IdP's authorize URL for the Web app (token mode web-secret, hybrid `code id_token` + PKCE),
 * signs in on the sandbox's login page, lands back on the relay's origin, and from there
 * redeems the code through `POST /api/token` and sends through `POST /api/send`; the message
 * then shows in the sandbox inbox.
 */
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/ports.ts'
import { startRelay, type RelayProcess } from '../helpers/relay-process.ts'

const CHROMIUM = '/usr/bin/chromium'
const SCOPE = 'https://outlook.office.com/SMTP.Send openid profile offline_access'

let relay: RelayProcess
let browser: Browser
let dataDir: string

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mailkey-sandbox-e2e-'))
  relay = await startRelay({
    runtime: 'node',
    env: {
      RELAY_SANDBOX: '1',
      RELAY_DATA_DIR: dataDir,
      RELAY_SANDBOX_IDP_PORT: String(await freePort()),
      RELAY_SANDBOX_SMTP_PORT: String(await freePort()),
    },
  })
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
})

afterAll(async () => {
  await browser?.close()
  await relay?.stop()
  await rm(dataDir, { recursive: true, force: true })
})

describe.skipIf(!existsSync(CHROMIUM))('sandbox in Chromium', () => {
  it('signs in on the sandbox IdP, redeems through the relay and sends', async () => {
    const config = (await (await fetch(`${relay.url}/api/config`)).json()) as { sandbox: Record<string, any> }
    const sandbox = config.sandbox
    // The Web app's redirect is http://localhost on any port: the relay's own origin.
    const origin = `http://localhost:${new URL(relay.url).port}`
    const verifier = randomBytes(32).toString('base64url')
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const authorize = `${sandbox.authorizeEndpoint}?${new URLSearchParams({
      client_id: sandbox.clientId,
      response_type: 'code id_token',
      response_mode: 'fragment',
      redirect_uri: `${origin}/`,
      scope: SCOPE,
      nonce: randomBytes(8).toString('hex'),
      state: 'e2e',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ui_locales: 'ja',
    })}`

    // The sandbox CA is not in Chromium's store here; the certificate check is waived for the
    // test context only (the relay itself verifies it against the CA).
    const context = await browser.newContext({ ignoreHTTPSErrors: true })
    const page = await context.newPage()
    await page.goto(authorize)
    expect(await page.locator('h1').textContent()).toBe('サインイン')
    await page.fill('#upn', 'taro@sandbox.mailkey.test')
    await page.fill('#password', 'Sandbox-Taro-2026')
    await Promise.all([page.waitForURL((url) => url.href.startsWith(`${origin}/`)), page.click('button[type=submit]')])

    const fragment = new URLSearchParams(new URL(page.url()).hash.slice(1))
    expect(fragment.get('state')).toBe('e2e')
    expect(fragment.get('id_token')).toBeTruthy()
    const code = fragment.get('code')
    expect(code).toBeTruthy()

    // From the relay's origin, as the page will do it.
    const result = await page.evaluate(
      async ({ sandbox, code, verifier, origin, scope }) => {
        const post = async (path: string, body: unknown) => {
          const res = await fetch(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
          return (await res.json()) as Record<string, any>
        }
        const token = await post('/api/token', {
          tokenEndpoint: sandbox.tokenEndpoint,
          clientId: sandbox.clientId,
          clientSecret: sandbox.clientSecret,
          scope,
          grant: { type: 'authorization_code', code, codeVerifier: verifier, redirectUri: `${origin}/` },
        })
        if (!token.ok) return { token, send: undefined }
        const send = await post('/api/send', {
          smtp: sandbox.smtp,
          auth: { type: 'xoauth2', user: 'taro@sandbox.mailkey.test', accessToken: token.accessToken },
          message: {
            from: '山田 太郎 <taro@sandbox.mailkey.test>',
            to: ['admin@sandbox.mailkey.test'],
            subject: 'ブラウザからのテスト',
            text: 'Chromium → relay → sandbox',
          },
        })
        return { token: { ok: token.ok }, send }
      },
      { sandbox, code, verifier, origin, scope: SCOPE }
    )
    expect(result.token.ok).toBe(true)
    expect(result.send).toMatchObject({ ok: true, response: expect.stringMatching(/^250 2\.0\.0 OK/) })

    const inbox = (await (await fetch(`${relay.url}/api/sandbox/messages`)).json()) as { messages: Record<string, any>[] }
    expect(inbox.messages[0]).toMatchObject({ subject: 'ブラウザからのテスト', from: '山田 太郎 <taro@sandbox.mailkey.test>' })

    // The inbox page renders in the browser under the relay's headers.
    await page.goto(`${origin}/api/sandbox/inbox`)
    expect(await page.locator('h2').filter({ hasText: 'ブラウザからのテスト' }).count()).toBe(1)
    await context.close()
  })
})
