/**
 * The "add a mailbox" form's values: empty, taken over from the settings page ("use these
 * settings for a gateway mailbox": the secret comes along when it is still in this tab's memory),
 * or filled with the sandbox's values; and the create request built from them. Pure.
 *
 * @module
 */
import type { Security } from '$lib/contract/api.ts'
import { M365_AUTHORIZE, M365_TOKEN, tenantOf, withTenant, type SandboxValues, type Settings } from '$lib/settings/model.ts'
import type { MailboxCreate, TokenSource } from '$lib/contract/gateway.ts'

export interface MailboxForm {
  name: string
  address: string
  tokenSource: TokenSource
  host: string
  port: string
  security: Security
  tenantId: string
  clientId: string
  clientSecret: string
  secretExpires: string
  tokenEndpoint: string
  authorizeEndpoint: string
}

export function emptyForm(): MailboxForm {
  return {
    name: '',
    address: '',
    tokenSource: 'app',
    host: 'smtp.office365.com',
    port: '587',
    security: 'starttls',
    tenantId: '',
    clientId: '',
    clientSecret: '',
    secretExpires: '',
    tokenEndpoint: M365_TOKEN,
    authorizeEndpoint: M365_AUTHORIZE,
  }
}

/** The bare address of `Name <user@example.com>` or `user@example.com`. */
export function bareAddress(from: string): string {
  const m = /<([^<>]+)>\s*$/.exec(from)
  return (m?.[1] ?? from).trim()
}

/**
 * The settings page's values for a mailbox. The web-secret mode is the seed's Web registration,
 * which a delegated mailbox uses unchanged; every other mode starts from app-only, the choice for
 * unattended sending (spa-pkce and implicit registrations cannot serve it).
 */
export function formFromSettings(s: Settings): MailboxForm {
  const address = bareAddress(s.from)
  return {
    name: address.split('@')[0] ?? '',
    address,
    tokenSource: s.tokenMode === 'web-secret' ? 'delegated' : 'app',
    host: s.host.trim(),
    port: s.port.trim(),
    security: s.security,
    tenantId: s.tenantId.trim() || tenantOf(s.tokenEndpoint) || '',
    clientId: s.clientId.trim(),
    clientSecret: s.clientSecret,
    secretExpires: s.secretExpires,
    tokenEndpoint: s.tokenEndpoint.trim(),
    authorizeEndpoint: s.authorizeEndpoint.trim(),
  }
}

/** The sandbox tenant's Web app and its working user (the one with FullAccess for app-only). */
export function formFromSandbox(sb: SandboxValues, tokenSource: TokenSource): MailboxForm {
  const user = sb.users[0]?.upn ?? ''
  return {
    name: `Sandbox ${tokenSource}`,
    address: user,
    tokenSource,
    host: sb.smtp.host,
    port: String(sb.smtp.port),
    security: sb.smtp.security,
    tenantId: sb.tenantId,
    clientId: sb.clientId,
    clientSecret: sb.clientSecret,
    secretExpires: '',
    tokenEndpoint: sb.tokenEndpoint,
    authorizeEndpoint: sb.authorizeEndpoint,
  }
}

/** Typing a tenant ID rewrites both endpoints, as on the settings page. */
export function withFormTenant(f: MailboxForm, tenantId: string): MailboxForm {
  return { ...f, tenantId, ...withTenant(tenantId, f.authorizeEndpoint, f.tokenEndpoint) }
}

/** The create request (GATEWAY.md `POST /api/admin/mailboxes`); the relay validates it. */
export function toCreate(f: MailboxForm): MailboxCreate {
  const port = Number(f.port.trim())
  return {
    name: f.name.trim(),
    address: f.address.trim(),
    smtp: { host: f.host.trim(), port: Number.isInteger(port) ? port : -1, security: f.security },
    tokenSource: f.tokenSource,
    tenantId: f.tenantId.trim(),
    clientId: f.clientId.trim(),
    clientSecret: f.clientSecret,
    tokenEndpoint: f.tokenEndpoint.trim(),
    ...(f.tokenSource === 'delegated' && f.authorizeEndpoint.trim() ? { authorizeEndpoint: f.authorizeEndpoint.trim() } : {}),
    ...(f.secretExpires ? { secretExpires: f.secretExpires } : {}),
  }
}
