/**
 * (e) What a browser downloads before the page can run: the JavaScript each built HTML page
 * references (scripts, modulepreloads, the inline bootstrap's imports) and everything those
 * files import statically, each file gzipped on its own (level 9, as a server would precompress).
 * Dynamic imports (MSAL loaded at sign-in) are not initial and not counted.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { Figure } from './report.ts'

const BUILD = fileURLToPath(new URL('../build', import.meta.url))

/** Script sources, modulepreloads and `import("…")` of the inline bootstrap. */
const HTML_REFS = /(?:src|href)=["']([^"']+\.js)["']|import\(\s*["']([^"']+\.js)["']\s*\)/gu
/** Static imports and re-exports in built ES modules (`import(` is dynamic and excluded). */
const JS_IMPORTS = /\bfrom\s*["']([^"']+\.js)["']|\bimport\s*["']([^"']+\.js)["']/gu

export interface PageReport {
  figures: Figure[]
  lines: string[]
  notes: string[]
}

export async function pageFigures(): Promise<PageReport> {
  if (!existsSync(join(BUILD, 'index.html'))) {
    const note = 'pages: skipped (no build/index.html; run npm run build)'
    return { figures: [], lines: [], notes: [note] }
  }
  // index.html first, then the other pages (the MSAL redirect bridge) by name
  const order = (p: string) => (p === 'index.html' ? '' : p)
  const pages = (await htmlFiles(BUILD)).sort((a, b) => order(a).localeCompare(order(b)))
  const figures: Figure[] = []
  const lines: string[] = []
  for (const page of pages) {
    const files = await initialScripts(page)
    if (files.length === 0 && page !== 'index.html') continue
    let gz = 0
    let raw = 0
    for (const file of files) {
      const bytes = await readFile(file)
      raw += bytes.length
      gz += gzipSync(bytes, { level: 9 }).length
    }
    const kb = (n: number) => (n / 1024).toFixed(1)
    const count = `${files.length} file${files.length === 1 ? '' : 's'}`
    lines.push(`page ${page}: initial JS ${count}, ${kb(gz)} KB gzip (${kb(raw)} KB raw)`)
    figures.push({
      id: `page_${page.replace(/\W+/gu, '_')}_initial_js_gzip`,
      label: `page ${page}: initial JS, gzip`,
      unit: 'bytes',
      ours: gz,
      nodemailer: undefined,
      note: `${count}, ${raw} bytes raw`,
    })
  }
  return { figures, lines, notes: [] }
}

/** HTML files under build/, relative to it, outside the hashed asset folder. */
async function htmlFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .filter((p) => !p.startsWith('_app'))
}

async function initialScripts(page: string): Promise<string[]> {
  const html = await readFile(join(BUILD, page), 'utf8')
  const seen = new Set<string>()
  const refs = [...html.matchAll(HTML_REFS)].map((m) => m[1] ?? m[2] ?? '')
  const queue = refs.map((ref) => resolveRef(join(BUILD, page), ref))
  while (queue.length > 0) {
    const file = queue.pop()!
    if (seen.has(file) || !existsSync(file)) continue
    seen.add(file)
    const js = await readFile(file, 'utf8')
    for (const m of js.matchAll(JS_IMPORTS)) queue.push(resolveRef(file, m[1] ?? m[2] ?? ''))
  }
  return [...seen]
}

/** `/x.js` is under build/; `./x.js` and `../x.js` are relative to the referring file. */
function resolveRef(from: string, ref: string): string {
  return ref.startsWith('/') ? join(BUILD, ref) : resolve(dirname(from), ref)
}
