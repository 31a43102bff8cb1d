/**
 * `node:sqlite` (Deno has it; Node 20 does not) shaped as the `better-sqlite3` database that
 * Kysely's SqliteDialect drives: `prepare(sql)` returning a statement with `reader`, `all`,
 * `run` and `iterate`, parameters passed as one array.
 *
 * @module
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely'

/** What this file uses of `node:sqlite`'s DatabaseSync. */
interface NodeSqliteDatabase {
  exec(sql: string): void
  prepare(sql: string): NodeSqliteStatement
  close(): void
}
interface NodeSqliteStatement {
  all(...params: unknown[]): unknown[]
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint }
  iterate(...params: unknown[]): IterableIterator<unknown>
}

/** Statements that return rows: Kysely calls `all` for these and `run` for the others. */
const READER = /^\s*(?:select|with|pragma|values|explain)\b|\breturning\b/i

export async function openNodeSqlite(path: string): Promise<SqliteDatabase & { exec(sql: string): void }> {
  // A variable specifier: Node 20's type checker and bundlers must not resolve it.
  const specifier = 'node:sqlite'
  const { DatabaseSync } = (await import(specifier)) as {
    DatabaseSync: new (path: string) => NodeSqliteDatabase
  }
  const db = new DatabaseSync(path)
  return {
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      const stmt = db.prepare(sql)
      return {
        reader: READER.test(sql),
        all: (params) => stmt.all(...params.map(bindable)),
        run: (params) => stmt.run(...params.map(bindable)),
        iterate: (params) => stmt.iterate(...params.map(bindable)),
      }
    },
  }
}

/** better-sqlite3 binds booleans as integers; node:sqlite refuses them. */
function bindable(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v
}
