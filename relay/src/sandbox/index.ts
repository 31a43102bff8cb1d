/**
 * The sandbox tenant: an Entra-shaped identity provider and a Microsoft 365-shaped SMTP
 * submission server on 127.0.0.1, plus the inbox and switches the relay mounts at
 * `/api/sandbox`. Node only (oidc-provider, smtp-server). Runs only when asked
 * (`RELAY_SANDBOX=1`).
 *
 * @example
 * const sandbox = await startSandbox({ dataDir: 'data', publicOrigin: 'http://localhost:8787' })
 * // sandbox.info → /api/config; sandbox.routes → /api/sandbox; await sandbox.close()
 *
 * @module
 */
import { join } from 'node:path'
import { startIdp } from './idp.ts'
import { Inbox } from './inbox.ts'
import { loadOrCreatePki } from './pki.ts'
import { sandboxRoutes } from './routes.ts'
import { startSmtp } from './smtp.ts'
import { defaultSwitches, type Switches } from './switches.ts'
import {
  ACCOUNTS,
  EXCHANGE_APP_SETUP,
  OUTLOOK_365,
  SMTP_SEND_AS_APP,
  SPA_APP,
  TENANT_ID,
  WEB_APP,
} from './tenant.ts'
import type { SandboxHandle, SandboxOptions, StartSandbox } from './types.ts'
import { createTokenVerifier, fetchJwks } from './verify.ts'

export type { SandboxHandle, SandboxOptions }

/** The relay's options (ports default to 8788 and 8587; 0 picks a free one), plus test knobs. */
export interface StartOptions extends SandboxOptions {
  /** Switches on at start (tests). */
  switches?: Partial<Switches>
  /** Device code lifetime in seconds (tests; Entra's 900 otherwise). */
  deviceCodeTtl?: number
}

export const DEFAULT_IDP_PORT = 8788
export const DEFAULT_SMTP_PORT = 8587

/** Relay paths under which the sandbox's routes are mounted. */
const MOUNT = '/api/sandbox'

export const startSandbox: (opts: StartOptions) => Promise<SandboxHandle> = async (opts) => {
  const base = join(opts.dataDir, 'sandbox')
  const pki = await loadOrCreatePki(base)
  const publicOrigin = opts.publicOrigin.replace(/\/$/, '')
  let switches: Switches = { ...defaultSwitches(), ...opts.switches }
  const getSwitches = () => switches

  const idp = await startIdp({
    pki,
    publicOrigin,
    port: opts.idpPort ?? DEFAULT_IDP_PORT,
    switches: getSwitches,
    accessTokenTtl: opts.accessTokenTtl ?? 3600,
    ...(opts.deviceCodeTtl !== undefined && { deviceCodeTtl: opts.deviceCodeTtl }),
  })

  const inbox = new Inbox(join(base, 'inbox'))
  let smtp
  try {
    await inbox.load()
    smtp = await startSmtp({
      port: opts.smtpPort ?? DEFAULT_SMTP_PORT,
      certPem: pki.certPem,
      keyPem: pki.keyPem,
      // Exchange trusts what the IdP publishes: the keys come from its jwks_uri, over TLS.
      verifyToken: createTokenVerifier(await fetchJwks(idp.jwksUri, pki.caPem), idp.issuer),
      switches: getSwitches,
      inbox,
    })
  } catch (err) {
    await idp.close()
    throw err
  }

  const sandboxSmtp = smtp
  /** Switches whose effect is more than a flag read on each request. */
  const applyEffects = async (before: Switches, next: Switches) => {
    if (before.refreshTokenRevoked !== next.refreshTokenRevoked) idp.setRefreshTokensRevoked(next.refreshTokenRevoked)
    if (before.smtpDown !== next.smtpDown) await sandboxSmtp.setDown(next.smtpDown)
  }
  await applyEffects(defaultSwitches(), switches)

  const routes = sandboxRoutes({
    inbox,
    caPem: pki.caPem,
    getSwitches,
    setSwitches: async (next) => {
      const before = switches
      switches = next
      await applyEffects(before, next)
    },
  })

  return {
    info: {
      tenantId: TENANT_ID,
      clientId: WEB_APP.clientId,
      clientSecret: WEB_APP.secretValue,
      authorizeEndpoint: idp.authorizeEndpoint,
      tokenEndpoint: idp.tokenEndpoint,
      smtp: { host: 'localhost', port: smtp.port, security: 'starttls' },
      users: ACCOUNTS.map((a) => ({
        upn: a.upn,
        password: a.password,
        description: a.description,
        descriptionJa: a.descriptionJa,
        displayName: a.displayName,
      })),
      spaClientId: SPA_APP.clientId,
      clientSecretId: WEB_APP.secretId,
      authority: idp.authority,
      idpOrigin: idp.origin,
      caUrl: `${MOUNT}/ca.pem`,
      inboxUrl: `${MOUNT}/inbox`,
      spaRedirectUri: `${publicOrigin}${SPA_APP.redirectPath}`,
      deviceCodeEndpoint: idp.deviceCodeEndpoint,
      deviceLoginUri: idp.deviceLoginUri,
      appOnly: {
        scope: `${OUTLOOK_365}/.default`,
        role: SMTP_SEND_AS_APP,
        servicePrincipalObjectId: WEB_APP.servicePrincipalObjectId,
        appObjectId: WEB_APP.objectId,
        fullAccessMailboxes: [...EXCHANGE_APP_SETUP.fullAccessMailboxes],
        allowPublicClientFlows: WEB_APP.allowPublicClientFlows,
      },
    },
    caPem: pki.caPem,
    smtpHostPort: `localhost:${smtp.port}`,
    tokenHost: new URL(idp.origin).host,
    routes,
    smtpSessions: () => sandboxSmtp.sessions(),
    close: async () => {
      await Promise.all([smtp.close(), idp.close()])
    },
  }
}

// Keeps the exported function assignable to the relay's declared type.
const _typed: StartSandbox = startSandbox
void _typed
