/**
 * What the gateway page shows of a mailbox's times, computed without the DOM: a moment as date,
 * time and time zone; how far away it is; the client secret's countdown. Pure, so it is tested
 * in node.
 *
 * @module
 */
import type { Lang } from '$lib/i18n/lang.ts'

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

/** `2026/12/02 14:05 JST` (ja) or `2 Dec 2026, 14:05 GMT+9` (en) in the browser's time zone. */
export function dateTimeZone(ms: number, lang: Lang, timeZone?: string): string {
  return new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    year: 'numeric',
    month: lang === 'ja' ? '2-digit' : 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(ms)
}

export type Distance =
  | { unit: 'minutes'; m: number }
  | { unit: 'hours'; h: number; m: number }
  | { unit: 'days'; d: number }

/** The distance between two moments in the largest sensible unit (minutes rounded up). */
export function distance(fromMs: number, toMs: number): Distance {
  const ms = Math.abs(toMs - fromMs)
  if (ms < HOUR_MS) return { unit: 'minutes', m: Math.max(1, Math.ceil(ms / MINUTE_MS)) }
  if (ms < 2 * DAY_MS) {
    const h = Math.floor(ms / HOUR_MS)
    return { unit: 'hours', h, m: Math.floor((ms - h * HOUR_MS) / MINUTE_MS) }
  }
  return { unit: 'days', d: Math.floor(ms / DAY_MS) }
}

/** A moment as the contract gives it (ISO 8601 string or epoch ms) → epoch ms, or undefined. */
export function moment(value: string | number | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined
  const ms = typeof value === 'number' ? value : Date.parse(value)
  return Number.isFinite(ms) ? ms : undefined
}

export type SecretCountdown =
  | { kind: 'unknown' }
  | { kind: 'left'; days: number; date: string; warn: boolean }
  | { kind: 'today'; date: string }
  | { kind: 'expired'; date: string }

/** Warn from this many days before the secret expires (the gateway's first alert). */
export const SECRET_WARN_DAYS = 30

/**
 * The secret's countdown. `secretExpires` is a date (`YYYY-MM-DD`, valid to the end of that day
 * in UTC, as Entra shows it) or a full ISO moment.
 */
export function secretCountdown(secretExpires: string | null | undefined, nowMs: number): SecretCountdown {
  if (!secretExpires) return { kind: 'unknown' }
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(secretExpires)
  const end = Date.parse(dateOnly ? `${secretExpires}T23:59:59.999Z` : secretExpires)
  if (Number.isNaN(end)) return { kind: 'unknown' }
  const date = new Date(end).toISOString().slice(0, 10)
  if (end < nowMs) return { kind: 'expired', date }
  const days = Math.floor((end - nowMs) / DAY_MS)
  if (days === 0) return { kind: 'today', date }
  return { kind: 'left', days, date, warn: days <= SECRET_WARN_DAYS }
}

/** The authorize endpoint of a mailbox: given, or the token endpoint's sibling (Entra's layout). */
export function authorizeEndpointOf(m: { authorizeEndpoint?: string | undefined; tokenEndpoint?: string | undefined }): string | undefined {
  if (m.authorizeEndpoint) return m.authorizeEndpoint
  if (!m.tokenEndpoint) return undefined
  return m.tokenEndpoint.replace(/\/oauth2\/v2\.0\/token(?=$|[?#])/i, '/oauth2/v2.0/authorize')
}
