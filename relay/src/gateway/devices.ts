/**
 * Devices: what may hand mail to a mailbox. Each has its own credential (never a shared
 * password, never "any password works"): an SMTP username with a generated password, an IP/CIDR
 * allow-list for devices that cannot authenticate, and/or an API key for scripts. Passwords and
 * API keys are shown once and stored only as scrypt hashes; the API key carries a public id
 * (`mk_<id>.<secret>`) so one hash is checked per request, not all of them.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import type { Kysely } from 'kysely'
import type { DeviceCreate, DeviceItem, FromPolicy } from '../../../src/lib/contract/gateway.ts'
import { hashPassword, verifyPassword } from './crypto.ts'
import type { DevicesTable, GatewayDatabase } from './schema.ts'

type Db = Kysely<GatewayDatabase>
export type DeviceRow = DevicesTable

export interface DeviceCredentials {
  username?: string
  password?: string
  apiKey?: string
}

/** A device password: 20 characters an MFD panel can take (letters and digits, no look-alikes). */
export function generatePassword(length = 20): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'
  const out: string[] = []
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // 228 = 4 × 57: bytes above it are dropped so every letter is equally likely.
      if (b < 228 && out.length < length) out.push(alphabet[b % alphabet.length]!)
    }
  }
  return out.join('')
}

/** A username from the device's name: ASCII letters and digits, and a random tail. */
export function generateUsername(name: string): string {
  const slug = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 20)
  return `${slug || 'device'}-${randomBytes(3).toString('hex')}`
}

/** `192.0.2.7`, `::ffff:192.0.2.7` → the IPv4 form; IPv6 as given. */
export function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return m ? m[1]! : address
}

/** Whether `address` is inside one of the entries (addresses or CIDR ranges). */
export function ipAllowed(entries: string[], address: string): boolean {
  const ip = plainAddress(address)
  const family = isIP(ip)
  if (family === 0) return false
  const list = new BlockList()
  for (const entry of entries) {
    const [base = '', prefix] = entry.split('/')
    const f = isIP(base)
    if (f === 0) continue
    const type = f === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) list.addAddress(base, type)
    else list.addSubnet(base, Number(prefix), type)
  }
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/** Checks each allow-list entry's syntax and prefix length: the message for the first bad one. */
export function badAllowEntry(entries: string[]): string | undefined {
  for (const entry of entries) {
    const [base = '', prefix, extra] = entry.split('/')
    const f = isIP(base)
    if (f === 0 || extra !== undefined) return `${entry} is not an IP address or CIDR range`
    if (prefix !== undefined) {
      const n = Number(prefix)
      if (!/^\d{1,3}$/.test(prefix) || n > (f === 4 ? 32 : 128)) return `${entry}: the prefix length must be 0–${f === 4 ? 32 : 128}`
    }
  }
  return undefined
}

export function toDeviceItem(r: DeviceRow): DeviceItem {
  return {
    id: r.id,
    name: r.name,
    mailboxId: r.mailbox_id,
    username: r.smtp_username,
    allowIps: r.allow_ips ? (JSON.parse(r.allow_ips) as string[]) : [],
    apiKey: r.api_key_id !== null,
    fromPolicy: r.from_policy as FromPolicy,
    createdAt: new Date(r.created_at).toISOString(),
    lastUsedAt: r.last_seen_at === null ? null : new Date(r.last_seen_at).toISOString(),
  }
}

/** Creates a device and its credentials (returned once, stored as hashes). */
export async function createDevice(
  db: Db,
  now: number,
  input: DeviceCreate,
): Promise<{ row: DeviceRow; credentials: DeviceCredentials }> {
  const credentials: DeviceCredentials = {}
  let passwordHash: string | null = null
  let keyId: string | null = null
  let keyHash: string | null = null
  if (input.smtpAuth) {
    credentials.username = generateUsername(input.name)
    credentials.password = generatePassword()
    passwordHash = await hashPassword(credentials.password, 'generated')
  }
  if (input.apiKey) {
    keyId = randomBytes(9).toString('base64url')
    const secret = randomBytes(24).toString('base64url')
    credentials.apiKey = `mk_${keyId}.${secret}`
    keyHash = await hashPassword(secret, 'generated')
  }
  const row: DeviceRow = {
    id: randomUUID(),
    name: input.name,
    mailbox_id: input.mailboxId,
    smtp_username: credentials.username ?? null,
    smtp_password_hash: passwordHash,
    allow_ips: input.allowIps?.length ? JSON.stringify(input.allowIps) : null,
    api_key_id: keyId,
    api_key_hash: keyHash,
    from_policy: input.fromPolicy,
    created_at: now,
    last_seen_at: null,
  }
  await db.insertInto('devices').values(row).execute()
  return { row, credentials }
}

export async function listDevices(db: Db): Promise<DeviceRow[]> {
  return await db.selectFrom('devices').selectAll().orderBy('created_at').execute()
}

export async function getDevice(db: Db, id: string): Promise<DeviceRow | undefined> {
  return await db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function deleteDevice(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst()
  return Number(r.numDeletedRows) === 1
}

async function seen(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('devices').set({ last_seen_at: now }).where('id', '=', id).execute()
}

/** SMTP AUTH (PLAIN or LOGIN): the device whose username and password these are. */
export async function authenticateSmtp(db: Db, username: string, password: string, now: number): Promise<DeviceRow | null> {
  const row = await db.selectFrom('devices').selectAll().where('smtp_username', '=', username).executeTakeFirst()
  // A missing user costs a hash too: the answer's timing does not say which users exist.
  const ok = await verifyPassword(password, row?.smtp_password_hash ?? (await dummyHash()))
  if (!row || !row.smtp_password_hash || !ok) return null
  await seen(db, row.id, now)
  return row
}

/** A device allowed to send without AUTH from `address` (the first whose allow-list holds it). */
export async function deviceForAddress(db: Db, address: string, now: number): Promise<DeviceRow | null> {
  const rows = await db.selectFrom('devices').selectAll().where('allow_ips', 'is not', null).orderBy('created_at').execute()
  const row = rows.find((r) => ipAllowed(JSON.parse(r.allow_ips!) as string[], address))
  if (!row) return null
  await seen(db, row.id, now)
  return row
}

/** `Authorization: Bearer mk_<id>.<secret>`: the device, or null. */
export async function authenticateApiKey(db: Db, key: string, now: number): Promise<DeviceRow | null> {
  const m = /^mk_([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{32})$/.exec(key)
  if (!m) return null
  const row = await db.selectFrom('devices').selectAll().where('api_key_id', '=', m[1]!).executeTakeFirst()
  const ok = await verifyPassword(m[2]!, row?.api_key_hash ?? (await dummyHash()))
  if (!row || !row.api_key_hash || !ok) return null
  await seen(db, row.id, now)
  return row
}

/** A hash of nothing, made on first use, checked when a user or key does not exist. */
let dummy: Promise<string> | undefined
const dummyHash = () => (dummy ??= hashPassword(randomBytes(16).toString('hex'), 'generated'))
