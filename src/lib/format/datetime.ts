/**
 * The one way mailkey shows a moment or a date to the admin, in the admin's locale: the date,
 * the time to the second and the time zone (`2026/12/02 14:23:28 JST`, `2 Dec 2026, 14:23:28 UTC`).
 * The settings page (token and secret expiry, saved, test mail), the sandbox inbox (rendered by
 * the relay, in the relay's time zone) and the gateway pages use it. Pure Intl: no DOM, runs in
 * the browser, on Node and on Deno.
 *
 * @module
 */

export type DateLang = 'ja' | 'en'

const FALLBACK: Record<DateLang, string> = { ja: 'ja-JP', en: 'en-GB' }

/**
 * The locale for the page's language: the browser's own locale when it is of that language
 * (`en-US` keeps US order), else Japan's or Britain's. Without a browser (the relay), the default.
 */
export function localeFor(lang: DateLang, preferred?: readonly string[]): string {
  const list = preferred ?? (typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language])
  const own = list.find((l) => l.toLowerCase() === lang || l.toLowerCase().startsWith(`${lang}-`))
  if (own) {
    try {
      return Intl.DateTimeFormat.supportedLocalesOf(own)[0] ?? FALLBACK[lang]
    } catch {
      return FALLBACK[lang]
    }
  }
  return FALLBACK[lang]
}

const formats = new Map<string, Intl.DateTimeFormat>()

function format(locale: string, opts: Intl.DateTimeFormatOptions, key: string): Intl.DateTimeFormat {
  const id = `${locale}|${key}`
  let f = formats.get(id)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, opts)
    formats.set(id, f)
  }
  return f
}

/**
 * Date, time and zone of `when` (a Date, epoch milliseconds or a date string) in `lang`; `timeZone`
 * overrides the local one (tests). An unreadable value comes back as it was given.
 */
export function formatDateTime(
  when: Date | number | string,
  lang: DateLang,
  opts: { timeZone?: string; locales?: readonly string[] } = {},
): string {
  const d = when instanceof Date ? when : new Date(when)
  if (Number.isNaN(d.getTime())) return String(when)
  const locale = localeFor(lang, opts.locales)
  const tz = opts.timeZone ? { timeZone: opts.timeZone } : {}
  return format(locale, { dateStyle: 'medium', timeStyle: 'long', ...tz }, `dt|${opts.timeZone ?? ''}`).format(d)
}

/**
 * A calendar date (`YYYY-MM-DD`, e.g. the client secret's expiry) in the same style as the date
 * part of formatDateTime, without a time or zone; anything else comes back unchanged.
 */
export function formatDate(ymd: string, lang: DateLang, opts: { locales?: readonly string[] } = {}): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd.trim())
  if (!m) return ymd
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  if (Number.isNaN(d.getTime())) return ymd
  return format(localeFor(lang, opts.locales), { dateStyle: 'medium', timeZone: 'UTC' }, 'd').format(d)
}
