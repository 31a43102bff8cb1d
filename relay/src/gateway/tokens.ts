/**
 * Token care for the gateway's mailboxes: client credentials (`app`), code redemption, refresh
 * and the device code flow (`delegated`), renewal before expiry, and the diagnosis of failures.
 *
 * Every change of a mailbox's tokens runs under its lease: a compare-and-set on the row
 * (`lease_owner`, `lease_until`) that one instance at a time wins, on SQLite and on PostgreSQL
 * alike. The winner reads the row fresh (the latest refresh token), calls the token endpoint,
 * and writes the answer (a rotated refresh token included) in the same statement that ends
 * the lease, so no instance ever uses a refresh token that another has already replaced.
 *
 * @module
 */
import { explainAadsts } from '../../../src/lib/contract/m365.ts'
import type { MailboxError } from '../../../src/lib/contract/gateway.ts'
import { ApiError, errorBody } from '../http/errors.ts'
import { callTokenEndpoint, type TokenCall } from '../routes/token.ts'
import type { GatewayContext } from './context.ts'
import type { MailboxesTable } from './schema.ts'
import { onReauthNeeded, onReady } from './alerts.ts'

export const APP_SCOPE = 'https://outlook.office365.com/.default'
export const DELEGATED_SCOPE = 'https://outlook.office.com/SMTP.Send offline_access openid profile'
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** Renew this long before expiry (or at half the lifetime of a shorter token). */
export const RENEW_BEFORE_MS = 10 * 60_000
/** How long a lease holds: longer than a token call may take (30 s timeout). */
const LEASE_MS = 60_000
/** Waits after consecutive transient failures: 30 s, 1, 2, 5, 10, then every 30 min. */
const BACKOFF_MS = [30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000]

/** Refresh-token deaths and an expired secret: a person must sign in again or renew the secret. */
export const REAUTH_AADSTS = new Set(['AADSTS70043', 'AADSTS700082', 'AADSTS50173', 'AADSTS700084', 'AADSTS7000222'])

export type MailboxRow = MailboxesTable

const purpose = (id: string, what: string) => `mailbox:${id}:${what}`

export function nextRenewal(now: number, expiresAt: number): number {
  const lifetime = Math.max(0, expiresAt - now)
  return expiresAt - Math.min(RENEW_BEFORE_MS, Math.floor(lifetime / 2))
}

export const backoffMs = (failures: number) => BACKOFF_MS[Math.min(failures, BACKOFF_MS.length) - 1] ?? BACKOFF_MS[0]!

export async function readMailbox(g: GatewayContext, id: string): Promise<MailboxRow | undefined> {
  return await g.store.db.selectFrom('mailboxes').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The stored client secret, decrypted. */
export const clientSecretOf = (g: GatewayContext, row: MailboxRow) => g.box.open(row.client_secret_enc, purpose(row.id, 'secret'))
export const sealFor = (g: GatewayContext, id: string, what: string, value: string) => g.box.seal(value, purpose(id, what))
export const openFor = (g: GatewayContext, id: string, what: string, value: string) => g.box.open(value, purpose(id, what))

/**
 * How long before expiry a token stops being used: `marginMs`, but never more than the renewal
 * lead its planned renewal left (half the life of a token shorter than 20 min, see
 * `nextRenewal`), so that a freshly fetched short-lived token (the sandbox's
 * RELAY_SANDBOX_TOKEN_TTL=40) is usable until its renewal is due instead of never. While
 * renewals fail (backoff moved `next_renewal_at`), the full margin holds.
 */
export function usableMargin(row: Pick<MailboxRow, 'token_expires_at' | 'next_renewal_at' | 'renew_failures'>, marginMs: number): number {
  if (row.token_expires_at === null || row.next_renewal_at === null || row.renew_failures !== 0) return marginMs
  return Math.max(0, Math.min(marginMs, row.token_expires_at - row.next_renewal_at))
}

/** The access token if it is valid for at least `marginMs` more (see `usableMargin`). */
export async function usableAccessToken(g: GatewayContext, row: MailboxRow, marginMs = 60_000): Promise<string | undefined> {
  if (!row.access_token_enc || row.token_expires_at === null) return undefined
  if (row.token_expires_at - usableMargin(row, marginMs) <= g.now()) return undefined
  return await openFor(g, row.id, 'access', row.access_token_enc)
}

type Patch = Partial<Omit<MailboxRow, 'id' | 'lease_owner' | 'lease_until'>>

/**
 * Runs `work` holding the mailbox's lease; undefined when another instance holds it (or the
 * mailbox is gone). `work` gets the row as it is after the lease was won and returns the
 * columns to write; they are written as the lease ends.
 */
export async function withLease<T>(
  g: GatewayContext,
  id: string,
  work: (row: MailboxRow) => Promise<{ patch: Patch; result: T }>,
): Promise<{ result: T } | undefined> {
  const now = g.now()
  const won = await g.store.db.updateTable('mailboxes')
    .set({ lease_owner: g.instanceId, lease_until: now + LEASE_MS })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', g.instanceId)]))
    .executeTakeFirst()
  if (Number(won.numUpdatedRows) !== 1) return undefined
  let outcome: { patch: Patch; result: T } | undefined
  try {
    const row = await readMailbox(g, id)
    if (!row) return undefined
    outcome = await work(row)
    return { result: outcome.result }
  } finally {
    const res = await g.store.db.updateTable('mailboxes')
      .set({ ...(outcome?.patch ?? {}), ...(outcome && { updated_at: g.now() }), lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', g.instanceId)
      .executeTakeFirst()
    if (outcome && Number(res.numUpdatedRows) !== 1) {
      g.log({ level: 'error', event: 'gateway.lease_lost', mailbox: id })
    }
  }
}

/** Tries the lease for up to `waitMs` (an admin action waiting for a renewal in flight). */
export async function withLeaseWaiting<T>(
  g: GatewayContext,
  id: string,
  work: (row: MailboxRow) => Promise<{ patch: Patch; result: T }>,
  waitMs = 10_000,
): Promise<{ result: T } | undefined> {
  const until = Date.now() + waitMs
  for (;;) {
    const done = await withLease(g, id, work)
    if (done || Date.now() >= until) return done
    await new Promise((r) => setTimeout(r, 200))
  }
}

function decodeAccount(idToken: unknown): string | undefined {
  if (typeof idToken !== 'string') return undefined
  try {
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(idToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0)))) as Record<string, unknown>
    const name = payload.preferred_username ?? payload.upn ?? payload.email
    return typeof name === 'string' ? name.slice(0, 320) : undefined
  } catch {
    return undefined
  }
}

export function mailboxError(err: ApiError, at: number): MailboxError {
  return { ...errorBody(err).error, at: new Date(at).toISOString() }
}

/** The columns for a successful token answer (rotated refresh token included). */
async function storedTokens(g: GatewayContext, row: MailboxRow, json: Record<string, unknown>): Promise<Patch> {
  const now = g.now()
  const access = String(json.access_token)
  const expiresIn = Number(json.expires_in) > 0 ? Number(json.expires_in) : 3600
  const expiresAt = now + expiresIn * 1000
  const refresh = typeof json.refresh_token === 'string' && json.refresh_token ? json.refresh_token : undefined
  const account = decodeAccount(json.id_token)
  return {
    access_token_enc: await sealFor(g, row.id, 'access', access),
    token_expires_at: expiresAt,
    next_renewal_at: nextRenewal(now, expiresAt),
    ...(refresh !== undefined && { refresh_token_enc: await sealFor(g, row.id, 'refresh', refresh) }),
    ...(account !== undefined && { account }),
    state: 'ready',
    last_error: null,
    renew_failures: 0,
    device_code_enc: null,
    device_poll_at: null,
  }
}

/** The columns for a failed token call: reauth-needed, a retry with backoff, or an error. */
function failedTokens(g: GatewayContext, row: MailboxRow, call: Exclude<TokenCall, { ok: true }>, kind: GrantKind): Patch {
  const now = g.now()
  const aadsts = call.error.details.aadsts
  const last_error = JSON.stringify(mailboxError(call.error, now))
  // A sign-in that did not work changes nothing but the error shown: the mailbox keeps its
  // state (and a working token keeps working).
  if (kind === 'sign-in') return { last_error }
  // A refresh token the endpoint refuses (invalid_grant, whatever AADSTS code it carries) needs
  // a person, as does an expired client secret.
  if ((aadsts && REAUTH_AADSTS.has(aadsts)) || (kind === 'refresh' && call.oauthError === 'invalid_grant')) {
    return { state: 'reauth-needed', last_error, next_renewal_at: null, renew_failures: 0 }
  }
  const failures = row.renew_failures + 1
  const stillValid = row.token_expires_at !== null && row.token_expires_at > now && row.state === 'ready'
  return {
    state: call.transient && stillValid ? 'ready' : 'error',
    last_error,
    renew_failures: failures,
    next_renewal_at: now + backoffMs(failures),
  }
}

export interface TokenOutcome {
  ok: boolean
  error?: ApiError
}

type GrantKind = 'app' | 'refresh' | 'sign-in'

/** Runs one grant for a mailbox under its lease and stores the answer. */
async function grant(
  g: GatewayContext,
  id: string,
  kind: GrantKind,
  form: (row: MailboxRow, secret: string) => Promise<{ form: URLSearchParams; secrets: string[] }>,
  wait: boolean,
): Promise<TokenOutcome | undefined> {
  const run = wait ? withLeaseWaiting : withLease
  const done = await run<TokenOutcome>(g, id, async (row) => {
    const secret = await clientSecretOf(g, row)
    const built = await form(row, secret)
    const call = await callTokenEndpoint(g.relay, row.token_endpoint, built.form, [secret, ...built.secrets])
    if (call.ok) return { patch: await storedTokens(g, row, call.json), result: { ok: true } }
    return { patch: failedTokens(g, row, call, kind), result: { ok: false, error: call.error } }
  })
  if (!done) return undefined
  await afterChange(g, id)
  return done.result
}

/** Raises or resolves alerts after a token change. */
async function afterChange(g: GatewayContext, id: string): Promise<void> {
  const row = await readMailbox(g, id)
  if (!row) return
  if (row.state === 'reauth-needed') await onReauthNeeded(g, row)
  else if (row.state === 'ready') await onReady(g, row)
  if (row.state !== 'ready' && row.last_error) {
    const e = JSON.parse(row.last_error) as MailboxError
    g.log({ level: 'warn', event: 'gateway.token_failed', mailbox: id, state: row.state, code: e.code, ...(e.aadsts && { aadsts: e.aadsts }) })
  } else if (row.state === 'ready') {
    g.log({ level: 'info', event: 'gateway.token_renewed', mailbox: id, expiresAt: new Date(row.token_expires_at ?? 0).toISOString() })
  }
}

/** Client credentials (`app`): `scope=https://outlook.office365.com/.default`. */
export function fetchAppToken(g: GatewayContext, id: string, wait = true) {
  return grant(g, id, 'app', async (row, secret) => ({
    form: new URLSearchParams({ grant_type: 'client_credentials', client_id: row.client_id, client_secret: secret, scope: APP_SCOPE }),
    secrets: [],
  }), wait)
}

/** Redeems the hybrid popup's code with the stored secret (`delegated`). */
export function redeemCode(g: GatewayContext, id: string, code: { code: string; codeVerifier?: string; redirectUri: string }) {
  return grant(g, id, 'sign-in', async (row, secret) => {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: row.client_id,
      client_secret: secret,
      scope: DELEGATED_SCOPE,
      code: code.code,
      redirect_uri: code.redirectUri,
    })
    if (code.codeVerifier) form.set('code_verifier', code.codeVerifier)
    return { form, secrets: [code.code, code.codeVerifier ?? ''] }
  }, true)
}

/** Refreshes a `delegated` mailbox (scope always sent: Entra answers AADSTS900144 without). */
export function refreshDelegated(g: GatewayContext, id: string, wait = false) {
  return grant(g, id, 'refresh', async (row, secret) => {
    if (!row.refresh_token_enc) throw new ApiError('CONFLICT', 'This mailbox has no refresh token: sign in first.')
    const refresh = await openFor(g, row.id, 'refresh', row.refresh_token_enc)
    return {
      form: new URLSearchParams({ grant_type: 'refresh_token', client_id: row.client_id, client_secret: secret, scope: DELEGATED_SCOPE, refresh_token: refresh }),
      secrets: [refresh],
    }
  }, wait)
}

/** Renews whatever the mailbox's source needs. */
export function renew(g: GatewayContext, row: Pick<MailboxRow, 'id' | 'token_source'>, wait = false) {
  return row.token_source === 'app' ? fetchAppToken(g, row.id, wait) : refreshDelegated(g, row.id, wait)
}

// ---------------------------------------------------------------- device code flow

interface PendingCode {
  deviceCode: string
  userCode: string
  verificationUri: string
  expiresAt: number
  intervalMs: number
}

/** Entra's device code endpoint beside the token endpoint (`…/oauth2/v2.0/devicecode`). */
export const deviceCodeEndpoint = (tokenEndpoint: string) => tokenEndpoint.replace(/\/token(\?.*)?$/, '/devicecode$1')

export type DeviceCodeStart =
  | { ok: true; pending: PendingCode; message: string | undefined }
  | { ok: false; error: ApiError }

export async function startDeviceCode(g: GatewayContext, id: string): Promise<DeviceCodeStart | undefined> {
  const done = await withLeaseWaiting<DeviceCodeStart>(g, id, async (row) => {
    const secret = await clientSecretOf(g, row)
    const form = new URLSearchParams({ client_id: row.client_id, scope: DELEGATED_SCOPE })
    const call = await callTokenEndpoint(g.relay, row.token_endpoint, form, [secret], (j) => typeof j.device_code === 'string', new URL(deviceCodeEndpoint(row.token_endpoint)).pathname)
    if (!call.ok) return { patch: {}, result: { ok: false, error: call.error } }
    const j = call.json
    const pending: PendingCode = {
      deviceCode: String(j.device_code),
      userCode: String(j.user_code),
      verificationUri: String(j.verification_uri ?? j.verification_url ?? ''),
      expiresAt: g.now() + (Number(j.expires_in) || 900) * 1000,
      intervalMs: Math.max(1, Number(j.interval) || 5) * 1000,
    }
    return {
      patch: { device_code_enc: await sealFor(g, id, 'device', JSON.stringify(pending)), device_poll_at: g.now() + pending.intervalMs },
      result: { ok: true as const, pending, message: typeof j.message === 'string' ? j.message : undefined },
    }
  })
  return done?.result
}

/** Polls a pending device code once; stores the tokens when the user has signed in. */
export async function pollDeviceCode(g: GatewayContext, id: string): Promise<void> {
  const done = await withLease(g, id, async (row) => {
    if (!row.device_code_enc) return { patch: { device_poll_at: null }, result: 'none' }
    const pending = JSON.parse(await openFor(g, id, 'device', row.device_code_enc)) as PendingCode
    if (pending.expiresAt <= g.now()) {
      const err = new ApiError('TOKEN_ENDPOINT_ERROR', 'The device code expired before the sign-in was completed.', {
        hint: 'Start the device code sign-in again and enter the code within its time.',
      })
      return { patch: { device_code_enc: null, device_poll_at: null, last_error: JSON.stringify(mailboxError(err, g.now())) }, result: 'expired' }
    }
    const secret = await clientSecretOf(g, row)
    const form = new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, client_id: row.client_id, client_secret: secret, device_code: pending.deviceCode })
    const call = await callTokenEndpoint(g.relay, row.token_endpoint, form, [secret, pending.deviceCode])
    if (call.ok) return { patch: await storedTokens(g, row, call.json), result: 'done' }
    if (call.oauthError === 'authorization_pending' || call.transient) {
      return { patch: { device_poll_at: g.now() + pending.intervalMs }, result: 'pending' }
    }
    if (call.oauthError === 'slow_down') {
      pending.intervalMs += 5000
      return { patch: { device_code_enc: await sealFor(g, id, 'device', JSON.stringify(pending)), device_poll_at: g.now() + pending.intervalMs }, result: 'pending' }
    }
    return { patch: { device_code_enc: null, device_poll_at: null, last_error: JSON.stringify(mailboxError(call.error, g.now())) }, result: 'failed' }
  })
  if (done?.result === 'done') await afterChange(g, id)
}

/** The pending device code as the list shows it (no device_code). */
export async function pendingDeviceCode(g: GatewayContext, row: MailboxRow) {
  if (!row.device_code_enc) return undefined
  try {
    const p = JSON.parse(await openFor(g, row.id, 'device', row.device_code_enc)) as PendingCode
    if (p.expiresAt <= g.now()) return undefined
    return { userCode: p.userCode, verificationUri: p.verificationUri, expiresAt: new Date(p.expiresAt).toISOString() }
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------- the renewal loop

/** One pass: renew what is due, poll device codes that are due. Errors are logged, never thrown. */
export async function renewDue(g: GatewayContext): Promise<void> {
  const now = g.now()
  const due = await g.store.db.selectFrom('mailboxes').select(['id', 'token_source'])
    .where('next_renewal_at', '<=', now)
    .where('state', 'in', ['ready', 'error'])
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .execute()
  for (const row of due) {
    try {
      await renew(g, row)
    } catch (err) {
      g.log({ level: 'error', event: 'gateway.renew_crashed', mailbox: row.id, error: err instanceof Error ? err.name : 'error' })
    }
  }
  const polls = await g.store.db.selectFrom('mailboxes').select('id').where('device_poll_at', '<=', now).execute()
  for (const row of polls) {
    try {
      await pollDeviceCode(g, row.id)
    } catch (err) {
      g.log({ level: 'error', event: 'gateway.devicecode_crashed', mailbox: row.id, error: err instanceof Error ? err.name : 'error' })
    }
  }
}
