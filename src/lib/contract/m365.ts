/**
 * What Microsoft 365 and Entra ID mean by their SMTP replies and AADSTS codes, in ONE table
 * (shared/M365-FACTS.md §2.3, §2.4). The relay uses it to fill `message` and `hint` of its error
 * answers; the page imports the same table and shows its own Japanese/English text keyed by each
 * entry's `id`. Every hint names the admin step of the seed (or the tenant setting) to check.
 *
 * Runtime-neutral: imported by Node, Deno and the browser.
 *
 * @module
 */
import type { ErrorCode } from './api.ts'

/** The admin steps of the seed (seed/SEED-en.md) an explanation can point at. */
export const SEED_STEPS = [
  /** Microsoft 365 admin center > Users > Active users > Mail > Manage email apps > Authenticated SMTP */
  'smtp-auth',
  /** Entra admin center > App registrations > New registration (single tenant, Web, http://localhost) */
  'register-app',
  /** App > Authentication: platform, redirect URI, implicit/hybrid checkboxes */
  'authentication',
  /** App > Certificates & secrets: the secret's Value */
  'client-secret',
  /** App > API permissions: SMTP.Send, offline_access */
  'api-permissions',
  /** App > API permissions > Grant admin consent */
  'consent',
  /** App > Overview: Application (client) ID, Directory (tenant) ID, and the endpoints built from them */
  'overview-values',
  /** The mail settings themselves: server, port, SSL, From address */
  'mail-settings',
  /** Sign in again with [Sign in] */
  'sign-in',
  /** Tenant-wide policy outside the seed: security defaults, Conditional Access, SMTP AUTH org switch */
  'tenant-policy',
  /** Nothing to fix in the setup (transient: retry later) */
  'none',
] as const
export type SeedStep = (typeof SEED_STEPS)[number]

/** How an SMTP reply is recognised: every given part must match. */
export interface SmtpMatch {
  kind: 'smtp'
  /** RFC 3463 enhanced status code, e.g. `5.7.139`. */
  enhanced?: string
  /** Basic reply codes, e.g. `[432]`. */
  codes?: number[]
  /** Tested against the reply text (all lines joined by a space). */
  text?: RegExp
}

export interface AadstsMatch {
  kind: 'aadsts'
  /** The number after `AADSTS`, e.g. `7000222`. */
  aadsts: string
}

export interface M365Explanation {
  /** Stable key for the page's translations, e.g. `smtp-5.7.139-tenant`, `aadsts-7000222`. */
  id: string
  match: SmtpMatch | AadstsMatch
  /** The contract code to report when the reply means something other than where it came. */
  apiCode?: ErrorCode
  /** English: what happened, in one sentence. */
  summary: string
  /** English: what to do, naming the admin step to check. */
  hint: string
  seedStep: SeedStep
  /** Temporary condition: retrying later may succeed. */
  transient?: boolean
}

const STEP = {
  smtpAuth:
    'Microsoft 365 admin center > Users > Active users > (the sender) > Mail > Manage email apps > Authenticated SMTP',
  authentication: 'Microsoft Entra admin center > App registrations > (the app) > Authentication',
  secret: 'Microsoft Entra admin center > App registrations > (the app) > Certificates & secrets',
  permissions:
    'Microsoft Entra admin center > App registrations > (the app) > API permissions (delegated SMTP.Send and offline_access)',
  consent:
    'Microsoft Entra admin center > App registrations > (the app) > API permissions > Grant admin consent',
  overview: 'Microsoft Entra admin center > App registrations > (the app) > Overview',
  orgSmtp:
    'Exchange admin center > Settings > Mail flow > "Turn off SMTP AUTH protocol for your organization" (Set-TransportConfig -SmtpClientAuthenticationDisabled $false)',
  securityDefaults:
    'Microsoft Entra admin center > Overview > Properties > Manage security defaults',
  conditionalAccess: 'Microsoft Entra admin center > Protection > Conditional Access',
} as const

const smtp = (
  id: string,
  match: Omit<SmtpMatch, 'kind'>,
  rest: Omit<M365Explanation, 'id' | 'match'>,
): M365Explanation => ({ id, match: { kind: 'smtp', ...match }, ...rest })

const aad = (
  code: string,
  seedStep: SeedStep,
  summary: string,
  hint: string,
): M365Explanation => ({
  id: `aadsts-${code}`,
  match: { kind: 'aadsts', aadsts: code },
  summary,
  hint,
  seedStep,
})

/**
 * SMTP replies, most specific first: the first entry whose every given part matches wins
 * (the 5.7.139 variants before plain 5.7.139).
 */
export const SMTP_EXPLANATIONS: readonly M365Explanation[] = [
  smtp('smtp-5.7.139-mailbox', { enhanced: '5.7.139', text: /disabled for the mailbox/i }, {
    summary: 'SMTP AUTH (Authenticated SMTP) is turned off for this mailbox.',
    hint: `Tick Authenticated SMTP in ${STEP.smtpAuth}, save, and allow some time before retrying.`,
    seedStep: 'smtp-auth',
  }),
  smtp('smtp-5.7.139-tenant', {
    enhanced: '5.7.139',
    text: /SmtpClientAuthentication is disabled/i,
  }, {
    summary: 'SMTP AUTH is turned off for the whole organisation (or this mailbox).',
    hint:
      `Allow SMTP AUTH for the organisation in ${STEP.orgSmtp}, and tick Authenticated SMTP in ${STEP.smtpAuth}.`,
    seedStep: 'smtp-auth',
  }),
  smtp('smtp-5.7.139-security-defaults', { enhanced: '5.7.139', text: /security defaults/i }, {
    summary:
      "The sign-in is blocked by the organisation's security defaults, which disable SMTP AUTH.",
    hint:
      `Security defaults turn SMTP AUTH off; an administrator must disable them (${STEP.securityDefaults}) or use Conditional Access instead, then tick Authenticated SMTP in ${STEP.smtpAuth}.`,
    seedStep: 'tenant-policy',
  }),
  smtp('smtp-5.7.139-basic-auth', {
    enhanced: '5.7.139',
    text: /basic authentication is disabled/i,
  }, {
    summary: 'Password (basic) authentication is disabled for SMTP.',
    hint:
      'Choose OAuth 2.0 as the authentication and sign in; Microsoft 365 no longer accepts passwords here.',
    seedStep: 'mail-settings',
  }),
  smtp('smtp-5.7.139-conditional-access', {
    enhanced: '5.7.139',
    text: /did not meet the criteria/i,
  }, {
    summary: 'A Conditional Access policy blocked this sign-in.',
    hint:
      `Check the policies that apply to this user and app in ${STEP.conditionalAccess} (sign-in logs name the policy).`,
    seedStep: 'tenant-policy',
  }),
  smtp('smtp-5.7.139', { enhanced: '5.7.139' }, {
    summary: 'Microsoft 365 refused SMTP authentication for this user.',
    hint:
      `Check Authenticated SMTP in ${STEP.smtpAuth}, the organisation switch in ${STEP.orgSmtp}, security defaults and Conditional Access.`,
    seedStep: 'smtp-auth',
  }),
  smtp('smtp-5.7.3', { enhanced: '5.7.3' }, {
    summary: 'Exchange rejected the token.',
    hint:
      `Check that the user signed in is the From mailbox, that the token is for https://outlook.office.com/SMTP.Send (${STEP.permissions}), and that Authenticated SMTP is ticked in ${STEP.smtpAuth} (it can take a while to become active).`,
    seedStep: 'api-permissions',
  }),
  smtp('smtp-5.7.57', { enhanced: '5.7.57' }, {
    summary: 'The server wants authentication before MAIL FROM.',
    hint: 'Choose OAuth 2.0 as the authentication and sign in before sending.',
    seedStep: 'mail-settings',
  }),
  smtp('smtp-5.7.60', { enhanced: '5.7.60' }, {
    apiCode: 'SENDER_REJECTED',
    summary: 'The signed-in user may not send as this From address.',
    hint:
      'Use the signed-in mailbox as the From address, or give the user Send As permission on that mailbox (Exchange admin center > Recipients > Mailboxes > Delegation).',
    seedStep: 'mail-settings',
  }),
  smtp('smtp-5.2.252', { enhanced: '5.2.252' }, {
    apiCode: 'SENDER_REJECTED',
    summary: 'Send As was denied: the signed-in user may not send as this From address.',
    hint:
      'Use the signed-in mailbox as the From address, or give the user Send As permission on that mailbox (Exchange admin center > Recipients > Mailboxes > Delegation).',
    seedStep: 'mail-settings',
  }),
  smtp('smtp-5.2.0-send-as', { enhanced: '5.2.0', text: /SendAsDenied/i }, {
    apiCode: 'SENDER_REJECTED',
    summary: 'Send As was denied: the signed-in user may not send as this From address.',
    hint:
      'Use the signed-in mailbox as the From address, or give the user Send As permission on that mailbox (Exchange admin center > Recipients > Mailboxes > Delegation).',
    seedStep: 'mail-settings',
  }),
  smtp('smtp-5.2.0-quota', { enhanced: '5.2.0', text: /Quota/i }, {
    apiCode: 'MESSAGE_REJECTED',
    summary: 'The mailbox exceeded its sending limit (10,000 recipients per day).',
    hint: 'Wait until the daily limit resets, or spread sending over several mailboxes.',
    seedStep: 'none',
    transient: true,
  }),
  smtp('smtp-5.2.2', { enhanced: '5.2.2' }, {
    apiCode: 'MESSAGE_REJECTED',
    summary: "The sender's mailbox is full (SMTP submissions are kept in Sent Items).",
    hint: "Empty the sender's Sent Items or Deleted Items, or raise the mailbox quota.",
    seedStep: 'none',
  }),
  smtp('smtp-4.3.2-thread-limit', { codes: [432] }, {
    summary: 'Too many connections are submitting for this mailbox at once (more than 3).',
    hint: 'Send fewer messages in parallel from this mailbox, then retry.',
    seedStep: 'none',
    transient: true,
  }),
  smtp('smtp-4.3.2', { enhanced: '4.3.2' }, {
    summary: 'The service is temporarily not active.',
    hint: 'Retry in a few minutes.',
    seedStep: 'none',
    transient: true,
  }),
  smtp('smtp-4.7.500', { enhanced: '4.7.500' }, {
    summary: 'The server is busy.',
    hint: 'Retry in a few minutes.',
    seedStep: 'none',
    transient: true,
  }),
  smtp('smtp-4.7.0', { enhanced: '4.7.0' }, {
    summary: 'A temporary server error occurred.',
    hint: 'Retry in a few minutes.',
    seedStep: 'none',
    transient: true,
  }),
  smtp('smtp-4.7.66', { enhanced: '4.7.66' }, {
    apiCode: 'TLS_FAILED',
    summary: 'The server requires TLS 1.2 or later.',
    hint:
      'Choose StartTLS (port 587) under SSL; the relay always uses TLS 1.2 or later, so check any proxy in between.',
    seedStep: 'mail-settings',
  }),
  smtp('smtp-5.3.4', { enhanced: '5.3.4' }, {
    apiCode: 'MESSAGE_REJECTED',
    summary: "The message is larger than the server's size limit.",
    hint: 'Send smaller or fewer attachments (Exchange Online: 35 MB by default, after encoding).',
    seedStep: 'none',
  }),
  smtp('smtp-5.5.124', { enhanced: '5.5.124' }, {
    apiCode: 'AUTH_FAILED',
    summary: 'The user name sent with the token is not a valid address.',
    hint:
      'Sign in again: the user name sent with the token must be the address of the signed-in mailbox.',
    seedStep: 'sign-in',
  }),  // Last: any other 421 (RFC 5321 §3.8), at whatever point of the dialogue it comes.
  smtp('smtp-421', { codes: [421] }, {
    apiCode: 'CONNECTION_FAILED',
    summary: 'The SMTP server is temporarily unavailable (421).',
    hint: 'Try again in a few minutes; nothing in the setup needs to change.',
    seedStep: 'none',
    transient: true,
  }),
]

/** AADSTS codes of the sign-in and token endpoints. */
export const AADSTS_EXPLANATIONS: readonly M365Explanation[] = [
  aad(
    '9002326',
    'authentication',
    'A code issued for a Web redirect URI was redeemed from the browser.',
    `Use token mode web-secret (the relay redeems the code), or register the redirect URI under Single-page application in ${STEP.authentication}.`,
  ),
  aad(
    '9002327',
    'authentication',
    'A code issued for a Single-page application redirect URI was redeemed without an Origin.',
    `Use token mode spa-pkce for a Single-page application registration, or register the redirect URI under Web in ${STEP.authentication}.`,
  ),
  aad(
    '7000218',
    'client-secret',
    'The app is registered as a Web (confidential) client but no client secret was sent.',
    `Enter the client secret's Value from ${STEP.secret}, or register the redirect URI under Single-page application.`,
  ),
  aad(
    '700025',
    'authentication',
    'The app is a public client, so no client secret may be sent.',
    `Leave the client secret empty, or register the redirect URI under Web in ${STEP.authentication}.`,
  ),
  aad(
    '7000222',
    'client-secret',
    'The client secret has expired.',
    `Create a new client secret in ${STEP.secret} and enter its Value.`,
  ),
  aad(
    '7000215',
    'client-secret',
    'The client secret is not valid.',
    `Enter the secret's Value, not its Secret ID, from ${STEP.secret} (create a new one if the Value is no longer shown).`,
  ),
  aad(
    '50011',
    'authentication',
    'The redirect URI is not registered for this app.',
    `Add this page's redirect URI exactly (path included) in ${STEP.authentication}.`,
  ),
  aad(
    '500113',
    'authentication',
    'The app has no redirect URI registered.',
    `Add this page's redirect URI in ${STEP.authentication}.`,
  ),
  aad(
    '65001',
    'consent',
    "Nobody has consented to the app's permissions.",
    `Grant consent in ${STEP.consent}, or sign in again and accept.`,
  ),
  aad(
    '90094',
    'consent',
    'An administrator must consent to the app.',
    `An administrator grants consent in ${STEP.consent}.`,
  ),
  aad(
    '65004',
    'consent',
    'The user declined consent.',
    `Sign in again and accept, or grant consent for everyone in ${STEP.consent}.`,
  ),
  aad(
    '700054',
    'authentication',
    'ID tokens are not enabled for the app.',
    `Tick "ID tokens (used for implicit and hybrid flows)" in ${STEP.authentication}.`,
  ),
  aad(
    '700051',
    'authentication',
    'Access tokens (implicit) are not enabled for the app.',
    `Tick "Access tokens (used for implicit flows)" in ${STEP.authentication}, or use token mode spa-pkce.`,
  ),
  aad(
    '70005',
    'authentication',
    'The response type is not enabled for the app.',
    `Tick the implicit/hybrid checkboxes in ${STEP.authentication}, or use token mode spa-pkce.`,
  ),
  aad(
    '700084',
    'sign-in',
    'The refresh token reached its fixed lifetime.',
    'Sign in again with [Sign in].',
  ),
  aad(
    '700082',
    'sign-in',
    'The refresh token expired after a period of inactivity.',
    'Sign in again with [Sign in].',
  ),
  aad(
    '70008',
    'sign-in',
    'The code or refresh token has expired.',
    'Sign in again with [Sign in].',
  ),
  aad(
    '70043',
    'sign-in',
    'The refresh token expired because of a Conditional Access sign-in frequency policy.',
    'Sign in again with [Sign in].',
  ),
  aad(
    '50173',
    'sign-in',
    'The grant was revoked (password change or an administrator revoked sessions).',
    'Sign in again with [Sign in].',
  ),
  aad(
    '54005',
    'sign-in',
    'The authorization code was already redeemed.',
    'Sign in again with [Sign in].',
  ),
  aad(
    '900144',
    'none',
    'A required parameter (for example scope) was missing from the token request.',
    'Send scope with every token request (this relay always does; check any other client).',
  ),
  aad(
    '50194',
    'overview-values',
    'The app is single-tenant, so the /common endpoint cannot be used.',
    `Use endpoints with the Directory (tenant) ID from ${STEP.overview}.`,
  ),
  aad(
    '700016',
    'overview-values',
    'The application (client) ID was not found in this directory.',
    `Copy the Application (client) ID and Directory (tenant) ID again from ${STEP.overview}.`,
  ),
  aad(
    '530035',
    'tenant-policy',
    'The sign-in was blocked by security defaults.',
    `An administrator checks ${STEP.securityDefaults}.`,
  ),
  aad(
    '53003',
    'tenant-policy',
    'The sign-in was blocked by Conditional Access.',
    `An administrator checks ${STEP.conditionalAccess} (sign-in logs name the policy).`,
  ),
  aad(
    '50076',
    'sign-in',
    'Multi-factor authentication is required.',
    'Sign in again with [Sign in] and complete MFA.',
  ),
  aad(
    '501481',
    'sign-in',
    'The PKCE code verifier did not match the code challenge.',
    'Sign in again with [Sign in].',
  ),
  aad(
    '50057',
    'sign-in',
    'The user account is disabled (a shared mailbox cannot sign in).',
    'Sign in as a licensed user. To send from a shared mailbox, sign in as a user with Send As on it and use the shared address as From.',
  ),
  aad(
    '50126',
    'sign-in',
    'The user name or password is wrong.',
    'Sign in again with [Sign in] and check the user name and password.',
  ),
  aad(
    '70000',
    'sign-in',
    'The code or grant is not valid (expired, already used, or for another app).',
    'Sign in again with [Sign in].',
  ),
  aad(
    '70011',
    'api-permissions',
    'The requested scope is not valid.',
    `Request https://outlook.office.com/SMTP.Send with offline_access, openid and profile, and check ${STEP.permissions}.`,
  ),
  aad(
    '9002313',
    'none',
    'The token request was malformed.',
    'Check the token endpoint URL and the redirect URI; sign in again with [Sign in].',
  ),
]

export const M365_EXPLANATIONS: readonly M365Explanation[] = [
  ...SMTP_EXPLANATIONS,
  ...AADSTS_EXPLANATIONS,
]

/** The enhanced code at the start of a reply text, e.g. `5.7.139` from `5.7.139 Authentication …`. */
const ENHANCED_PREFIX = /^([245])\.(\d{1,3})\.(\d{1,3})\b/

/**
 * Finds the explanation of an SMTP reply. `enhanced` may be missing (the server did not offer
 * ENHANCEDSTATUSCODES); it is then read from the start of the text.
 */
export function explainSmtpReply(reply: {
  code: number
  enhanced?: string
  text?: string
  lines?: readonly string[]
}): M365Explanation | undefined {
  const text = reply.text ?? reply.lines?.join(' ') ?? ''
  const enhanced = reply.enhanced ?? ENHANCED_PREFIX.exec(text)?.[0]
  return SMTP_EXPLANATIONS.find((e) => {
    const m = e.match as SmtpMatch
    if (m.enhanced !== undefined && m.enhanced !== enhanced) return false
    if (m.codes !== undefined && !m.codes.includes(reply.code)) return false
    if (m.text !== undefined && !m.text.test(text)) return false
    return true
  })
}

/** Finds the explanation of an AADSTS code: `AADSTS7000222`, `7000222` or the number. */
export function explainAadsts(code: string | number): M365Explanation | undefined {
  const digits = String(code).replace(/^AADSTS/i, '')
  return AADSTS_EXPLANATIONS.find((e) => (e.match as AadstsMatch).aadsts === digits)
}

/**
 * The AADSTS code of an Entra error answer: from `error_codes[0]` or, failing that, from the
 * `error_description` text (`AADSTS7000222: The provided client secret keys …`).
 * Returns the form `AADSTS7000222`, or undefined.
 */
export function findAadsts(
  body: { error_codes?: unknown; error_description?: unknown } | string,
): string | undefined {
  if (typeof body !== 'string') {
    const first = Array.isArray(body.error_codes) ? body.error_codes[0] : undefined
    if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      return `AADSTS${first}`
    }
    if (typeof body.error_description !== 'string') return undefined
    body = body.error_description
  }
  const m = /\bAADSTS(\d{4,7})\b/.exec(body)
  return m ? `AADSTS${m[1]}` : undefined
}
