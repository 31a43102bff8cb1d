/**
 * The client secret's expiry date (the seed: 6 months by default, at most 2 years): days left
 * and the warning state shown next to the field.
 *
 * @module
 */
const DAY_MS = 24 * 60 * 60 * 1000

/** Days from `now` to the end of `date` (`YYYY-MM-DD`, UTC); undefined when not a date. */
export function daysUntil(date: string, now: Date): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined
  const end = Date.parse(`${date}T23:59:59Z`)
  if (Number.isNaN(end)) return undefined
  return Math.floor((end - now.getTime()) / DAY_MS)
}

/** The warning state of the secret's expiry date: warn from 30 days before (PRODUCT.md). */
export function secretExpiryState(
  date: string,
  now: Date,
): { kind: 'none' | 'ok' | 'soon' | 'expired'; days?: number } {
  const days = daysUntil(date, now)
  if (days === undefined) return { kind: 'none' }
  if (days < 0) return { kind: 'expired', days }
  if (days <= 30) return { kind: 'soon', days }
  return { kind: 'ok', days }
}

/** `YYYY-MM-DD` of `from` plus `months` (UTC), clamped to the month's last day (Aug 31 + 6 → Feb 28). */
export function addMonths(from: Date, months: number): string {
  const y = from.getUTCFullYear()
  const m = from.getUTCMonth() + months
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate()
  const d = new Date(Date.UTC(y, m, Math.min(from.getUTCDate(), last)))
  return d.toISOString().slice(0, 10)
}

/** Entra's defaults for a new client secret (the seed): 6 months, at most 24 months. */
export const SECRET_DEFAULT_MONTHS = 6
export const SECRET_MAX_MONTHS = 24
