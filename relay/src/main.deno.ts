/**
 * The relay on Deno (`npm run relay:deno`): `Deno.serve` serving the same portable app.
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
import { createPool, sendMail } from './smtp/index.ts'

/** What this file uses of the Deno namespace (kept minimal; checked with `deno check`). */
declare const Deno: {
  env: { toObject(): Record<string, string> }
  exit(code: number): never
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
  serve(
    options: {
      hostname: string
      port: number
      onListen?: (addr: { hostname: string; port: number }) => void
    },
    handler: (
      req: Request,
      info: { remoteAddr: { hostname: string } },
    ) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> }
}

const config = await concretePortOrExit(configOrExit(Deno.env.toObject(), Deno.exit), Deno.exit)
if (config.sandbox) {
  console.error('relay: RELAY_SANDBOX: the sandbox runs on Node only (npm start or npm run relay)')
  Deno.exit(1)
}

// Idle authenticated SMTP connections, shared by every request of this process.
const pool = config.smtpIdleMs > 0 ? createPool({ idleMs: config.smtpIdleMs }) : undefined

const gateway = await gatewayOrExit(config, { config, resolveHost: resolveAll, sendMail, ...(pool && { pool }) }, Deno.exit)

const app = createApp({
  config,
  runtime: 'deno',
  version: relayVersion(),
  clientAddress: (c) =>
    (c.env as { remoteAddr?: { hostname?: string } }).remoteAddr?.hostname ?? 'unknown',
  sendMail,
  ...(pool && { pool }),
  resolveHost: resolveAll,
  ...(gateway && { gateway }),
  staticRoot: config.staticDir,
})

let server: { shutdown(): Promise<void> }
try {
  server = Deno.serve(
    {
      hostname: config.host,
      port: config.port,
      onListen: ({ port }) => {
        console.log(`relay listening on ${listenUrl(config.host, port)}`)
        if (gateway) console.log(gatewayWelcome(gateway))
      },
    },
    (req, info) => app.fetch(req, info),
  )
} catch (err) {
  // Deno names the error class (AddrInUse, PermissionDenied) rather than a code.
  console.error(listenFailure(config.host, config.port, err))
  Deno.exit(1)
}

// shutdown() stops accepting and resolves once the requests in flight are answered; then the
// idle SMTP connections say QUIT.
onShutdown(
  (signal, handler) => Deno.addSignalListener(signal, handler),
  async () => {
    await server.shutdown()
    await gateway?.close()
    await pool?.close()
  },
  (code) => Deno.exit(code),
)
