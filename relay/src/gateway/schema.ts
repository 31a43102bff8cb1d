/**
 * The gateway's tables as Kysely sees them. One schema for SQLite and PostgreSQL: text, integer
 * and bigint columns only (times are milliseconds since the epoch, flags are 0/1), so both
 * backends store and return the same values. Secrets are AES-GCM envelopes (`crypto.ts`), never
 * plain text.
 *
 * @module
 */
export interface SettingsTable {
  key: string
  value: string
}

export interface AdminSessionsTable {
  /** SHA-256 (hex) of the cookie's value: a stolen database holds no usable session. */
  id_hash: string
  created_at: number
  last_seen_at: number
  address: string
}

export interface LoginAttemptsTable {
  address: string
  failures: number
  /** No login from this address before this time (the growing delay). */
  next_allowed_at: number
  updated_at: number
}

export interface MailboxesTable {
  id: string
  name: string
  address: string
  smtp_host: string
  smtp_port: number
  smtp_security: string
  token_source: string
  tenant_id: string
  client_id: string
  token_endpoint: string
  authorize_endpoint: string | null
  secret_expires: string | null
  client_secret_enc: string
  refresh_token_enc: string | null
  access_token_enc: string | null
  token_expires_at: number | null
  next_renewal_at: number | null
  state: string
  /** JSON of the contract's error object, without secrets. */
  last_error: string | null
  account: string | null
  /** Consecutive transient renewal failures (the backoff step). */
  renew_failures: number
  /** Encrypted JSON `{deviceCode, userCode, verificationUri, expiresAt, interval}` while pending. */
  device_code_enc: string | null
  device_poll_at: number | null
  /** The renewal lease: one instance at a time works on a mailbox's tokens. */
  lease_owner: string | null
  lease_until: number | null
  created_at: number
  updated_at: number
}

export interface AlertsTable {
  id: string
  mailbox_id: string
  kind: string
  /** 30, 7, 1 for `secret-expires`; 0 for `reauth-needed`. */
  threshold_days: number
  /** Unique: what makes an alert "the same" (mailbox, kind, threshold, episode). */
  dedupe_key: string
  message_ja: string
  message_en: string
  created_at: number
  mailed_at: number | null
  resolved_at: number | null
}

export interface DevicesTable {
  id: string
  name: string
  mailbox_id: string
  /** Unique where set: the SMTP AUTH user name the device types in. */
  smtp_username: string | null
  /** scrypt of the generated password (crypto.ts `hashPassword`). */
  smtp_password_hash: string | null
  /** JSON array of IP addresses / CIDR ranges allowed without AUTH, or null. */
  allow_ips: string | null
  /** The public half of the API key (`mk_<key id>.<secret>`), unique where set. */
  api_key_id: string | null
  /** scrypt of the API key's secret half. */
  api_key_hash: string | null
  from_policy: string
  created_at: number
  last_seen_at: number | null
}

export interface MessagesTable {
  id: string
  /** Null for the relay's own messages (failure notices). */
  device_id: string | null
  mailbox_id: string
  /** `device`, or `dsn` for a failure notice (never answered with another notice). */
  origin: string
  mail_from: string
  /** JSON array of addr-specs. */
  rcpt_to: string
  header_from: string
  subject: string
  size: number
  state: string
  attempts: number
  next_attempt_at: number
  lease_owner: string | null
  lease_until: number | null
  last_reply: string | null
  /** JSON of the contract's error object for the last failure, without secrets. */
  last_error: string | null
  /** 1 once an attempt lost the reply after the final dot (RFC 5321 §6.1). */
  possible_duplicate: number
  eight_bit: number
  created_at: number
  updated_at: number
  sent_at: number | null
}

/** The message's bytes apart from its row, so listing the queue never reads them. */
export interface MessageBodiesTable {
  message_id: string
  raw: Uint8Array
}

export interface AttemptsTable {
  id: string
  message_id: string
  n: number
  at: number
  /** `sent`, `retry`, `failed`, `held`. */
  outcome: string
  reply: string | null
  /** JSON of the redacted transcript. */
  transcript: string | null
}

/** At most three connections per mailbox across every instance: a lease per slot. */
export interface MailboxSlotsTable {
  mailbox_id: string
  slot: number
  owner: string | null
  until: number | null
}

/** Messages per minute per mailbox across every instance: a fixed window. */
export interface MailboxRateTable {
  mailbox_id: string
  window_start: number
  count: number
}

export interface GatewayDatabase {
  devices: DevicesTable
  messages: MessagesTable
  message_bodies: MessageBodiesTable
  attempts: AttemptsTable
  mailbox_slots: MailboxSlotsTable
  mailbox_rate: MailboxRateTable
  settings: SettingsTable
  admin_sessions: AdminSessionsTable
  login_attempts: LoginAttemptsTable
  mailboxes: MailboxesTable
  alerts: AlertsTable
}
