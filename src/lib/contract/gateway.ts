/**
 * The gateway's HTTP contract (shared/GATEWAY.md) as zod schemas, shared by the gateway page
 * (`src/routes/gateway/`) and the relay (`relay/src/gateway/`), like `api.ts` for the test relay.
 * Error answers keep API.md's shape (`ErrorBody`) with the gateway's codes `UNAUTHORIZED` (401),
 * `FORBIDDEN` (403), `NOT_FOUND` (404) and `CONFLICT` (409).
 *
 * Routes (everything under `/api/admin/` needs the admin session cookie, except `setup` and
 * `login`):
 *
 * | route | request | answer |
 * |---|---|---|
 * | `GET /api/admin/setup` | | `SetupStatus` (public: is a first password still to be chosen?) |
 * | `POST /api/admin/setup` | `SetupRequest` | `AdminSession` + cookie; `FORBIDDEN` bad/used code, `CONFLICT` already set up |
 * | `POST /api/admin/login` | `LoginRequest` | `AdminSession` + cookie; `UNAUTHORIZED`, `RATE_LIMITED` |
 * | `POST /api/admin/logout` | | `{ok: true}` |
 * | `GET /api/admin/session` | | `AdminSession`; `UNAUTHORIZED` |
 * | `GET /api/admin/mailboxes` | | `MailboxList` |
 * | `POST /api/admin/mailboxes` | `MailboxCreate` | 201 `MailboxAnswer` |
 * | `GET /api/admin/mailboxes/{id}` | | `MailboxAnswer`; `NOT_FOUND` |
 * | `PATCH /api/admin/mailboxes/{id}` | `MailboxPatch` | `MailboxAnswer` |
 * | `DELETE /api/admin/mailboxes/{id}` | | `{ok: true}` |
 * | `POST /api/admin/mailboxes/{id}/authorize` | `AuthorizeRequest` | `MailboxAnswer`; `CONFLICT` for an `app` mailbox |
 * | `POST /api/admin/mailboxes/{id}/devicecode` | | `DeviceCodeAnswer`; `CONFLICT` for an `app` mailbox |
 * | `POST /api/admin/mailboxes/{id}/test` | `MailboxTestRequest` | `SendSuccess` or `ErrorBody` exactly as `/api/send` |
 * | `GET /api/admin/alerts` | | `AlertList` |
 * | `POST /api/admin/devices` | `DeviceCreate` | 201 `DeviceCreated` (credentials shown once) |
 * | `GET /api/admin/devices`, `GET`/`DELETE /api/admin/devices/{id}` | | `DeviceList`, `DeviceAnswer`, `{ok: true}` |
 * | `GET /api/admin/queue?state=…&since=…` | `QueueQuery` | `QueueList` (with each mailbox's counters) |
 * | `POST /api/admin/queue/{id}/retry`, `DELETE /api/admin/queue/{id}` | | `QueueAnswer`, `{ok: true}` |
 * | `GET /api/admin/ingress` | | `IngressInfo` |
 * | `POST /api/v1/messages` (Bearer device API key) | `V1MessageRequest` | 202 `V1MessageAnswer` |
 * | `GET /api/v1/messages/{id}` (Bearer device API key) | | `V1MessageAnswer` |
 *
 * When the gateway is off, every route above answers `NOT_FOUND` with a hint naming how to turn
 * it on. Request objects ignore unknown fields; answers may grow fields. No answer ever holds a
 * client secret, refresh or access token, password hash or API key (except the one-time
 * `DeviceCreated.credentials`).
 *
 * Runtime-neutral: imported by Node, Deno and the browser.
 *
 * @module
 */
import { z } from 'zod'
import { ADDR_SPEC, ErrorBody, HttpsUrl, MailboxText, Message, SmtpTarget } from './api.ts'

/** The gateway's error codes with their HTTP status (also in `api.ts`'s `ERROR_STATUS`). */
export const GATEWAY_ERROR_STATUS = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
} as const
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_STATUS

/** The admin session cookie's name (`HttpOnly`, `SameSite=Strict`, `Secure` behind https). */
export const ADMIN_COOKIE = 'mailkey_admin'
/** A session ends after this long without a request. */
export const ADMIN_SESSION_IDLE_MS = 12 * 60 * 60 * 1000
/** The shortest admin password accepted. */
export const ADMIN_PASSWORD_MIN = 12
/** The page path of the one-time setup link; the code travels in the fragment: `#code=…`. */
export const SETUP_PAGE_PATH = '/gateway/setup'

const NO_CONTROL = /^[^\r\n\0]*$/
const text = (what: string, max: number) =>
  z
    .string()
    .regex(NO_CONTROL, { message: `${what} must not contain CR, LF or NUL` })
    .max(max)

/** ISO 8601 date-time with `Z` or an offset, as the relay writes them (`Date#toISOString`). */
export const IsoDateTime = z.iso.datetime({ offset: true })
/** A calendar date `YYYY-MM-DD` (a client secret's expiry as Entra shows it). */
export const IsoDate = z.iso.date()

export const AdminPassword = text('The password', 1024).min(ADMIN_PASSWORD_MIN, {
  message: `The password needs at least ${ADMIN_PASSWORD_MIN} characters`,
})

// ---------------------------------------------------------------- admin access

export const SetupStatus = z.object({
  ok: z.literal(true),
  /** True until a first admin password is chosen through the setup link. */
  needed: z.boolean(),
  /** True when `RELAY_ADMIN_PASSWORD` sets the password (no setup link then). */
  passwordFromEnvironment: z.boolean(),
})
export type SetupStatus = z.infer<typeof SetupStatus>

export const SetupRequest = z.object({
  /** The code from the setup link's fragment (`…/gateway/setup#code=…`). */
  code: text('The setup code', 256).min(1),
  password: AdminPassword,
})
export type SetupRequest = z.infer<typeof SetupRequest>

export const LoginRequest = z.object({
  /** Not checked for length here: a wrong password is `UNAUTHORIZED`, not `INVALID_REQUEST`. */
  password: text('The password', 1024).min(1),
})
export type LoginRequest = z.infer<typeof LoginRequest>

export const AdminSession = z.object({
  ok: z.literal(true),
  admin: z.literal(true),
  /** When the session ends unless used before (sliding, 12 h idle). */
  expiresAt: IsoDateTime.optional(),
})
export type AdminSession = z.infer<typeof AdminSession>

export const OkAnswer = z.object({ ok: z.literal(true) })
export type OkAnswer = z.infer<typeof OkAnswer>

// ---------------------------------------------------------------- mailboxes

export const TokenSource = z.enum(['app', 'delegated'])
export type TokenSource = z.infer<typeof TokenSource>

export const MailboxState = z.enum(['needs-sign-in', 'ready', 'reauth-needed', 'error'])
export type MailboxState = z.infer<typeof MailboxState>


/** A mailbox's own address (no display name). */
export const MailboxAddress = text('The address', 320).regex(ADDR_SPEC, {
  message: 'Expected an e-mail address such as scanner@contoso.com',
})

/** Directory (tenant) ID: a GUID or a verified domain such as contoso.onmicrosoft.com. */
export const TenantId = text('The tenant ID', 256)
  .min(1)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, { message: 'Expected a directory (tenant) ID' })

const MailboxFields = {
  name: text('The name', 100).min(1),
  address: MailboxAddress,
  smtp: SmtpTarget,
  tokenSource: TokenSource,
  tenantId: TenantId,
  clientId: text('The client ID', 256).min(1),
  /** The secret's *Value* (not its Secret ID). Stored encrypted, never returned. */
  clientSecret: text('The client secret', 1024).min(1),
  tokenEndpoint: HttpsUrl,
  /** Needed for `delegated` sign-in through the popup. */
  authorizeEndpoint: HttpsUrl.optional(),
  /** The client secret's expiry (`YYYY-MM-DD`): alerts 30, 7 and 1 days before. */
  secretExpires: IsoDate.optional(),
}

export const MailboxCreate = z.object(MailboxFields)
export type MailboxCreate = z.infer<typeof MailboxCreate>

/**
 * Any subset of the create fields; `null` clears `authorizeEndpoint` or `secretExpires`.
 * Changing `tokenSource`, `tenantId`, `clientId`, `tokenEndpoint` or `address` drops the
 * stored tokens (an `app` mailbox fetches a new one at once; a `delegated` one needs sign-in).
 */
export const MailboxPatch = z
  .object({
    ...MailboxFields,
    authorizeEndpoint: HttpsUrl.nullable(),
    secretExpires: IsoDate.nullable(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'Nothing to change' })
export type MailboxPatch = z.infer<typeof MailboxPatch>

/** A failure kept on a mailbox: the contract's error object (code, message, hint, aadsts, smtp). */
export const MailboxError = ErrorBody.shape.error.extend({
  /** When it happened. */
  at: IsoDateTime,
})
export type MailboxError = z.infer<typeof MailboxError>

/** A device code sign-in the relay is polling for (shown on the page until done). */
export const PendingDeviceCode = z.object({
  userCode: z.string(),
  verificationUri: z.string(),
  expiresAt: IsoDateTime,
})

export const MailboxItem = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  smtp: SmtpTarget,
  tokenSource: TokenSource,
  tenantId: z.string(),
  clientId: z.string(),
  tokenEndpoint: z.string(),
  authorizeEndpoint: z.string().nullable(),
  state: MailboxState,
  /** When the stored access token expires; null without one. */
  tokenExpiresAt: IsoDateTime.nullable(),
  /** When the relay renews it (10 min before expiry, or the next retry after a failure). */
  nextRenewalAt: IsoDateTime.nullable(),
  secretExpires: IsoDate.nullable(),
  /** The signed-in account of a `delegated` mailbox (from the ID token), when known. */
  account: z.string().nullable().optional(),
  lastError: MailboxError.optional(),
  deviceCode: PendingDeviceCode.optional(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
})
export type MailboxItem = z.infer<typeof MailboxItem>

export const MailboxList = z.object({ ok: z.literal(true), mailboxes: z.array(MailboxItem) })
export type MailboxList = z.infer<typeof MailboxList>

export const MailboxAnswer = z.object({ ok: z.literal(true), mailbox: MailboxItem })
export type MailboxAnswer = z.infer<typeof MailboxAnswer>

/** The code from the hybrid popup (as `/api/token`'s `authorization_code` grant). */
export const AuthorizeRequest = z.object({
  code: text('The code', 16_384).min(1),
  codeVerifier: text('The code verifier', 128).min(43).optional(),
  redirectUri: text('The redirect URI', 2048).min(1),
})
export type AuthorizeRequest = z.infer<typeof AuthorizeRequest>

export const DeviceCodeAnswer = z.object({
  ok: z.literal(true),
  userCode: z.string(),
  /** Where the user types the code (`https://microsoft.com/devicelogin` on Entra). */
  verificationUri: z.string(),
  /** Seconds until the code expires. */
  expiresIn: z.number(),
  /** The endpoint's own instructions, when it sent them. */
  message: z.string().optional(),
})
export type DeviceCodeAnswer = z.infer<typeof DeviceCodeAnswer>

export const MailboxTestRequest = z.object({
  to: MailboxText,
})
export type MailboxTestRequest = z.infer<typeof MailboxTestRequest>

// ---------------------------------------------------------------- alerts

export const AlertKind = z.enum(['secret-expires', 'reauth-needed'])
export type AlertKind = z.infer<typeof AlertKind>

export const Alert = z.object({
  id: z.string(),
  mailboxId: z.string(),
  kind: AlertKind,
  /** `secret-expires`: 30, 7 or 1 (days before `secretExpires`); `reauth-needed`: absent. */
  thresholdDays: z.number().optional(),
  /** The alert in both languages (the page shows its own translation keyed by `kind`). */
  message: z.object({ ja: z.string(), en: z.string() }),
  createdAt: IsoDateTime,
  /** When it was mailed to the mailbox's address through the mailbox itself, if it was. */
  mailedAt: IsoDateTime.nullable(),
})
export type Alert = z.infer<typeof Alert>

export const AlertList = z.object({ ok: z.literal(true), alerts: z.array(Alert) })
export type AlertList = z.infer<typeof AlertList>

// ---------------------------------------------------------------- devices (Gateway II)

export const FromPolicy = z.enum(['mailbox', 'keep'])
export type FromPolicy = z.infer<typeof FromPolicy>

/** An IPv4 or IPv6 address, optionally with a prefix length (`192.0.2.0/24`, `2001:db8::/32`). */
export const IpOrCidr = text('The address', 64).regex(/^(?:[0-9.]+|[0-9A-Fa-f:.]+)(?:\/\d{1,3})?$/, {
  message: 'Expected an IP address or CIDR such as 192.0.2.0/24',
})

export const DeviceCreate = z
  .object({
    name: text('The name', 100).min(1),
    mailboxId: z.string().min(1).max(64),
    smtpAuth: z.literal(true).optional(),
    allowIps: z.array(IpOrCidr).min(1).max(100).optional(),
    apiKey: z.literal(true).optional(),
    fromPolicy: FromPolicy,
  })
  .refine((d) => d.smtpAuth === true || d.apiKey === true || (d.allowIps?.length ?? 0) > 0, {
    message: 'Choose at least one of SMTP username and password, an IP allow-list or an API key',
    path: ['smtpAuth'],
  })
export type DeviceCreate = z.infer<typeof DeviceCreate>

export const DeviceItem = z.object({
  id: z.string(),
  name: z.string(),
  mailboxId: z.string(),
  /** The SMTP username when `smtpAuth` was asked for (the password is never shown again). */
  username: z.string().nullable(),
  allowIps: z.array(z.string()),
  /** Whether an API key exists (the key itself is never shown again). */
  apiKey: z.boolean(),
  fromPolicy: FromPolicy,
  createdAt: IsoDateTime,
  lastUsedAt: IsoDateTime.nullable(),
})
export type DeviceItem = z.infer<typeof DeviceItem>

export const DeviceCredentials = z.object({
  username: z.string().optional(),
  password: z.string().optional(),
  apiKey: z.string().optional(),
})

export const DeviceCreated = z.object({
  ok: z.literal(true),
  device: DeviceItem,
  /** Shown once: stored only as scrypt hashes. */
  credentials: DeviceCredentials,
})
export type DeviceCreated = z.infer<typeof DeviceCreated>

export const DeviceList = z.object({ ok: z.literal(true), devices: z.array(DeviceItem) })
export type DeviceList = z.infer<typeof DeviceList>
export const DeviceAnswer = z.object({ ok: z.literal(true), device: DeviceItem })
export type DeviceAnswer = z.infer<typeof DeviceAnswer>

// ---------------------------------------------------------------- queue (Gateway II)

export const QueueState = z.enum(['queued', 'sending', 'sent', 'retrying', 'failed'])
export type QueueState = z.infer<typeof QueueState>

export const QueueQuery = z.object({
  state: QueueState.optional(),
  /** Where "today" starts for the counters (the admin's midnight); the last 24 h without it. */
  since: IsoDateTime.optional(),
})
export type QueueQuery = z.infer<typeof QueueQuery>

export const QueueItem = z.object({
  id: z.string(),
  deviceId: z.string().nullable(),
  mailboxId: z.string(),
  from: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  /** The message's size in bytes. */
  size: z.number(),
  state: QueueState,
  /** How many delivery attempts were made. */
  attempts: z.number(),
  createdAt: IsoDateTime,
  sentAt: IsoDateTime.optional(),
  /** The last server reply line, e.g. `451 4.7.500 Server busy`. */
  lastReply: z.string().optional(),
  /** The last failure in the contract's error shape, for the page's diagnosis. */
  lastError: ErrorBody.shape.error.optional(),
  /** When the next attempt is due (queued and retrying messages). */
  nextAttemptAt: IsoDateTime.optional(),
  /** An attempt lost the server's reply after the final dot: it may have arrived twice. */
  possibleDuplicate: z.boolean().optional(),
})
export type QueueItem = z.infer<typeof QueueItem>

/** One mailbox's counters on the gateway page, against Microsoft's limits (`QueueLimits`). */
export const QueueCounts = z.object({
  /** Messages sent since `since` (today). */
  sentToday: z.number(),
  /** Queued, being sent or waiting to be retried. */
  waiting: z.number(),
  failed: z.number(),
  /** Recipients of the messages sent in the last 24 h (Microsoft: 10,000 a day, rolling). */
  recipients24h: z.number(),
  /** Messages sent in the last minute (Microsoft: 30 a minute; the relay's RELAY_MAILBOX_RATE). */
  lastMinute: z.number(),
})
export type QueueCounts = z.infer<typeof QueueCounts>

export const QueueLimits = z.object({
  /** Exchange Online's recipient rate limit (M365-FACTS.md §4.3). */
  recipientsPerDay: z.number(),
  /** The per-mailbox rate the relay keeps to (`RELAY_MAILBOX_RATE`, Microsoft's 30 by default). */
  messagesPerMinute: z.number(),
})
export type QueueLimits = z.infer<typeof QueueLimits>

export const QueueList = z.object({
  ok: z.literal(true),
  /** The newest messages first (at most 500), every state: the queue and the delivery log. */
  messages: z.array(QueueItem),
  /** Per mailbox id; a mailbox without messages has none. */
  counts: z.record(z.string(), QueueCounts).optional(),
  limits: QueueLimits.optional(),
})
export type QueueList = z.infer<typeof QueueList>
export const QueueAnswer = z.object({ ok: z.literal(true), message: QueueItem })
export type QueueAnswer = z.infer<typeof QueueAnswer>

// ---------------------------------------------------------------- ingress (Gateway II)

export const IngressListener = z.object({
  host: z.string(),
  port: z.number(),
  security: z.enum(['starttls', 'tls', 'none']),
})
export type IngressListener = z.infer<typeof IngressListener>

export const IngressInfo = z.object({
  ok: z.literal(true),
  listeners: z.array(IngressListener),
  /** SHA-256 fingerprint of the ingress certificate (hex, colon-separated); null without TLS. */
  certificateSha256: z.string().nullable(),
})
export type IngressInfo = z.infer<typeof IngressInfo>

// ---------------------------------------------------------------- send API for scripts (Gateway II)

/** `POST /api/v1/messages` with `Authorization: Bearer <device API key>`. */
export const V1MessageRequest = z.object({ message: Message })
export type V1MessageRequest = z.infer<typeof V1MessageRequest>

export const V1MessageAnswer = z.object({
  ok: z.literal(true),
  id: z.string(),
  state: QueueState,
})
export type V1MessageAnswer = z.infer<typeof V1MessageAnswer>
