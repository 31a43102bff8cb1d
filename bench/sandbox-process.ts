/**
 * The sandbox tenant in a process of its own, for `bench/devices.ts`: its IdP and SMTP server on
 * free ports and its HTTP routes (inbox, switches) on a loopback port, so the devices, the
 * gateway and email-oauth2-proxy do not share a CPU with the server they deliver to. Prints one
 * JSON line, `{routes, info, caPem, smtpHostPort, tokenHost, dataDir}`, then runs until SIGTERM
 * (the bench removes `dataDir` again should the process end before it did).
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { startSandbox } from '../relay/src/sandbox/index.ts'

const dataDir = await mkdtemp(join(tmpdir(), 'mailkey-bench-sandbox-'))
const sandbox = await startSandbox({ dataDir, publicOrigin: 'http://localhost:8787', idpPort: 0, smtpPort: 0 })
const server = serve({ fetch: sandbox.routes.fetch, hostname: '127.0.0.1', port: 0 }, (address) => {
  const { info, caPem, smtpHostPort, tokenHost } = sandbox
  process.stdout.write(
    `${JSON.stringify({ routes: `http://127.0.0.1:${address.port}`, info, caPem, smtpHostPort, tokenHost, dataDir })}\n`,
  )
})

const stop = async () => {
  server.close()
  await sandbox.close()
  await rm(dataDir, { recursive: true, force: true })
  process.exit(0)
}
process.once('SIGTERM', () => void stop())
process.once('SIGINT', () => void stop())
