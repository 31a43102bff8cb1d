// `npm run build:relay`: the relay compiled to JavaScript in relay/dist/ (gitignored), which
// `npm start` and `npm run relay` run: no TypeScript compiler in the running process (tsx keeps
// esbuild and its caches resident, about 30 MB). One ESM bundle of our own code with
// code splitting, so the sandbox and the gateway stay separate chunks loaded only when on;
// every package stays external (native better-sqlite3, pg, oidc-provider, smtp-server …),
// resolved from node_modules at run time as before.
import { build } from 'esbuild'
import { isStale } from './fresh.mjs'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
/** The entry point `npm start` and `npm run relay` run. */
export const RELAY_ENTRY = 'relay/dist/main.node.js'
/** What the bundle is made of: a change under these rebuilds it. */
export const RELAY_SOURCES = ['relay/src', 'src/lib/contract', 'package.json', 'scripts/build-relay.mjs']

export async function buildRelay() {
  const outdir = join(root, 'relay', 'dist')
  rmSync(outdir, { recursive: true, force: true })
  await build({
    absWorkingDir: root,
    tsconfig: 'tsconfig.relay.json',
    entryPoints: ['relay/src/main.node.ts'],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    packages: 'external',
    // Stack traces keep file and line names readable; no source map kept in memory.
    minify: false,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
  })
}

/** Builds the relay when relay/dist is missing or older than its sources; true when it built. */
export async function buildRelayIfStale() {
  if (!isStale(root, RELAY_ENTRY, RELAY_SOURCES, ['dist'])) return false
  await buildRelay()
  return true
}

// `node scripts/build-relay.mjs` builds; `--if-stale` (npm run relay) only when sources changed.
if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--if-stale')) await buildRelayIfStale()
  else await buildRelay()
}
