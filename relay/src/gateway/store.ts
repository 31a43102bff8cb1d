/**
 * The gateway's store: one schema (schema.ts, migrations.ts) on either backend.
 *
 * - Embedded (RELAY_DATABASE_URL unset): SQLite in `RELAY_DATA_DIR/gateway.sqlite`, WAL with
 *   `synchronous=FULL` so a committed row survives `kill -9` and power loss; better-sqlite3 on
 *   Node, `node:sqlite` on Deno (sqlite-deno.ts). One process writes at a time.
 * - PostgreSQL (RELAY_DATABASE_URL=postgres://…): `pg`'s pool, shared by any number of relay
 *   instances.
 *
 * Both through Kysely, so every query is written once. Drivers are imported only when used.
 *
 * @module
 */
import { chmodSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely'
import { migrate } from './migrations.ts'
import type { GatewayDatabase } from './schema.ts'
import { openNodeSqlite } from './sqlite-deno.ts'

export type StoreKind = 'sqlite' | 'postgres'

export interface Store {
  db: Kysely<GatewayDatabase>
  kind: StoreKind
  /** Where it is, for start-up lines: the SQLite file, or the server without user/password. */
  where: string
  close(): Promise<void>
}

export interface StoreOptions {
  /** RELAY_DATABASE_URL; the embedded store when absent. */
  databaseUrl?: string
  /** RELAY_DATA_DIR: where the embedded store lives. */
  dataDir: string
  /** Largest pool for PostgreSQL (default 5). */
  maxConnections?: number
}

export const SQLITE_FILE = 'gateway.sqlite'

const isDeno = () => typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined'

/** Opens the store and applies pending migrations. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const store = opts.databaseUrl ? await openPostgres(opts.databaseUrl, opts.maxConnections ?? 5) : await openSqlite(opts.dataDir)
  try {
    await migrate(store.db as Kysely<unknown>)
  } catch (err) {
    await store.close().catch(() => undefined)
    throw err
  }
  return store
}

/** PRAGMAs of every embedded connection: durable commits, a writer waits instead of failing. */
const SQLITE_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = FULL',
  'busy_timeout = 5000',
  'foreign_keys = ON',
]

async function openSqlite(dataDir: string): Promise<Store> {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, SQLITE_FILE)
  let database: SqliteDatabase
  if (isDeno()) {
    const db = await openNodeSqlite(file)
    for (const p of SQLITE_PRAGMAS) db.exec(`PRAGMA ${p}`)
    database = db
  } else {
    const specifier = 'better-sqlite3'
    const { default: Database } = (await import(specifier)) as { default: typeof import('better-sqlite3') }
    const db = new Database(file)
    for (const p of SQLITE_PRAGMAS) db.pragma(p)
    database = db as unknown as SqliteDatabase
  }
  // Encrypted secrets and password hashes: readable by the relay's user only (SQLite gives its
  // -wal and -shm files the database file's mode).
  chmodSync(file, 0o600)
  const db = new Kysely<GatewayDatabase>({ dialect: new SqliteDialect({ database }) })
  return { db, kind: 'sqlite', where: file, close: () => db.destroy() }
}

async function openPostgres(url: string, max: number): Promise<Store> {
  const specifier = 'pg'
  const pg = ((await import(specifier)) as { default: typeof import('pg') }).default
  // bigint (int8) columns hold milliseconds, well inside a double's exact range.
  const int8 = (v: string) => Number(v)
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? int8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  })
  // An idle client's network error is emitted on the pool: without a listener it would end the
  // process; the next query reconnects.
  pool.on('error', () => undefined)
  const db = new Kysely<GatewayDatabase>({ dialect: new PostgresDialect({ pool }) })
  return { db, kind: 'postgres', where: redactUrl(url), close: () => db.destroy() }
}

/** `postgres://user:pw@host:5432/db` → `postgres://host:5432/db`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    u.search = ''
    return u.toString()
  } catch {
    return 'postgres://…'
  }
}
