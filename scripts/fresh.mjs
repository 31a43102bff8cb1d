// Whether a built output is older than its sources: `npm start` rebuilds the page and the
// relay only when they are missing or stale.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Newest modification time under the given paths (relative to `root`), ignoring generated output and tests. */
export function newestMtime(root, paths, skip = []) {
  let newest = 0
  const walk = (path) => {
    if (!existsSync(path)) return
    const stat = statSync(path)
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) {
        if (entry === 'node_modules' || entry.startsWith('.') || skip.includes(entry)) continue
        walk(join(path, entry))
      }
    } else if (!path.endsWith('.test.ts')) {
      newest = Math.max(newest, stat.mtimeMs)
    }
  }
  for (const p of paths) walk(join(root, p))
  return newest
}

/** True when `output` (a file under `root`) is missing or older than anything under `sources`. */
export function isStale(root, output, sources, skip = []) {
  const file = join(root, output)
  return !existsSync(file) || statSync(file).mtimeMs < newestMtime(root, sources, skip)
}
