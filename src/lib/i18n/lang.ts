/**
 * Which language the page starts in: `?lang=` wins (and is remembered), then the remembered
 * choice, then Japanese, the product's default (its users read Japanese first).
 *
 * @module
 */

export const LANGS = ['ja', 'en'] as const
export type Lang = (typeof LANGS)[number]

/** localStorage key of the remembered language. */
export const LANG_KEY = 'mailkey.lang'

export function isLang(value: unknown): value is Lang {
  return value === 'ja' || value === 'en'
}

/**
 * Picks the start language from the URL's query string and the remembered value.
 * The browser's own language is deliberately ignored: the seed is Japanese and so is the default.
 */
export function pickLang(search: string, remembered: string | null): Lang {
  const fromQuery = new URLSearchParams(search).get('lang')
  if (isLang(fromQuery)) return fromQuery
  if (isLang(remembered)) return remembered
  return 'ja'
}
