/**
 * `npx tsx bench/gateway.ts` (or `BENCH_ONLY=gateway npm run bench` runs it too): the relay's
 * start time (spawn → `relay listening`) and idle RSS after 10 s, with the gateway off, on the
 * embedded SQLite store, and on PostgreSQL (a throwaway server from tests/helpers/postgres.ts),
 * on Node (the compiled relay of `npm start` / `npm run relay`, and through tsx as before the
 * build step: `node_tsx`) and Deno. RSS is the listening process's (`ss -ltnp`: tsx's inner node
 * for `node_tsx`). Not part of `npm test` (no timed assertions there).
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPostgres } from '../tests/helpers/postgres.ts'
import { startRelay } from '../tests/helpers/relay-process.ts'

const IDLE_MS = Number(process.env.IDLE_MS ?? 10_000)

function rssOfListener(port: string): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' })
  const pid = /pid=(\d+)/.exec(out)?.[1]
  if (!pid) throw new Error(`no process listens on ${port}`)
  const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' })
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024
}

export async function gatewayFigures(): Promise<string[]> {
  const pg = await startPostgres()
  const lines: string[] = []
  try {
    const variants = [
      { id: 'node', runtime: 'node', compiled: true },
      { id: 'node_tsx', runtime: 'node', compiled: false },
      { id: 'deno', runtime: 'deno', compiled: false },
    ] as const
    for (const { id, runtime, compiled } of variants) {
      for (const store of ['off', 'sqlite', 'postgres'] as const) {
        const dir = mkdtempSync(join(tmpdir(), 'mailkey-gw-bench-'))
        const env: Record<string, string> = {
          RELAY_DATA_DIR: dir,
          RELAY_GATEWAY: store === 'off' ? '0' : '1',
          ...(store === 'postgres' && { RELAY_DATABASE_URL: await pg.database() }),
        }
        const t0 = performance.now()
        const relay = await startRelay({ runtime, compiled, env })
        const startMs = performance.now() - t0
        await new Promise((r) => setTimeout(r, IDLE_MS))
        const port = new URL(relay.url).port
        const rss = rssOfListener(port)
        await relay.stop()
        rmSync(dir, { recursive: true, force: true })
        const line = { figure: 'gateway_start', runtime: id, store, startMs: Math.round(startMs), rssIdleMb: Math.round(rss * 10) / 10 }
        lines.push(JSON.stringify(line))
        process.stderr.write(`bench: ${id.padEnd(8)} gateway ${store.padEnd(9)} start ${String(line.startMs).padStart(6)} ms  RSS idle ${line.rssIdleMb} MB\n`)
      }
    }
  } finally {
    await pg.stop()
  }
  return lines
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await gatewayFigures()) console.log(line)
}
