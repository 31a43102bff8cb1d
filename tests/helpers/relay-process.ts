/**
 * Starts the real relay as a child process, the way `npm run relay:dev` / `npm run relay:deno` do
 * (the scripts' commands, spawned directly so the test owns the process group; tests run the
 * TypeScript sources through tsx, `compiled: true` runs relay/dist as `npm run relay` does,
 * built first when stale), waits for its
 * `relay listening on http://HOST:PORT` line, and stops it with its whole process group.
 *
 * @example
 * const relay = await startRelay({ runtime: 'deno', env: { RELAY_SMTP_HOSTS: 'localhost:2525' } })
 * await fetch(`${relay.url}/api/health`)
 * await relay.stop()
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './ports.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'node_modules', '.bin')
/**
 * The deno binary itself: `.bin/deno` is a Node shim that runs it with spawnSync, and a signal
 * to the shim would hide the relay's own exit code.
 */
const DENO_EXE = join(ROOT, 'node_modules', 'deno', 'deno')

/** The commands of package.json's `relay:dev`, `relay` (compiled) and `relay:deno` scripts. */
export const RELAY_COMMANDS = {
  node: [join(BIN, 'tsx'), 'relay/src/main.node.ts'],
  'node-compiled': [process.execPath, 'relay/dist/main.node.js'],
  deno: [
    existsSync(DENO_EXE) ? DENO_EXE : join(BIN, 'deno'),
    'run',
    '--allow-net',
    '--allow-env',
    '--allow-read',
    '--allow-write',
    '--allow-sys',
    'relay/src/main.deno.ts',
  ],
} as const

export interface RelayProcess {
  /** `http://127.0.0.1:PORT`, as printed by the relay. */
  url: string
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** The exit code once the process has exited (after `stop()`), else null. */
  exitCode(): number | null
  /** SIGTERM to the process group, then SIGKILL if it has not exited in time. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface StartRelayOptions {
  runtime: 'node' | 'deno'
  /** Node only: run the compiled relay (relay/dist, built when stale) instead of tsx. */
  compiled?: boolean
  /** RELAY_* and other variables; PORT defaults to a free port and HOST to 127.0.0.1. */
  env?: Record<string, string>
  /** How long to wait for the listening line (first Deno start compiles). */
  readyTimeoutMs?: number
}

const LISTENING = /relay listening on (http:\/\/\S+)/
const STOP_GRACE_MS = 25_000

export async function startRelay({
  runtime,
  compiled = false,
  env = {},
  readyTimeoutMs = 90_000,
}: StartRelayOptions): Promise<RelayProcess> {
  const port = env.PORT ?? String(await freePort())
  const kind = runtime === 'node' && compiled ? 'node-compiled' : runtime
  if (kind === 'node-compiled') {
    const specifier = '../../scripts/build-relay.mjs'
    const { buildRelayIfStale } = (await import(specifier)) as { buildRelayIfStale(): Promise<boolean> }
    await buildRelayIfStale()
  }
  const [command, ...rest] = RELAY_COMMANDS[kind]
  // The start-up memory settings of npm start and the package scripts (scripts/relay-flags.mjs).
  const flagsModule = '../../scripts/relay-flags.mjs'
  const flags = (await import(flagsModule)) as {
    NODE_FLAGS: string[]
    DENO_FLAGS: string[]
    relayEnv(env: Record<string, string | undefined>): Record<string, string | undefined>
  }
  const args = kind === 'node-compiled' ? [...flags.NODE_FLAGS, ...rest] : kind === 'deno' ? [rest[0]!, ...flags.DENO_FLAGS, ...rest.slice(1)] : rest
  const nodeOptions = kind === 'node' ? [process.env.NODE_OPTIONS, ...flags.NODE_FLAGS].filter(Boolean).join(' ') : process.env.NODE_OPTIONS
  const child = spawn(command, args, {
    cwd: ROOT,
    // detached: the child leads its own process group, so stop() reaches tsx's inner node too.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: flags.relayEnv({
      ...process.env,
      ...(nodeOptions !== undefined && { NODE_OPTIONS: nodeOptions }),
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      RELAY_SANDBOX: '0',
      ...env,
      PORT: port,
    }) as NodeJS.ProcessEnv,
  })
  let out = ''
  let exitCode: number | null = null
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : null)
      resolve(exitCode)
    })
  })
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`relay (${runtime}) not ready after ${readyTimeoutMs} ms:\n${out}`))
    }, readyTimeoutMs)
    const onData = (chunk: string) => {
      out += chunk
      const m = LISTENING.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve(m[1])
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`relay (${runtime}) exited with ${code} before listening:\n${out}`))
    })
  }).catch(async (err: unknown) => {
    killGroup(child.pid, 'SIGKILL')
    await exited
    throw err
  })

  let stopping: Promise<number | null> | undefined
  return {
    url,
    output: () => out,
    exitCode: () => exitCode,
    stop(signal = 'SIGTERM') {
      stopping ??= (async () => {
        if (exitCode !== null) return exitCode
        killGroup(child.pid, signal)
        const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), STOP_GRACE_MS)
        const code = await exited
        clearTimeout(timer)
        // tsx's inner node may outlive the wrapper by a moment: make sure the group is gone.
        killGroup(child.pid, 'SIGKILL')
        return code
      })()
      return stopping
    },
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}
