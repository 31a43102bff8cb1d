// `npm start`: the embedded default. Builds the page when it is missing or older than its
// sources, then runs the relay on Node with the sandbox tenant, serving page + API on
// http://localhost:8787 (PORT and HOST may override, like every RELAY_* variable).
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { quietly } from './quietly.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const builtIndex = join(root, 'build', 'index.html')
const pageSources = ['src', 'static', 'bridge', 'svelte.config.js', 'vite.config.ts', 'package.json']

/** Newest modification time under the given paths, ignoring generated output. */
function newestMtime(paths) {
  let newest = 0
  const walk = (path) => {
    if (!existsSync(path)) return
    const stat = statSync(path)
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) {
        if (entry === 'node_modules' || entry.startsWith('.')) continue
        walk(join(path, entry))
      }
    } else if (!path.endsWith('.test.ts')) {
      newest = Math.max(newest, stat.mtimeMs)
    }
  }
  for (const p of paths) walk(join(root, p))
  return newest
}

const stale = !existsSync(builtIndex) || statSync(builtIndex).mtimeMs < newestMtime(pageSources)
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
const relay = spawn(process.execPath, ['--import', 'tsx', join(root, 'relay/src/main.node.ts')], {
  cwd: root,
  env,
  stdio: 'inherit',
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => relay.kill(signal))
}
relay.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
