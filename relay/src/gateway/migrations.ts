/**
 * Versioned migrations, run at every start (Kysely's Migrator: a migration table and a lock,
 * so several instances starting on one PostgreSQL apply each step once). Append new steps;
 * never edit one that has shipped.
 *
 * @module
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely'

const MIGRATIONS: Record<string, Migration> = {
  '0001_gateway_core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('admin_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('login_attempts')
        .addColumn('address', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('next_allowed_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('mailboxes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('smtp_host', 'text', (c) => c.notNull())
        .addColumn('smtp_port', 'integer', (c) => c.notNull())
        .addColumn('smtp_security', 'text', (c) => c.notNull())
        .addColumn('token_source', 'text', (c) => c.notNull())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('token_endpoint', 'text', (c) => c.notNull())
        .addColumn('authorize_endpoint', 'text')
        .addColumn('secret_expires', 'text')
        .addColumn('client_secret_enc', 'text', (c) => c.notNull())
        .addColumn('refresh_token_enc', 'text')
        .addColumn('access_token_enc', 'text')
        .addColumn('token_expires_at', 'bigint')
        .addColumn('next_renewal_at', 'bigint')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('account', 'text')
        .addColumn('renew_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('device_code_enc', 'text')
        .addColumn('device_poll_at', 'bigint')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('mailboxes_next_renewal')
        .on('mailboxes')
        .column('next_renewal_at')
        .execute()
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('mailbox_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('threshold_days', 'integer', (c) => c.notNull())
        .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
        .addColumn('message_ja', 'text', (c) => c.notNull())
        .addColumn('message_en', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('mailed_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .execute()
      await db.schema.createIndex('alerts_mailbox').on('alerts').column('mailbox_id').execute()
    },
  },
}

/** The migrations in order (names sort as versions). */
export const MIGRATION_NAMES = Object.keys(MIGRATIONS).sort()

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) }

/** Applies every pending migration; throws with the failing step's name. */
export async function migrate(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`)
  }
}
