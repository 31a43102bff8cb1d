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
  '0002_devices_queue': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('mailbox_id', 'text', (c) => c.notNull())
        .addColumn('smtp_username', 'text', (c) => c.unique())
        .addColumn('smtp_password_hash', 'text')
        .addColumn('allow_ips', 'text')
        .addColumn('api_key_id', 'text', (c) => c.unique())
        .addColumn('api_key_hash', 'text')
        .addColumn('from_policy', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint')
        .execute()
      await db.schema
        .createTable('messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text')
        .addColumn('mailbox_id', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('mail_from', 'text', (c) => c.notNull())
        .addColumn('rcpt_to', 'text', (c) => c.notNull())
        .addColumn('header_from', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('last_reply', 'text')
        .addColumn('last_error', 'text')
        .addColumn('possible_duplicate', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('eight_bit', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .execute()
      await db.schema
        .createIndex('messages_due')
        .on('messages')
        .columns(['state', 'next_attempt_at'])
        .execute()
      await db.schema.createIndex('messages_mailbox').on('messages').columns(['mailbox_id', 'state']).execute()
      // bytea on PostgreSQL; SQLite keeps a BLOB as it is whatever the declared type.
      await db.schema
        .createTable('message_bodies')
        .addColumn('message_id', 'text', (c) => c.primaryKey())
        .addColumn('raw', 'bytea', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reply', 'text')
        .addColumn('transcript', 'text')
        .execute()
      await db.schema.createIndex('attempts_message').on('attempts').column('message_id').execute()
      await db.schema
        .createTable('mailbox_slots')
        .addColumn('mailbox_id', 'text', (c) => c.notNull())
        .addColumn('slot', 'integer', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('until', 'bigint')
        .addPrimaryKeyConstraint('mailbox_slots_pk', ['mailbox_id', 'slot'])
        .execute()
      await db.schema
        .createTable('mailbox_rate')
        .addColumn('mailbox_id', 'text', (c) => c.primaryKey())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .execute()
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
