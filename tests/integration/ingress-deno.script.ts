/**
 * Runs the SMTP ingress on whichever runtime executes this file (the Deno test runs it with
 * `deno run`), committing into the folder given in argv[2]; argv[3] is the minimum TLS version
 * (forced, bypassing the config check, to show what the runtime itself does). Prints
 * `{"listeners": …}` as one line once listening; stops when stdin closes.
 * Runtime-neutral: `node:` modules only.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import process from 'node:process'
import type { TlsMinimum } from '../../relay/src/gateway/ingress-config.ts'
import { startIngress } from '../../relay/src/gateway/ingress.ts'

const dir = process.argv[2] ?? '.'
let n = 0
const ingress = await startIngress({
  config: {
    listeners: [
      { host: '127.0.0.1', port: 0, security: 'starttls' },
      { host: '127.0.0.1', port: 0, security: 'tls' },
    ],
    minTls: (process.argv[3] ?? 'TLSv1.2') as TlsMinimum,
    plaintextAuth: false,
    maxConnectionsPerAddress: 10,
  },
  dataDir: join(dir, 'data'),
  name: 'relay.test',
  limits: { closeTimeoutMs: 200 },
  log: (line) => process.stderr.write(JSON.stringify(line) + '\n'),
  authenticate: async ({ username, password }) =>
    username === 'scanner' && password === 'deno-pass' ? { id: 'dev-1' } : null,
  allowUnauthenticated: async () => null,
  accept: async (m) => {
    const id = `deno-${++n}`
    await writeFile(join(dir, `${id}.eml`), m.bytes)
    return { id }
  },
})
process.stdout.write(JSON.stringify({ listeners: ingress.listeners }) + '\n')
process.stdin.on('data', () => undefined)
process.stdin.on('end', () => void ingress.close().then(() => process.exit(0)))
