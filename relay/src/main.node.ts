/**
 * The relay on Node (`npm run relay`): the portable app on the relay's HTTP server
 * (http/serve.ts), with the sandbox tenant in-process when RELAY_SANDBOX=1.
 *
 * @module
 */
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
import { createInFlight } from './http/in-flight.ts'
import { clientAddress, serveHttp } from './http/serve.ts'
import { sandboxWelcome } from './http/welcome.ts'
import type { SandboxHandle, StartSandbox } from './sandbox/types.ts'
import { createPool, sendMail } from './smtp/index.ts'

const exit = (code: number) => process.exit(code)
let config = await concretePortOrExit(configOrExit(process.env, exit), exit)
let sandbox: SandboxHandle | undefined
if (config.sandbox) {
  // Dynamic: the sandbox pulls in oidc-provider and smtp-server, which only the sandbox needs
  // (its own chunk in the compiled relay, loaded only here).
  const { startSandbox } = (await import('./sandbox/index.ts')) as { startSandbox: StartSandbox }
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

const inFlight = createInFlight()
const app = createApp({
  config,
  runtime: 'node',
  version: relayVersion(),
  clientAddress,
  inFlight,
  sendMail,
  ...(pool && { pool }),
  resolveHost: resolveAll,
  ...(sandbox && { sandbox }),
  ...(gateway && { gateway }),
  staticRoot: config.staticDir,
})

const server = serveHttp({
  fetch: app.fetch,
  host: config.host,
  port: config.port,
  onListen: (port) => {
    console.log(`relay listening on ${listenUrl(config.host, port)}`)
    if (sandbox) console.log(sandboxWelcome(config.publicOrigin, sandbox.info, config.dataDir))
    if (gateway) console.log(gatewayWelcome(gateway))
  },
  onListenError: (err) => {
    console.error(listenFailure(config.host, config.port, err))
    process.exit(1)
  },
})

onShutdown(
  (signal, handler) => process.on(signal, handler),
  {
    // close() stops accepting and resolves once the requests in flight are answered; then the
    // idle SMTP connections say QUIT.
    stop: async () => {
      // The gateway's ingress stops taking mail at once, beside the HTTP server.
      await Promise.all([server.close(), gateway?.drain()])
      await gateway?.close()
      await pool?.close()
      await sandbox?.close()
    },
    inFlight,
    graceMs: config.shutdownGraceMs,
  },
  (code) => process.exit(code),
)
