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
  memoryUsage(): { rss: number }
  unrefTimer(id: number): void
}

collectNativeMemory()

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

/**
 * Deno keeps native memory that V8 is not told about (the buffers behind its TLS sockets and
 * `node:sqlite` results): it is freed only when a full collection finds its JavaScript owner
 * dead, and a small heap seldom needs one. In the devices bench (200 scans of 300 KB) the
 * process grew from 120 to 250 MB with the heap at 32 MB; a full collection each time the RSS
 * has grown by 16 MB since the last one keeps it at about 140. `gc` is there with
 * `--v8-flags=--expose-gc` (package.json's `relay:deno`, scripts/relay-flags.mjs); reading the
 * RSS is one small file read every second, and an idle relay does not collect at all.
 */
function collectNativeMemory(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) return
  const STEP = 16 * 1024 * 1024
  let floor = Deno.memoryUsage().rss
  const timer = setInterval(() => {
    const rss = Deno.memoryUsage().rss
    if (rss < floor) floor = rss
    if (rss - floor < STEP) return
    gc()
    floor = Deno.memoryUsage().rss
  }, 1000)
  Deno.unrefTimer(timer as unknown as number)
}
