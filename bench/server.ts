/**
 * The benchmark's SMTP server, run in its own process so its CPU is not the clients' CPU:
 * smtp-server on 127.0.0.1 with STARTTLS (certificate from the parent, made at run time),
 * XOAUTH2 checked against one token, PIPELINING, no reverse DNS. Prints `{"port":N}` once
 * listening; stops on SIGTERM.
 *
 * Environment: BENCH_CERT, BENCH_KEY (PEM), BENCH_USER, BENCH_TOKEN, BENCH_GREETING_PAUSE
 * (`off` removes smtp-server's fixed 100 ms pause before every greeting, see below), and
 * BENCH_ANY_USER (`1`: any user with the token, for many mailboxes at once, see load.ts).
 *
 * @module
 */
import process from 'node:process'
import { SMTPServer } from 'smtp-server'
import { SMTPConnection } from 'smtp-server/lib/smtp-connection'

const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}
const user = env('BENCH_USER')
const token = env('BENCH_TOKEN')
const anyUser = process.env['BENCH_ANY_USER'] === '1'

if (process.env['BENCH_GREETING_PAUSE'] === 'off') {
  // smtp-server waits a hard-coded 100 ms before its 220 to catch clients that talk too early;
  // no submission server does, and it would add 100 ms to every new connection of both
  // clients alike. The pause is a `setTimeout(…, 100)` inside `init()`, made synchronously.
  const proto = SMTPConnection.prototype as unknown as { init(): void }
  const init = proto.init
  proto.init = function initWithoutPause(this: unknown) {
    const real = globalThis.setTimeout
    globalThis.setTimeout = ((fn: () => void, ms?: number, ...args: unknown[]) =>
      real(fn, ms === 100 ? 0 : ms, ...args)) as typeof setTimeout
    try {
      init.call(this)
    } finally {
      globalThis.setTimeout = real
    }
  }
}

const server = new SMTPServer({
  key: env('BENCH_KEY'),
  cert: env('BENCH_CERT'),
  authMethods: ['XOAUTH2'],
  disableReverseLookup: true,
  logger: false,
  size: 25 * 1024 * 1024,
  onAuth(auth, _session, callback) {
    if (auth.method === 'XOAUTH2' && (anyUser || auth.username === user) && auth.accessToken === token) {
      callback(null, { user: auth.username })
    } else {
      callback(null, { data: { status: '401', schemes: 'bearer' } })
    }
  },
  onData(stream, _session, callback) {
    stream.on('data', () => {})
    stream.on('end', () => callback(null))
  },
})

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  process.stdout.write(JSON.stringify({ port: address.port }) + '\n')
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
