/**
 * The relay on Deno (`npm run relay:deno`): the same portable app on the same HTTP server
 * (http/serve.ts: Deno's `node:http`, not `Deno.serve`, which cannot bound a request's head).
 * The sandbox tenant is Node-only (oidc-provider, smtp-server): RELAY_SANDBOX=1 is refused.
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
} from './http/boot.ts'
import { createInFlight } from './http/in-flight.ts'
import { clientAddress, serveHttp } from './http/serve.ts'
import { createPool, sendMail } from './smtp/index.ts'

/** What this file uses of the Deno namespace (kept minimal; checked with `deno check`). */
declare const Deno: {
  env: { toObject(): Record<string, string> }
  exit(code: number): never
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
}

const config = await concretePortOrExit(configOrExit(Deno.env.toObject(), Deno.exit), Deno.exit)
if (config.sandbox) {
  console.error('relay: RELAY_SANDBOX: the sandbox runs on Node only (npm start or npm run relay)')
  Deno.exit(1)
}

// Idle authenticated SMTP connections, shared by every request of this process.
const pool = config.smtpIdleMs > 0 ? createPool({ idleMs: config.smtpIdleMs }) : undefined

const gateway = await gatewayOrExit(config, { config, resolveHost: resolveAll, sendMail, ...(pool && { pool }) }, Deno.exit)

const inFlight = createInFlight()
const app = createApp({
  config,
  runtime: 'deno',
  version: relayVersion(),
  clientAddress,
  inFlight,
  sendMail,
  ...(pool && { pool }),
  resolveHost: resolveAll,
  ...(gateway && { gateway }),
  staticRoot: config.staticDir,
})

const server = serveHttp({
  fetch: app.fetch,
  host: config.host,
  port: config.port,
  onListen: (port) => {
    console.log(`relay listening on ${listenUrl(config.host, port)}`)
    if (gateway) console.log(gatewayWelcome(gateway))
  },
  onListenError: (err) => {
    console.error(listenFailure(config.host, config.port, err))
    Deno.exit(1)
  },
})

onShutdown(
  (signal, handler) => Deno.addSignalListener(signal, handler),
  {
    // close() stops accepting and resolves once the requests in flight are answered; then the
    // idle SMTP connections say QUIT.
    stop: async () => {
      // The gateway's ingress stops taking mail at once, beside the HTTP server.
      await Promise.all([server.close(), gateway?.drain()])
      await gateway?.close()
      await pool?.close()
    },
    inFlight,
    graceMs: config.shutdownGraceMs,
  },
  (code) => Deno.exit(code),
)
