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

export interface GatewayDatabase {
  settings: SettingsTable
  admin_sessions: AdminSessionsTable
  login_attempts: LoginAttemptsTable
  mailboxes: MailboxesTable
  alerts: AlertsTable
}
