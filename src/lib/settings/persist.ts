/**
 * Saved and exported forms of the settings: a versioned envelope, checked with zod when read.
 * Secrets (client secret, SMTP password) are written only when asked: to storage when the user
 * ticked "remember on this device", to an export when the user ticked the export option.
 * Tokens are never part of the settings, so they can never be saved or exported.
 *
 * @module
 */
import '../zod-csp.ts'
import { z } from 'zod'
import { Security } from '../contract/api.ts'
import { AUTH_TYPES, defaultSettings, PRESETS, TOKEN_MODES, type Settings } from './model.ts'

/** Version of the saved/exported shape. Version 1 had no token mode (it was always spa-pkce). */
export const SETTINGS_VERSION = 2
export const STORAGE_KEY = 'mailkey.settings'
export const FILE_KIND = 'mailkey-settings'

const str = z.string().max(4096)
/** Every field optional: a file from an older version, or edited by hand, is merged over defaults. */
const Fields = z.object({
  preset: z.enum(PRESETS),
  host: str,
  port: z.union([str, z.number().int()]).transform(String),
  authType: z.enum(AUTH_TYPES),
  user: str,
  password: str,
  tenantId: str,
  clientId: str,
  clientSecret: str,
  rememberSecret: z.boolean(),
  secretExpires: str,
  authorizeEndpoint: str,
  tokenEndpoint: str,
  tokenMode: z.enum(TOKEN_MODES),
  security: Security,
  to: str,
  from: str,
}).partial()

const Envelope = z.object({
  kind: z.literal(FILE_KIND).optional(),
  v: z.number().int().min(1),
  settings: z.record(z.string(), z.unknown()),
})

export type ReadResult =
  | { ok: true; settings: Settings; migrated: boolean }
  | { ok: false; reason: 'json' | 'notSettings' | 'newerVersion' }

/** Upgrades an older version's fields in place, one version at a time. */
function migrate(v: number, fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields
  if (v < 2) out = { tokenMode: 'spa-pkce', ...out }
  return out
}

/** Strips the secrets unless `withSecrets`. */
function fieldsOf(s: Settings, withSecrets: boolean): Partial<Settings> {
  const { clientSecret, password, ...rest } = s
  return withSecrets ? { ...rest, clientSecret, password } : rest
}

/** The JSON kept in localStorage: secrets only when the user ticked "remember". */
export function toStorage(s: Settings): string {
  return JSON.stringify({ v: SETTINGS_VERSION, settings: fieldsOf(s, s.rememberSecret) })
}

/** An export file: secrets only when asked. */
export function toExport(s: Settings, withSecrets: boolean, now = new Date()): string {
  const settings = fieldsOf(s, withSecrets)
  if (!withSecrets) settings.rememberSecret = false
  return JSON.stringify(
    { kind: FILE_KIND, v: SETTINGS_VERSION, exportedAt: now.toISOString(), settings },
    null,
    2,
  )
}

/** Reads a stored or exported JSON text; unknown fields are dropped, missing ones take defaults. */
export function readSettings(text: string): ReadResult {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'json' }
  }
  const env = Envelope.safeParse(json)
  if (!env.success) return { ok: false, reason: 'notSettings' }
  if (env.data.v > SETTINGS_VERSION) return { ok: false, reason: 'newerVersion' }
  const fields = Fields.safeParse(migrate(env.data.v, env.data.settings))
  if (!fields.success) return { ok: false, reason: 'notSettings' }
  const clean = Object.fromEntries(
    Object.entries(fields.data).filter(([, value]) => value !== undefined),
  ) as Partial<Settings>
  return {
    ok: true,
    settings: { ...defaultSettings(), ...clean },
    migrated: env.data.v < SETTINGS_VERSION,
  }
}
