import type { Database } from 'better-sqlite3'

/**
 * Versioned schema. Append new versions; never edit one that has shipped.
 * `run_log` holds one row per entry (an ingest batch or a status change) with its per-run `seq`.
 */
const MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE projects (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
        role TEXT NOT NULL CHECK (role IN ('admin','write','read')),
        hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL
      );
      CREATE TABLE runs (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id),
        name TEXT NOT NULL, experiment TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('RUNNING','FINISHED','FAILED','KILLED')),
        tags TEXT NOT NULL DEFAULT '{}', job_name TEXT,
        head_seq INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL, ended_at INTEGER, token_hash TEXT NOT NULL
      );
      CREATE INDEX runs_by_project ON runs (project_id, created_at DESC, id DESC);
      CREATE TABLE run_log (
        run_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE ingest_batches (
        run_id TEXT NOT NULL, batch_id TEXT NOT NULL, seq INTEGER NOT NULL, accepted INTEGER NOT NULL,
        PRIMARY KEY (run_id, batch_id)
      ) WITHOUT ROWID;
      CREATE TABLE run_params (
        run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;
      CREATE TABLE sink_cursors (
        sink TEXT NOT NULL, run_id TEXT NOT NULL,
        delivered_seq INTEGER NOT NULL DEFAULT 0, state TEXT,
        status TEXT NOT NULL DEFAULT 'healthy' CHECK (status IN ('healthy','degraded','paused')),
        attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0,
        wake_at INTEGER, last_error TEXT, last_error_code TEXT, updated_at INTEGER NOT NULL,
        PRIMARY KEY (sink, run_id)
      ) WITHOUT ROWID;
      CREATE INDEX sink_cursors_by_run ON sink_cursors (run_id);
      CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, run_id TEXT NOT NULL,
        seq INTEGER NOT NULL, idx INTEGER NOT NULL, record TEXT NOT NULL,
        code TEXT NOT NULL, message TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'dead' CHECK (status IN ('dead','replay')),
        attempts INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL,
        UNIQUE (sink, run_id, seq, idx)
      );
      CREATE INDEX dead_letters_by_run ON dead_letters (run_id, sink, status);
    `
  },
  {
    version: 2,
    sql: `
      CREATE TABLE sink_targets (
        project_id TEXT NOT NULL REFERENCES projects(id), sink TEXT NOT NULL,
        config TEXT NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (project_id, sink)
      ) WITHOUT ROWID;
    `
  },
  {
    // Typed params: `value` becomes the param's JSON and `type` its JSON type. Release 0.1 stored
    // strings only, and they stay strings (json_quote), so nothing read back changes on upgrade.
    version: 3,
    sql: `
      ALTER TABLE run_params ADD COLUMN type TEXT NOT NULL DEFAULT 'string'
        CHECK (type IN ('string','number','boolean','null','array','object'));
      UPDATE run_params SET value = json_quote(value);
    `
  },
  {
    // Grouped runs: a tuning trial names its search's run (parent) and the group it belongs to,
    // which sinks show their own way (MLflow nested runs, W&B groups, TensorBoard directories).
    version: 4,
    sql: `
      ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
      ALTER TABLE runs ADD COLUMN run_group TEXT;
      CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
    `
  },
  {
    // Event-file uploads: how far each (run, file) is in the run log (was a JSON file per run
    // beside the database, which a second replica could not see).
    version: 5,
    sql: `
      CREATE TABLE ingest_offsets (
        id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, file TEXT NOT NULL,
        consumed INTEGER NOT NULL, pending INTEGER, dead_at INTEGER, updated_at INTEGER NOT NULL,
        UNIQUE (run_id, file)
      );
    `
  }
]

export interface Migration { version: number, sql: string }

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0

/**
 * Apply `migrations` newer than what `table` records, each in its own transaction. Several
 * modules keep their own versioned history in one database file (core, jobs), each in its table.
 */
export function applyMigrations (db: Database, table: string, migrations: Migration[], what: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`)
  const row = db.prepare(`SELECT MAX(version) AS v FROM ${table}`).get() as { v: number | null }
  const current = row.v ?? 0
  const latest = migrations[migrations.length - 1]?.version ?? 0
  if (current > latest) throw new Error(`the ${what} schema (v${current}) is newer than this gateway (v${latest}); upgrade the gateway`)
  for (const m of migrations) {
    if (m.version <= current) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.prepare(`INSERT INTO ${table} (version, applied_at) VALUES (?, ?)`).run(m.version, Date.now())
    })()
  }
}

export function migrate (db: Database): void {
  applyMigrations(db, 'schema_migrations', MIGRATIONS, 'database')
}
