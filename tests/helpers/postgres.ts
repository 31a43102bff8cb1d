/**
 * A real, throwaway PostgreSQL server for tests: Debian's binaries (`/usr/lib/postgresql/N/bin`,
 * the `postgresql` package), `initdb` + `pg_ctl` run as the `postgres` user in a temporary
 * folder, listening on 127.0.0.1 at a free port with its socket in that folder, trust auth.
 * `stop()` stops it and removes the folder. Each `database()` is a fresh, empty database.
 *
 * @example
 * const pg = await startPostgres()
 * const url = await pg.database() // postgres://postgres@127.0.0.1:PORT/t_…
 * await pg.stop()
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './ports.ts'

const run = promisify(execFile)

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string
  port: number
  /** The cluster's data folder (tests read its files to prove no secret is stored in clear). */
  dataDir: string
  /** Runs SQL in `database` with psql as the postgres user; returns its unaligned output. */
  psql(sql: string, database?: string): Promise<string>
  /** Creates an empty database and returns its URL. */
  database(): Promise<string>
  stop(): Promise<void>
}

/** The newest installed server's bin folder, or undefined when the package is missing. */
export function postgresBin(): string | undefined {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return undefined
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(base, versions[0], 'bin') : undefined
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

async function asPostgres(command: string): Promise<string> {
  const { stdout } = await run('su', ['postgres', '-s', '/bin/sh', '-c', command], { timeout: 120_000 })
  return stdout
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin()
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does)')
  const dir = mkdtempSync(join(tmpdir(), 'mailkey-pg-'))
  const { stdout: ids } = await run('id', ['-u', 'postgres'])
  const { stdout: gids } = await run('id', ['-g', 'postgres'])
  chownSync(dir, Number(ids.trim()), Number(gids.trim()))
  const data = join(dir, 'data')
  await asPostgres(`${quote(join(bin, 'initdb'))} -D ${quote(data)} -A trust -U postgres -E UTF8 --no-sync >/dev/null`)
  let port = 0
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`
    try {
      await asPostgres(
        `${quote(join(bin, 'pg_ctl'))} -D ${quote(data)} -l ${quote(join(dir, 'log'))} -w -t 60 -o ${quote(opts)} start >/dev/null`,
      )
      break
    } catch (err) {
      // Another process may have taken the port between the check and the bind.
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true })
        throw err
      }
    }
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const psql = (sql: string, database = 'postgres') =>
    asPostgres(`${quote(join(bin, 'psql'))} -h ${quote(dir)} -p ${port} -U postgres -d ${quote(database)} -qAtc ${quote(sql)}`)
  let stopped = false
  return {
    url,
    port,
    dataDir: data,
    psql,
    async database() {
      const name = `t_${randomBytes(6).toString('hex')}`
      await psql(`CREATE DATABASE ${name}`)
      return `postgres://postgres@127.0.0.1:${port}/${name}`
    },
    async stop() {
      if (stopped) return
      stopped = true
      try {
        await asPostgres(`${quote(join(bin, 'pg_ctl'))} -D ${quote(data)} -m immediate -w stop >/dev/null`)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
