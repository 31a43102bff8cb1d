/**
 * The relay's HTTP server, one for both entrypoints: `node:http` through `@hono/node-server`, on
 * Node and on Deno (whose `node:http` is Node's server). `Deno.serve` is not used: it has no
 * bound on reading a request's head (no header or request timeout of any kind, denoland/deno
 * issue 3515), so a client that never finishes its headers keeps a connection and its memory
 * for ever.
 *
 * The timeouts, and why:
 * - keep-alive 65 s (Node's default is 5 s). A client reuses an idle connection until its own
 *   idle timeout; the server must never close it first, or a request written just as the close
 *   arrives is lost ("other side closed", ECONNRESET) and a POST is not retried. Node's fetch
 *   (undici) keeps a connection for the server's `Keep-Alive: timeout=` less 2 s, 4 s without
 *   one; load balancers and proxies in front keep theirs for 60 s (AWS ALB's default). Node
 *   closes 1 s after the timeout it advertises, so a client that reads it closes 3 s before the
 *   server. With 5 s, connections idle that long were common under load, while event loops
 *   stall; with 65 s, a connection idle that long is one between bursts, on a quiet machine.
 *   (Browsers resend a request that failed on a reused connection.)
 * - headers 10 s from a request's first byte (or from the connection when none came): then
 *   408 and close. A kept-alive connection waiting for its next request is not timed by it.
 * - request 300 s: the whole request, body included (a 25 MB upload on a slow line).
 * - checked every second (Node's default is every 30 s).
 *
 * @module
 */
import { getConnInfo } from '@hono/node-server/conninfo'
import { serve } from '@hono/node-server'
import type { Context } from 'hono'
import type { Server } from 'node:http'
import { lingeringClose } from './linger.ts'

export const HTTP_TIMEOUTS = {
  keepAliveMs: 65_000,
  headersMs: 10_000,
  requestMs: 300_000,
  checkEveryMs: 1_000,
} as const

export interface RelayServer {
  /** Stops accepting, and resolves once every connection is closed (idle ones at once). */
  close(): Promise<void>
}

export interface ServeOptions {
  fetch: (req: Request, env: unknown) => Response | Promise<Response>
  host: string
  port: number
  onListen(port: number): void
  onListenError(err: unknown): void
}

/** The peer address of the request's connection. */
export const clientAddress = (c: Context): string => getConnInfo(c).remote.address ?? 'unknown'

export function serveHttp(opts: ServeOptions): RelayServer {
  const server = serve(
    {
      fetch: opts.fetch,
      hostname: opts.host,
      port: opts.port,
      serverOptions: {
        keepAliveTimeout: HTTP_TIMEOUTS.keepAliveMs,
        headersTimeout: HTTP_TIMEOUTS.headersMs,
        requestTimeout: HTTP_TIMEOUTS.requestMs,
        connectionsCheckingInterval: HTTP_TIMEOUTS.checkEveryMs,
      },
    },
    (info) => opts.onListen(info.port),
  ) as Server
  // An answer given before the request body was read (413 …) must reach a client still sending.
  lingeringClose(server)
  server.on('error', opts.onListenError)
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive connections turn idle once their answer is sent; close them as they do, or
        // close() would wait for the clients' keep-alive timeout.
        server.closeIdleConnections()
        setInterval(() => server.closeIdleConnections(), 100).unref()
      }),
  }
}
