/**
 * Serves the built page (RELAY_STATIC_DIR, SvelteKit adapter-static output) from the relay's
 * origin with `node:fs/promises` (runs on Node and Deno alike): hashed assets cached for a year,
 * the SPA shell and the MSAL redirect bridge never cached (M365-FACTS §3.2: the bridge must be
 * `no-store`), unknown extension-less paths answered with the SPA shell, no path traversal.
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'
import type { MiddlewareHandler } from 'hono'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

const IMMUTABLE = 'public, max-age=31536000, immutable'
const NO_STORE = 'no-store'
/** Pages whose content must always be fresh (the shell names the current hashed assets). */
const NO_STORE_FILES = new Set(['/index.html', '/redirect-bridge.html'])

function cacheControl(urlPath: string): string {
  if (urlPath.startsWith('/_app/immutable/')) return IMMUTABLE
  if (NO_STORE_FILES.has(urlPath) || urlPath.endsWith('.html')) return NO_STORE
  return 'no-cache'
}

async function fileAt(path: string): Promise<Uint8Array | undefined> {
  try {
    if (!(await stat(path)).isFile()) return undefined
    return await readFile(path)
  } catch {
    return undefined
  }
}

/**
 * @example
 * app.get('*', serveBuiltPage({ root: './build' }))
 */
export const serveBuiltPage = ({ root }: { root: string }): MiddlewareHandler => {
  const base = resolve(root)
  return async function serveBuiltPage(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next()
    let urlPath: string
    try {
      urlPath = decodeURIComponent(c.req.path)
    } catch {
      return c.text('Bad request', 400)
    }
    if (urlPath.includes('\0') || urlPath.includes('\\')) return c.text('Not found', 404)
    if (urlPath.endsWith('/')) urlPath += 'index.html'
    const path = resolve(base, '.' + urlPath)
    // resolve() normalises `..`; anything outside the root is refused, not clamped.
    if (path !== base && !path.startsWith(base + sep)) return c.text('Not found', 404)

    let served = urlPath
    let content = await fileAt(path)
    if (content === undefined && extname(urlPath) === '') {
      // SPA fallback: client-side routes are answered with the shell.
      served = '/index.html'
      content = await fileAt(resolve(base, 'index.html'))
    }
    if (content === undefined) return c.text('Not found', 404)
    c.header('Content-Type', TYPES[extname(served)] ?? 'application/octet-stream')
    c.header('Cache-Control', cacheControl(served))
    return c.body(content as Uint8Array<ArrayBuffer>)
  }
}
