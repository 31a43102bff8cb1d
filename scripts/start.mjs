// `npm start`: the embedded default. Builds the page and the relay when missing or older than
// their sources, then runs the relay on Node with the sandbox tenant, serving page + API on
// http://localhost:8787 (PORT and HOST may override, like every RELAY_* variable).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildRelayIfStale, RELAY_ENTRY } from './build-relay.mjs'
import { NODE_FLAGS, relayEnv } from './relay-flags.mjs'
import { isStale } from './fresh.mjs'
import { quietly } from './quietly.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const builtIndex = join(root, 'build', 'index.html')
const pageSources = ['src', 'static', 'bridge', 'svelte.config.js', 'vite.config.ts', 'package.json']

const stale = isStale(root, 'build/index.html', pageSources)
if (stale) {
  console.log(existsSync(builtIndex) ? 'page sources changed: building the page…' : 'building the page…')
  // Quiet unless it fails: Vite's chunk table would bury the lines a user needs.
  const status = quietly('npm', ['run', '--silent', 'build'], { cwd: root })
  if (status !== 0) {
    console.error('the page did not build; see above')
    process.exit(status)
  }
  console.log('page built.')
}

// npm start turns the gateway on (RELAY_GATEWAY=0 turns it off): the relay prints the admin setup link,
// and devices on this machine can hand it mail on 127.0.0.1:2525 (STARTTLS; RELAY_INGRESS= to turn it off).
const env = {
  ...process.env,
  RELAY_SANDBOX: process.env.RELAY_SANDBOX ?? '1',
  RELAY_GATEWAY: process.env.RELAY_GATEWAY ?? '1',
  RELAY_INGRESS: process.env.RELAY_INGRESS ?? ((process.env.RELAY_GATEWAY ?? '1') === '0' ? '' : '127.0.0.1:2525/starttls'),
}
// The relay runs compiled (scripts/build-relay.mjs): no TypeScript compiler in the process.
const relayBuilt = await buildRelayIfStale().catch(() => {
  console.error('the relay did not build; see above')
  process.exit(1)
})
if (relayBuilt) console.log('relay built.')
const relay = spawn(process.execPath, [...NODE_FLAGS, join(root, RELAY_ENTRY)], {
  cwd: root,
  env: relayEnv(env),
  stdio: 'inherit',
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => relay.kill(signal))
}
relay.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
