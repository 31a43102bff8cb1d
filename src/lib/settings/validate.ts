/**
 * Inline validation of the settings form with the contract's zod schemas (the relay checks the
 * same ones). Returns a message key per bad field, shown next to that field in the page's language.
 *
 * Three purposes: `save` checks only what was typed (a half-filled form may be saved), `signin`
 * also requires what sign-in needs, `send` what a test send needs.
 *
 * @module
 */
import '../zod-csp.ts'
import { HostName, MailboxText, Security, SmtpTarget } from '../contract/api.ts'
import type { MessageKey } from '../i18n/types.ts'
import { daysUntil } from './expiry.ts'
import { isGuid, TENANT_PLACEHOLDER, type Settings } from './model.ts'

export type Purpose = 'save' | 'signin' | 'send'
export type FieldErrors = Partial<Record<keyof Settings, MessageKey>>

/** A tenant is named by its GUID or one of its domains (contoso.onmicrosoft.com). */
const TENANT_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i

/** Longest lifetime Entra allows for a client secret (the seed: at most 2 years). */
const MAX_SECRET_DAYS = 2 * 366

const ENDPOINT = /^https?:\/\/([^/?#]+)\/([^/?#]+)\/(.*)$/i

/**
 * Checks the authorize/token pair: https, no placeholder left, Entra's path shapes (`V2.0` as the
 * seed spells it or `v2.0`), and the same host and tenant in both.
 */
export function checkEndpoints(
  authorize: string,
  token: string,
): { authorizeEndpoint?: MessageKey; tokenEndpoint?: MessageKey } {
  const one = (url: string, tail: 'authorize' | 'token'): MessageKey | undefined => {
    const u = url.trim()
    if (!u) return 'error.required'
    if (u.includes(TENANT_PLACEHOLDER) || u.includes('%7BYourTenantId%7D')) return 'error.placeholder'
    let parsed: URL
    try {
      parsed = new URL(u)
    } catch {
      return 'error.url'
    }
    if (parsed.protocol !== 'https:') return 'error.https'
    if (!new RegExp(`^/[^/]+/oauth2/v2\\.0/${tail}/?$`, 'i').test(parsed.pathname)) {
      return tail === 'authorize' ? 'error.authorizePath' : 'error.tokenPath'
    }
    return undefined
  }
  const errors: { authorizeEndpoint?: MessageKey; tokenEndpoint?: MessageKey } = {}
  const a = one(authorize, 'authorize')
  const t = one(token, 'token')
  if (a) errors.authorizeEndpoint = a
  if (t) errors.tokenEndpoint = t
  if (!a && !t) {
    const ma = ENDPOINT.exec(authorize.trim())
    const mt = ENDPOINT.exec(token.trim())
    const same =
      ma?.[1]?.toLowerCase() === mt?.[1]?.toLowerCase() &&
      ma?.[2]?.toLowerCase() === mt?.[2]?.toLowerCase()
    if (!same) errors.tokenEndpoint = 'error.sameTenant'
  }
  return errors
}

/** Validates the settings for `purpose`; an empty object means valid. */
export function validate(s: Settings, purpose: Purpose, now = new Date()): FieldErrors {
  const e: FieldErrors = {}
  const need = (field: keyof Settings, value: string) => {
    if (purpose !== 'save' && !value.trim() && !e[field]) e[field] = 'error.required'
  }
  const sending = purpose === 'send'
  const oauth = s.authType === 'oauth2'

  if (s.host.trim() && !HostName.safeParse(s.host.trim()).success) e.host = 'error.host'
  if (sending) need('host', s.host)
  if (s.port.trim()) {
    const ok = /^\d+$/.test(s.port.trim()) && SmtpTarget.shape.port.safeParse(Number(s.port)).success
    if (!ok) e.port = 'error.port'
  } else if (sending) e.port = 'error.required'
  if (!Security.safeParse(s.security).success) e.security = 'error.required'

  if (s.authType === 'password' && sending) {
    need('user', s.user)
    need('password', s.password)
  }

  if (oauth) {
    const tenant = s.tenantId.trim()
    if (tenant && !isGuid(tenant) && !TENANT_DOMAIN.test(tenant)) e.tenantId = 'error.guid'
    // The seed's endpoints still carry {YourTenantId}: the tenant ID fills them, so it is what
    // sign-in asks for (first), not the two endpoints it would fill.
    const placeholderLeft = [s.authorizeEndpoint, s.tokenEndpoint].some(
      (u) => u.includes(TENANT_PLACEHOLDER) || u.includes('%7BYourTenantId%7D'),
    )
    if (purpose === 'signin' && !tenant && placeholderLeft) e.tenantId = 'error.required'
    if (s.clientId.trim() && !isGuid(s.clientId)) e.clientId = 'error.guid'
    if (purpose === 'signin') need('clientId', s.clientId)
    // A GUID-shaped secret is probably the Secret ID: warned next to the field (model.ts
    // secretLooksLikeId), not refused, so Entra's own answer (AADSTS7000215) can confirm it.
    if (purpose === 'signin' && s.tokenMode === 'web-secret') need('clientSecret', s.clientSecret)
    const endpointsTyped = s.authorizeEndpoint.trim() || s.tokenEndpoint.trim()
    if (purpose === 'signin' || endpointsTyped) {
      const ep = checkEndpoints(s.authorizeEndpoint, s.tokenEndpoint)
      // The seed's untouched template may be saved (and a send uses the token, not the
      // endpoints); only signing in needs the tenant filled in.
      const template = (k?: MessageKey) =>
        k === 'error.placeholder' && (purpose !== 'signin' || e.tenantId === 'error.required')
      if (ep.authorizeEndpoint && !template(ep.authorizeEndpoint)) e.authorizeEndpoint = ep.authorizeEndpoint
      if (ep.tokenEndpoint && !template(ep.tokenEndpoint)) e.tokenEndpoint = ep.tokenEndpoint
    }
  }

  // The secret and its expiry are used (and shown) in web-secret only.
  if (oauth && s.tokenMode === 'web-secret' && s.secretExpires) {
    const days = daysUntil(s.secretExpires, now)
    if (days === undefined) e.secretExpires = 'error.date'
    else if (days > MAX_SECRET_DAYS) e.secretExpires = 'error.expiryTooLong'
  }

  if (s.to.trim() && !MailboxText.safeParse(s.to.trim()).success) e.to = 'error.address'
  if (s.from.trim() && !MailboxText.safeParse(s.from.trim()).success) e.from = 'error.address'
  if (sending) {
    need('to', s.to)
    need('from', s.from)
  }
  return e
}
