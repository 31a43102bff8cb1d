/**
 * A link to a page of the sandbox (a relay path from /api/config) in the page's language: the
 * sandbox's pages are Japanese first, English with `?lang=en`.
 *
 * @module
 */
export function sandboxLink(path: string, lang: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}lang=${encodeURIComponent(lang)}`
}
