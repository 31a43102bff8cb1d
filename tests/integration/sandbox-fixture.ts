/**
 * A sandbox started in-process for the integration tests (ports 0, a temporary data folder),
 * with the helpers the tests share: switches, authorize URLs and the Web app's token flow.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { JSONWebKeySet } from 'jose'
import { expect } from 'vitest'
import { startSandbox, type StartOptions } from '../../relay/src/sandbox/index.ts'
import type { SandboxHandle } from '../../relay/src/sandbox/types.ts'
import { freePort } from '../helpers/ports.ts'
import { startRelay, type RelayProcess } from '../helpers/relay-process.ts'
import { Browserish, pkcePair, responseParams, signIn } from './sandbox-client.ts'

export const PUBLIC = 'http://localhost:8787'
export const SEND = 'https://outlook.office.com/SMTP.Send'
export const SCOPE = `${SEND} openid profile offline_access`
export const TARO = { upn: 'taro@sandbox.mailkey.test', password: 'Sandbox-Taro-2026' }
export const HANAKO = { upn: 'hanako@sandbox.mailkey.test', password: 'Sandbox-Hanako-2026' }
export const JIRO = { upn: 'jiro@sandbox.mailkey.test', password: 'Sandbox-Jiro-2026' }
export const SHARED = 'shared@sandbox.mailkey.test'
/** The scope of an app-only (client credentials) token for Exchange Online SMTP. */
export const APP_SCOPE = 'https://outlook.office365.com/.default'

export type Info = SandboxHandle['info'] & Record<string, unknown>

export interface Fixture {
  sandbox: SandboxHandle
  info: Info
  dataDir: string
  close(): Promise<void>
  setSwitches(update: Record<string, boolean>): Promise<void>
  authorizeUrl(params: Record<string, string>): string
  /** Web app, hybrid `code id_token` + PKCE + nonce; `form` redeems it with the secret. */
  webTokens(
    user: { upn: string; password: string },
    scope?: string
  ): Promise<{ browser: Browserish; location: string; params: URLSearchParams; form: Record<string, string> }>
  /** The keys the IdP publishes, found through its discovery document. */
  jwks(): Promise<JSONWebKeySet>
  /** The Web app's client credentials request (answer as JSON); `form` overrides fields. */
  appToken(form?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>
}

export async function startFixture(
  opts: Omit<StartOptions, 'dataDir' | 'publicOrigin'> = {}
): Promise<Fixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mailkey-sandbox-'))
  const sandbox = await startSandbox({ dataDir, publicOrigin: PUBLIC, idpPort: 0, smtpPort: 0, ...opts })
  const info = sandbox.info as Info
  const authorizeUrl = (params: Record<string, string>) =>
    `${info.authorizeEndpoint}?${new URLSearchParams(params)}`
  return {
    sandbox,
    info,
    dataDir,
    close: async () => {
      await sandbox.close()
      await rm(dataDir, { recursive: true, force: true })
    },
    authorizeUrl,
    async setSwitches(update) {
      const res = await sandbox.routes.request('/switches', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(update),
      })
      expect(res.status).toBe(200)
    },
    async webTokens(user, scope = SCOPE) {
      const browser = new Browserish(sandbox.caPem)
      const { verifier, challenge } = pkcePair()
      const redirect = 'http://localhost:5173'
      const location = await signIn(
        browser,
        authorizeUrl({
          client_id: info.clientId,
          response_type: 'code id_token',
          response_mode: 'fragment',
          redirect_uri: redirect,
          scope,
          nonce: 'nonce-1',
          state: 'state-1',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        user.upn,
        user.password
      )
      const params = responseParams(location)
      const form = {
        client_id: info.clientId,
        client_secret: info.clientSecret,
        grant_type: 'authorization_code',
        code: params.get('code') ?? '',
        code_verifier: verifier,
        redirect_uri: redirect,
        scope,
      }
      return { browser, location, params, form }
    },
    async appToken(form = {}) {
      const answer = await new Browserish(sandbox.caPem).request(info.tokenEndpoint, {
        form: {
          client_id: info.clientId,
          client_secret: info.clientSecret,
          grant_type: 'client_credentials',
          scope: APP_SCOPE,
          ...form,
        },
      })
      return { status: answer.status, json: answer.json() }
    },
    async jwks() {
      const b = new Browserish(sandbox.caPem)
      const discovery = (await b.request(`${info.authority}/v2.0/.well-known/openid-configuration`)).json()
      return (await b.request(String(discovery.jwks_uri))).json<JSONWebKeySet>()
    },
  }
}

/**
 * Starts the real relay with the sandbox on fresh ports. A port found free can be taken by
 * another process before the relay binds it (other suites run beside this one), so an
 * EADDRINUSE start is retried with new ports.
 */
export async function startSandboxRelay(
  dataDir: string,
  extraEnv: (relayPort: number) => Record<string, string> = () => ({})
): Promise<RelayProcess> {
  for (let attempt = 1; ; attempt++) {
    const relayPort = await freePort()
    try {
      return await startRelay({
        runtime: 'node',
        env: {
          PORT: String(relayPort),
          RELAY_SANDBOX: '1',
          RELAY_DATA_DIR: dataDir,
          RELAY_SANDBOX_IDP_PORT: String(await freePort()),
          RELAY_SANDBOX_SMTP_PORT: String(await freePort()),
          ...extraEnv(relayPort),
        },
      })
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err
    }
  }
}
