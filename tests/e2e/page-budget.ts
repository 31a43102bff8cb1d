/**
 * The page's JavaScript budget, measured on the built output (build/): the initial JavaScript
 * of `/` (kit's entry points, the root layout and the page node, with everything they import
 * statically) and the MSAL redirect bridge page, gzipped (level 9). Lazily imported chunks
 * (MSAL, the validator with zod, the sign-in/send panels, the diagnosis) are not initial.
 * `npm run bench` may import `measurePageBudget` to print the same figures.
 *
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'

export interface PageBudget {
  /** Gzipped bytes of every JS file loaded before the first render of `/`. */
  initialJsGz: number
  initialFiles: string[]
  /** Gzipped bytes of redirect-bridge.html plus its script. */
  bridgeGz: number
  /** Gzipped bytes of the largest lazily loaded chunk (MSAL). */
  largestLazyGz: number
}

const STATIC_IMPORT = /(?:^|[;}\s])(?:import|export)\s*(?:[\w*{}\s,$]*?\s*from\s*)?["']([^"']+\.js)["']/g

const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length

/** The file and all files it imports statically (`import … from`, not `import()`). */
function closure(file: string, seen: Set<string>): void {
  if (seen.has(file)) return
  seen.add(file)
  const text = readFileSync(file, 'utf8')
  for (const m of text.matchAll(STATIC_IMPORT)) closure(resolve(dirname(file), m[1] as string), seen)
}

export function measurePageBudget(buildDir: string): PageBudget {
  const html = readFileSync(join(buildDir, 'index.html'), 'utf8')
  const seen = new Set<string>()
  // kit's bootstrap imports start.js and app.js; app.js lists the nodes, loaded for `/`:
  // node 0 (root layout) and node 2 (the page).
  for (const m of html.matchAll(/import\("([^"]+)"\)/g)) closure(join(buildDir, m[1] as string), seen)
  const nodes = join(buildDir, '_app', 'immutable', 'nodes')
  for (const f of readdirSync(nodes)) if (/^[02]\./.test(f)) closure(join(nodes, f), seen)
  const initialFiles = [...seen]
  const initialJsGz = initialFiles.reduce((n, f) => n + gz(f), 0)

  const bridgeHtml = join(buildDir, 'redirect-bridge.html')
  const bridgeScripts = [...readFileSync(bridgeHtml, 'utf8').matchAll(/src="\/([^"]+\.js)"/g)]
  const bridgeGz = gz(bridgeHtml) + bridgeScripts.reduce((n, m) => n + gz(join(buildDir, m[1] as string)), 0)

  const chunks = join(buildDir, '_app', 'immutable', 'chunks')
  const largestLazyGz = Math.max(
    ...readdirSync(chunks)
      .map((f) => join(chunks, f))
      .filter((f) => !seen.has(f))
      .map(gz)
  )
  return { initialJsGz, initialFiles, bridgeGz, largestLazyGz }
}
