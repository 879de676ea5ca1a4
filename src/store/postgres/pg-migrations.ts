import type pg from 'pg'
import { withTransaction } from './pg-transaction.js'

export interface PgMigration { version: number, sql: string }
export interface MigrationHistory { table: string, what: string, migrations: PgMigration[] }

/**
 * Identifiers and keys compare and sort bytewise, as SQLite's TEXT does, whatever collation the
 * database was created with (listings page by `id <`, and both backends must agree on the order).
 */
export const KEY = 'TEXT COLLATE "C"'

/**
 * The run-log schema, versioned as SQLite's (migrations.ts) is. Version 1 is SQLite's v5 shape at
 * once: PostgreSQL has no older release to upgrade. Append new versions; never edit a shipped one.
 * JSON columns are TEXT holding the JSON as written: JSONB would reorder an entry's object keys,
 * and records are numbered (`idx`) in that order.
 */
const CORE_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE projects (id ${KEY} PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL);
      CREATE TABLE api_keys (
        id ${KEY} PRIMARY KEY, project_id ${KEY} NOT NULL REFERENCES projects(id),
        role TEXT NOT NULL CHECK (role IN ('admin','write','read')),
        hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL
      );
      CREATE TABLE runs (
        id ${KEY} PRIMARY KEY, project_id ${KEY} NOT NULL REFERENCES projects(id),
        name TEXT NOT NULL, experiment TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('RUNNING','FINISHED','FAILED','KILLED')),
        tags TEXT NOT NULL DEFAULT '{}', job_name TEXT, parent_run_id ${KEY}, run_group TEXT,
        head_seq BIGINT NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL, ended_at BIGINT, token_hash TEXT NOT NULL
      );
      CREATE INDEX runs_by_project ON runs (project_id, created_at DESC, id DESC);
      CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
      CREATE TABLE run_log (
        run_id ${KEY} NOT NULL, seq BIGINT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      CREATE TABLE ingest_batches (
        run_id ${KEY} NOT NULL, batch_id ${KEY} NOT NULL, seq BIGINT NOT NULL, accepted INTEGER NOT NULL,
        PRIMARY KEY (run_id, batch_id)
      );
      CREATE TABLE run_params (
        run_id ${KEY} NOT NULL, key ${KEY} NOT NULL, value TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('string','number','boolean','null','array','object')),
        PRIMARY KEY (run_id, key)
      );
      CREATE TABLE sink_cursors (
        sink ${KEY} NOT NULL, run_id ${KEY} NOT NULL,
        delivered_seq BIGINT NOT NULL DEFAULT 0, state TEXT,
        status TEXT NOT NULL DEFAULT 'healthy' CHECK (status IN ('healthy','degraded','paused')),
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL DEFAULT 0,
        wake_at BIGINT, last_error TEXT, last_error_code TEXT, updated_at BIGINT NOT NULL,
        PRIMARY KEY (sink, run_id)
      );
      CREATE INDEX sink_cursors_by_run ON sink_cursors (run_id);
      CREATE INDEX sink_cursors_due ON sink_cursors (next_attempt_at) WHERE status != 'paused';
      CREATE TABLE dead_letters (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, sink ${KEY} NOT NULL, run_id ${KEY} NOT NULL,
        seq BIGINT NOT NULL, idx BIGINT NOT NULL, record TEXT NOT NULL,
        code TEXT NOT NULL, message TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'dead' CHECK (status IN ('dead','replay')),
        attempts INTEGER NOT NULL DEFAULT 1, created_at BIGINT NOT NULL,
        UNIQUE (sink, run_id, seq, idx)
      );
      CREATE INDEX dead_letters_by_run ON dead_letters (run_id, sink, status);
      CREATE TABLE sink_targets (
        project_id ${KEY} NOT NULL REFERENCES projects(id), sink ${KEY} NOT NULL,
        config TEXT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (project_id, sink)
      );
      CREATE TABLE ingest_offsets (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id ${KEY} NOT NULL, file TEXT NOT NULL,
        consumed BIGINT NOT NULL, pending BIGINT, dead_at BIGINT, updated_at BIGINT NOT NULL,
        UNIQUE (run_id, file)
      );
    `
  },
  {
    // Leases (lease-store.ts): who works on a partition, job or tuning job, until when, under
    // which fencing token. Tokens only grow, per name, across holders.
    version: 2,
    sql: `
      CREATE TABLE leases (
        name ${KEY} PRIMARY KEY, owner TEXT NOT NULL, token BIGINT NOT NULL, until BIGINT NOT NULL
      );
      CREATE INDEX leases_by_owner ON leases (owner);
    `
  }
]

export const CORE_HISTORY: MigrationHistory = { table: 'schema_migrations', what: 'database', migrations: CORE_MIGRATIONS }

/** Any 64-bit constant of ours: the lock every replica's migration takes. */
const MIGRATION_LOCK = 0x7472_6163_6b67

/**
 * Bring every history up to date in one transaction, under a transaction-level advisory lock:
 * replicas starting at once queue on the lock, and each one after the first finds the versions
 * recorded and applies nothing. DDL is transactional here, so a failed migration leaves no trace.
 */
export async function migratePg (pool: pg.Pool, histories: MigrationHistory[]): Promise<void> {
  await withTransaction(pool, async c => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    for (const h of histories) {
      await c.query(`CREATE TABLE IF NOT EXISTS ${h.table} (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`)
      const row = await c.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${h.table}`)
      const current = row.rows[0]?.v ?? 0
      const latest = h.migrations[h.migrations.length - 1]?.version ?? 0
      if (current > latest) throw new Error(`the ${h.what} schema (v${current}) is newer than this gateway (v${latest}); upgrade the gateway`)
      for (const m of h.migrations) {
        if (m.version <= current) continue
        await c.query(m.sql)
        await c.query(`INSERT INTO ${h.table} (version, applied_at) VALUES ($1, $2)`, [m.version, Date.now()])
      }
    }
  })
}
