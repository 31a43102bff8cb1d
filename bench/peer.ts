/**
 * Starts bench/server.ts (smtp-server) in a child process and stops it.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export interface Peer {
  port: number
  stop(): Promise<void>
}

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url))
const READY_TIMEOUT_MS = 30_000

export async function startSmtpServer(env: {
  cert: string
  key: string
  user: string
  token: string
  greetingPause: boolean
  /** Accept any user name with the token (many mailboxes at once). */
  anyUser?: boolean
}): Promise<Peer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      BENCH_CERT: env.cert,
      BENCH_KEY: env.key,
      BENCH_USER: env.user,
      BENCH_TOKEN: env.token,
      BENCH_GREETING_PAUSE: env.greetingPause ? 'on' : 'off',
      BENCH_ANY_USER: env.anyUser ? '1' : '0',
    },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('smtp-server did not start')), READY_TIMEOUT_MS)
    child.once('exit', (code) => reject(new Error(`smtp-server exited (${code})`)))
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer)
      resolve((JSON.parse(line) as { port: number }).port)
    })
  })
  return {
    port,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}
