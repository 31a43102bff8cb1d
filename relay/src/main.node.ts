/**
 * The relay on Node (`npm run relay`): `@hono/node-server` serving the portable app, with the
 * sandbox tenant in-process when RELAY_SANDBOX=1.
 *
 * @module
 */
import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Server } from 'node:http'
import { createApp } from './app.ts'
import {
  concretePortOrExit,
  configOrExit,
  gatewayOrExit,
  gatewayWelcome,
  listenFailure,
  listenUrl,
  onShutdown,
  relayVersion,
  resolveAll,
  sandboxFailure,
  withSandbox,
} from './http/boot.ts'
import { lingeringClose } from './http/linger.ts'
import { sandboxWelcome } from './http/welcome.ts'
import type { SandboxHandle, StartSandbox } from './sandbox/types.ts'
import { createPool, sendMail } from './smtp/index.ts'

const exit = (code: number) => process.exit(code)
let config = await concretePortOrExit(configOrExit(process.env, exit), exit)
let sandbox: SandboxHandle | undefined
if (config.sandbox) {
  // Dynamic: the sandbox pulls in oidc-provider and smtp-server, which only the sandbox needs.
  const specifier = './sandbox/index.ts'
  const { startSandbox } = (await import(specifier)) as { startSandbox: StartSandbox }
  const started = await startSandbox({
    dataDir: config.dataDir,
    publicOrigin: config.publicOrigin,
    accessTokenTtl: config.sandboxTokenTtl,
    ...(config.sandboxIdpPort !== undefined && { idpPort: config.sandboxIdpPort }),
    ...(config.sandboxSmtpPort !== undefined && { smtpPort: config.sandboxSmtpPort }),
  }).catch((err: unknown) => {
    console.error(sandboxFailure(err, config.dataDir))
    return process.exit(1)
  })
  config = withSandbox(config, started)
  sandbox = started
}

// Idle authenticated SMTP connections, shared by every request of this process.
const pool = config.smtpIdleMs > 0 ? createPool({ idleMs: config.smtpIdleMs }) : undefined

const gateway = await gatewayOrExit(config, { config, resolveHost: resolveAll, sendMail, ...(pool && { pool }) }, exit)

const app = createApp({
  config,
  runtime: 'node',
  version: relayVersion(),
  clientAddress: (c) => getConnInfo(c).remote.address ?? 'unknown',
  sendMail,
  ...(pool && { pool }),
  resolveHost: resolveAll,
  ...(sandbox && { sandbox }),
  ...(gateway && { gateway }),
  staticRoot: config.staticDir,
})

const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
  console.log(`relay listening on ${listenUrl(config.host, info.port)}`)
  if (sandbox) console.log(sandboxWelcome(config.publicOrigin, sandbox.info, config.dataDir))
  if (gateway) console.log(gatewayWelcome(gateway))
})

// An answer given before the request body was read (413 …) must reach a client still sending.
lingeringClose(server as Server)

server.on('error', (err) => {
  console.error(listenFailure(config.host, config.port, err))
  process.exit(1)
})

onShutdown(
  (signal, handler) => process.on(signal, handler),
  async () => {
    // close() stops accepting and resolves once the requests in flight are answered.
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      // Keep-alive connections turn idle once their answer is sent; close them as they do, or
      // close() would wait for the clients' keep-alive timeout.
      if (!('closeIdleConnections' in server)) return
      server.closeIdleConnections()
      setInterval(() => server.closeIdleConnections(), 100).unref()
    })
    await gateway?.close()
    await pool?.close()
    await sandbox?.close()
  },
  (code) => process.exit(code),
)
