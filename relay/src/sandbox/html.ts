/**
 * Tiny HTML helpers for the sandbox's own pages: escaping, the language choice and the page
 * frame. Pages carry no external resources and no script (styles only), so they render offline
 * and under a strict CSP.
 *
 * @module
 */

export type Lang = 'ja' | 'en'

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
}

/**
 * Picks the page language: an explicit `lang` (from `?lang=`) wins, then the first of
 * `ui_locales` (OpenID Connect Core §3.1.2.1) that we speak; Japanese otherwise.
 */
export function pickLang(lang?: string | null, uiLocales?: string | null): Lang {
  for (const candidate of [lang, ...(uiLocales ?? '').split(/\s+/)]) {
    const base = candidate?.trim().toLowerCase().split('-')[0]
    if (base === 'en' || base === 'ja') return base
  }
  return 'ja'
}

const STYLE = `
body{font-family:system-ui,"Hiragino Sans","Yu Gothic",Meiryo,sans-serif;margin:0;background:#f3f4f6;color:#1f2937}
main{max-width:44rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}label{display:block;margin:.75rem 0 .25rem}
input[type=text],input[type=email],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1.25rem;font-size:1rem;margin-right:.5rem}
.err{background:#fee2e2;border:1px solid #b91c1c;padding:.75rem;border-radius:4px;overflow-wrap:anywhere}
.note{color:#4b5563;font-size:.9rem}table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{border:1px solid #d1d5db;padding:.35rem .5rem;text-align:left;vertical-align:top}
code,pre{font-family:ui-monospace,Consolas,monospace;overflow-wrap:anywhere;white-space:pre-wrap}
.badge{display:inline-block;padding:0 .4rem;border-radius:4px;background:#e5e7eb}
.on{background:#fecaca}.lang{float:right;font-size:.9rem}
code.upn{white-space:nowrap;overflow-wrap:normal}ul.users{padding-left:1.25rem}ul.users li{margin:.5rem 0}
@media (max-width:36rem){main{margin:0;padding:1rem 1.25rem;border-radius:0}}
`

/** A whole page: `<main>` holds `body`; the caller escapes every value inside `body`. */
export function page(lang: Lang, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`
}

/** Headers for the sandbox's pages: no script at all, no framing, nothing cached. */
export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}
