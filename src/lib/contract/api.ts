/**
 * The HTTP contract between the page and the relay (shared/API.md), written once as zod
 * schemas. The relay validates requests with them; the page validates its form with them
 * and types the answers. Runtime-neutral: imported by Node, Deno and the browser.
 *
 * @module
 */
import { z } from 'zod'

/** Every error code of the contract with its HTTP status. */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  HOST_NOT_ALLOWED: 403,
  ORIGIN_NOT_ALLOWED: 403,
  RATE_LIMITED: 429,
  CONNECTION_FAILED: 502,
  TLS_FAILED: 502,
  STARTTLS_UNAVAILABLE: 502,
  AUTH_MECHANISM_UNAVAILABLE: 502,
  AUTH_FAILED: 502,
  SENDER_REJECTED: 502,
  RECIPIENT_REJECTED: 502,
  MESSAGE_REJECTED: 502,
  TIMEOUT: 504,
  TOKEN_ENDPOINT_ERROR: 502,
  /** The SMTP server's replies broke the SMTP grammar or its limits (the peer's fault). */
  PROTOCOL_ERROR: 502,
  INTERNAL: 500,
  // The gateway's codes (shared/GATEWAY.md; also `GATEWAY_ERROR_STATUS` in gateway.ts).
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[]

/**
 * A lone UTF-16 surrogate is not text: it has no UTF-8 form, so encoders throw on it
 * (`encodeURIComponent`) or replace it silently (`TextEncoder`, `URLSearchParams`), and a secret
 * or an address would change on its way. Refused in every string field of a request.
 */
const WELL_FORMED = /^[^\p{Cs}]*$/u
/** A string of well-formed Unicode (no lone surrogate); the base of every request string. */
export const wellFormed = (what = 'The text') =>
  z.string().regex(WELL_FORMED, {
    message: `${what} must be well-formed Unicode (it holds a lone UTF-16 surrogate)`,
  })

/** CR, LF and NUL end a header or an SMTP command early: refused everywhere (header injection). */
const NO_CONTROL = /^[^\r\n\0]*$/
const noControl = (what: string) =>
  wellFormed(what).regex(NO_CONTROL, { message: `${what} must not contain CR, LF or NUL` })

/**
 * An addr-spec as used on the SMTP envelope: local@domain, no spaces or angle brackets.
 * UTF-8 is allowed in both parts (RFC 6531, sent only when the server offers SMTPUTF8).
 */
export const ADDR_SPEC = /^[^\s@<>()[\]\\,;:"]+@(?:[^\s@<>()[\]\\,;:".]+\.)*[^\s@<>()[\]\\,;:".]+$/u

export interface Mailbox {
  name?: string
  address: string
}

/**
 * Parses `address` or `Name <address>` (the display name may be quoted and may be Japanese).
 * Returns undefined when the text is not one mailbox.
 */
export function parseMailbox(text: string): Mailbox | undefined {
  if (!NO_CONTROL.test(text)) return undefined
  const trimmed = text.trim()
  if (trimmed.length === 0 || trimmed.length > 998) return undefined
  const angle = /^(.*?)\s*<([^<>]*)>$/su.exec(trimmed)
  if (!angle) {
    return ADDR_SPEC.test(trimmed) && trimmed.length <= 320 ? { address: trimmed } : undefined
  }
  const rawName = (angle[1] ?? '').trim()
  const address = (angle[2] ?? '').trim()
  if (!ADDR_SPEC.test(address) || address.length > 320) return undefined
  let name = rawName
  if (name.startsWith('"')) {
    if (!name.endsWith('"') || name.length < 2) return undefined
    name = name.slice(1, -1).replace(/\\(.)/gu, '$1')
  } else if (/[<>"]/u.test(name)) {
    return undefined
  }
  return name ? { name, address } : { address }
}

/** A mailbox as the contract accepts it: `address` or `"Name <address>"`. */
export const MailboxText = noControl('An address')
  .max(998)
  .refine((s) => parseMailbox(s) !== undefined, {
    message: 'Expected an e-mail address or "Name <address>"',
  })

/** A DNS host name or an IP literal; never a URL. */
export const HostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/, {
    message: 'Expected a host name such as smtp.office365.com',
  })

export const Security = z.enum(['starttls', 'tls', 'none'])
export type Security = z.infer<typeof Security>

export const SmtpTarget = z.strictObject({
  host: HostName,
  port: z.number().int().min(1).max(65535),
  security: Security,
  /**
   * `false`: a new connection, with the whole dialogue in the transcript (the page's test send);
   * otherwise an idle authenticated connection for the same host, port, security, user and
   * token may be reused.
   */
  reuse: z.boolean().optional(),
})
export type SmtpTarget = z.infer<typeof SmtpTarget>

/** Long enough for any real token, short enough to bound work. */
const Secret = (what: string) => noControl(what).min(1).max(16_384)

/**
 * XOAUTH2 and OAUTHBEARER separate `user=` and `auth=Bearer <token>` with ^A (RFC 7628 §3.1):
 * a control character in either would end the field early, and a bearer token has no spaces
 * (RFC 6750 §2.1).
 */
const SaslUser = noControl('The user')
  .min(1)
  .max(320)
  .regex(/^[^\x00-\x1f\x7f]*$/, { message: 'The user must not contain control characters' })
const BearerToken = Secret('The access token').regex(/^[^\x00-\x20\x7f]*$/, {
  message: 'The access token must not contain spaces or control characters',
})

export const SendAuth = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('xoauth2'),
    user: SaslUser,
    accessToken: BearerToken,
  }),
  z.strictObject({
    type: z.literal('oauthbearer'),
    user: SaslUser,
    accessToken: BearerToken,
  }),
  z.strictObject({
    type: z.literal('plain'),
    user: noControl('The user').min(1).max(320),
    password: Secret('The password'),
  }),
  z.strictObject({
    type: z.literal('login'),
    user: noControl('The user').min(1).max(320),
    password: Secret('The password'),
  }),
  z.strictObject({ type: z.literal('none') }),
])
export type SendAuth = z.infer<typeof SendAuth>

/** RFC 4648 base64, padded; whitespace is not accepted. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export const Attachment = z.strictObject({
  filename: noControl('A file name').min(1).max(255),
  contentType: noControl('A content type')
    .max(255)
    .regex(/^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/, { message: 'Expected a MIME type such as application/pdf' })
    .optional(),
  contentBase64: z.string().regex(BASE64, { message: 'Expected base64 content' }),
})
export type Attachment = z.infer<typeof Attachment>

/** At most this many recipients (to + cc + bcc) per message. */
export const MAX_RECIPIENTS = 100

export const Message = z
  .strictObject({
    from: MailboxText,
    to: z.array(MailboxText).max(MAX_RECIPIENTS),
    cc: z.array(MailboxText).max(MAX_RECIPIENTS).optional(),
    bcc: z.array(MailboxText).max(MAX_RECIPIENTS).optional(),
    subject: noControl('The subject').max(998).optional(),
    text: wellFormed('The text').optional(),
    html: wellFormed('The HTML').optional(),
    attachments: z.array(Attachment).max(20).optional(),
  })
  .refine((m) => m.to.length + (m.cc?.length ?? 0) + (m.bcc?.length ?? 0) >= 1, {
    message: 'At least one recipient is needed',
    path: ['to'],
  })
  .refine((m) => m.to.length + (m.cc?.length ?? 0) + (m.bcc?.length ?? 0) <= MAX_RECIPIENTS, {
    message: `At most ${MAX_RECIPIENTS} recipients`,
    path: ['to'],
  })
export type Message = z.infer<typeof Message>

export const SendRequest = z.strictObject({
  smtp: SmtpTarget,
  auth: SendAuth,
  message: Message,
})
export type SendRequest = z.infer<typeof SendRequest>

export const TranscriptLine = z.object({
  dir: z.enum(['S', 'C', 'I']),
  line: z.string(),
})
export type TranscriptLine = z.infer<typeof TranscriptLine>

export const Timings = z.object({
  connectMs: z.number(),
  tlsMs: z.number(),
  authMs: z.number(),
  totalMs: z.number(),
})
export type Timings = z.infer<typeof Timings>

export const SendSuccess = z.object({
  ok: z.literal(true),
  messageId: z.string(),
  accepted: z.array(z.string()),
  rejected: z.array(z.string()),
  response: z.string(),
  transcript: z.array(TranscriptLine),
  timings: Timings,
})
export type SendSuccess = z.infer<typeof SendSuccess>

export const SmtpReplyInfo = z.object({
  code: z.number(),
  enhanced: z.string().optional(),
  text: z.string(),
})

export const ErrorBody = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    hint: z.string().optional(),
    smtp: SmtpReplyInfo.optional(),
    /** AADSTS code from a token endpoint, e.g. `AADSTS7000222`. */
    aadsts: z.string().optional(),
    /** The path of the first bad field for INVALID_REQUEST, e.g. `message.to.0`. */
    path: z.string().optional(),
    /**
     * For a failure in the SMTP dialogue, where it happened: `connect`, `tls`, `greeting`,
     * `ehlo`, `starttls`, `auth`, `mail`, `rcpt`, `data` or `quit`.
     */
    stage: z.string().optional(),
    /**
     * True when the outcome is unknown and the message may have been delivered: the whole
     * message had been sent when the reply was lost or broken, or the relay was stopped while
     * the send was in flight. The client should check before sending again.
     */
    maybeDelivered: z.literal(true).optional(),
  }),
  transcript: z.array(TranscriptLine).optional(),
})
export type ErrorBody = z.infer<typeof ErrorBody>

export const HttpsUrl = wellFormed('The URL')
  .max(2048)
  .refine((s) => {
    try {
      return new URL(s).protocol === 'https:'
    } catch {
      return false
    }
  }, { message: 'Expected an https URL' })

export const TokenGrant = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('authorization_code'),
    code: Secret('The code'),
    codeVerifier: noControl('The code verifier').min(43).max(128).optional(),
    redirectUri: noControl('The redirect URI').min(1).max(2048),
  }),
  z.strictObject({
    type: z.literal('refresh_token'),
    refreshToken: Secret('The refresh token'),
  }),
])
export type TokenGrant = z.infer<typeof TokenGrant>

export const TokenRequest = z.strictObject({
  tokenEndpoint: HttpsUrl,
  clientId: noControl('The client ID').min(1).max(256),
  clientSecret: noControl('The client secret').max(1024).optional(),
  scope: noControl('The scope').min(1).max(2048),
  grant: TokenGrant,
})
export type TokenRequest = z.infer<typeof TokenRequest>

export const TokenSuccess = z.object({
  ok: z.literal(true),
  accessToken: z.string(),
  expiresIn: z.number(),
  refreshToken: z.string().optional(),
  idToken: z.string().optional(),
  scope: z.string(),
})
export type TokenSuccess = z.infer<typeof TokenSuccess>

export const Health = z.object({
  ok: z.literal(true),
  version: z.string(),
  runtime: z.enum(['node', 'deno']),
})
export type Health = z.infer<typeof Health>

export const SandboxUser = z.object({
  upn: z.string(),
  password: z.string(),
  description: z.string(),
  /** Added by the sandbox: the user's display name (Japanese for some). */
  displayName: z.string().optional(),
  /** Added by the sandbox: `description` in Japanese (the page falls back to `description`). */
  descriptionJa: z.string().optional(),
})

export const SandboxInfo = z.object({
  tenantId: z.string(),
  clientId: z.string(),
  clientSecret: z.string(),
  authorizeEndpoint: z.string(),
  tokenEndpoint: z.string(),
  smtp: z.object({ host: z.string(), port: z.number(), security: Security }),
  users: z.array(SandboxUser),
  /** Added by the sandbox: the single-page app's client ID (token mode `spa-pkce`). */
  spaClientId: z.string().optional(),
  /** The Web app secret's ID: what an admin must NOT paste as the secret (AADSTS7000215). */
  clientSecretId: z.string().optional(),
  /** MSAL authority, `https://localhost:PORT/<tenantId>` (add its host to `knownAuthorities`). */
  authority: z.string().optional(),
  /** `https://localhost:PORT`: the IdP's origin (CSP `connect-src`, the sign-in popup). */
  idpOrigin: z.string().optional(),
  /** Relay path of the sandbox CA certificate (PEM) to trust in a browser. */
  caUrl: z.string().optional(),
  /** Relay path of the sandbox inbox page. */
  inboxUrl: z.string().optional(),
  /** Redirect URI registered for the SPA (the MSAL redirect bridge). */
  spaRedirectUri: z.string().optional(),
  /** The device authorization endpoint, `…/{tenant}/oauth2/v2.0/devicecode` (Web app, device code flow). */
  deviceCodeEndpoint: z.string().optional(),
  /** The sandbox's verification page (Entra's `https://microsoft.com/devicelogin`). */
  deviceLoginUri: z.string().optional(),
  /** What the app-only (client credentials) path of the Web app needs, as set up in the sandbox. */
  appOnly: z
    .object({
      /** The token request's scope: `https://outlook.office365.com/.default`. */
      scope: z.string(),
      /** The application permission the token carries in `roles`: `SMTP.SendAsApp`. */
      role: z.string(),
      /** Enterprise application object ID: `New-ServicePrincipal -ObjectId`, the token's `oid`. */
      servicePrincipalObjectId: z.string(),
      /** App registration object ID: NOT for `New-ServicePrincipal` (the classic mistake). */
      appObjectId: z.string(),
      /** Mailboxes the service principal has FullAccess on (`Add-MailboxPermission`). */
      fullAccessMailboxes: z.array(z.string()),
      /** "Allow public client flows" (device code without the secret). */
      allowPublicClientFlows: z.boolean(),
    })
    .optional(),
})
export type SandboxInfo = z.infer<typeof SandboxInfo>

export const RelayConfig = z.object({
  ok: z.literal(true),
  smtpHosts: z.array(z.string()),
  plaintextHosts: z.array(z.string()),
  tokenHosts: z.array(z.string()),
  limits: z.object({
    maxMessageBytes: z.number(),
    maxRecipients: z.number(),
    rateLimitPerMinute: z.number(),
  }),
  sandbox: SandboxInfo.nullable(),
})
export type RelayConfig = z.infer<typeof RelayConfig>
