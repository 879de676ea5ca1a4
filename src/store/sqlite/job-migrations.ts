import type { Database } from 'better-sqlite3'
import { applyMigrations, type Migration } from './migrations.js'

/**
 * The jobs tables, versioned apart from the run-log schema (their own `job_migrations` table) so
 * the launch side ships migrations without touching `migrations.ts`. Append; never edit a shipped one.
 */
const JOB_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id), run_id TEXT NOT NULL,
        backend TEXT NOT NULL CHECK (backend IN ('sagemaker','local')), name TEXT NOT NULL, spec TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('SUBMITTING','PENDING','RUNNING','STOPPING','COMPLETED','FAILED','STOPPED','TIMED_OUT')),
        secondary_status TEXT, failure_reason TEXT,
        sagemaker_job_name TEXT, sagemaker_job_arn TEXT, region TEXT,
        billable_seconds INTEGER, training_seconds INTEGER, cost TEXT, final_metrics TEXT NOT NULL DEFAULT '[]',
        idempotency_key TEXT, request_hash TEXT,
        pid INTEGER, pid_start TEXT, exit_code INTEGER, log_path TEXT,
        stop_requested INTEGER NOT NULL DEFAULT 0,
        state_key TEXT, last_modified_at INTEGER,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER, last_event_at INTEGER,
        UNIQUE (project_id, idempotency_key)
      );
      CREATE INDEX jobs_by_project ON jobs (project_id, created_at DESC, id DESC);
      CREATE INDEX jobs_active ON jobs (backend, status);
      CREATE UNIQUE INDEX jobs_by_sagemaker_name ON jobs (sagemaker_job_name) WHERE sagemaker_job_name IS NOT NULL;
      CREATE TABLE job_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL REFERENCES jobs(id),
        at INTEGER NOT NULL, status TEXT NOT NULL, secondary_status TEXT, message TEXT, source TEXT NOT NULL
      );
      CREATE INDEX job_events_by_job ON job_events (job_id, id);
    `
  },
  {
    // Hyperparameter tuning: a search, and its trials as jobs linked to it.
    version: 2,
    sql: `
      CREATE TABLE tuning_jobs (
        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES projects(id), run_id TEXT NOT NULL,
        backend TEXT NOT NULL CHECK (backend IN ('sagemaker','local')), name TEXT NOT NULL, spec TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('SUBMITTING','RUNNING','STOPPING','COMPLETED','FAILED','STOPPED')),
        failure_reason TEXT, sagemaker_name TEXT, sagemaker_arn TEXT, token_hash TEXT NOT NULL,
        counters TEXT, best_job_id TEXT, stop_requested INTEGER NOT NULL DEFAULT 0,
        idempotency_key TEXT, request_hash TEXT,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, ended_at INTEGER,
        UNIQUE (project_id, idempotency_key)
      );
      CREATE INDEX tuning_jobs_by_project ON tuning_jobs (project_id, created_at DESC, id DESC);
      CREATE UNIQUE INDEX tuning_jobs_by_sagemaker_name ON tuning_jobs (sagemaker_name) WHERE sagemaker_name IS NOT NULL;
      ALTER TABLE jobs ADD COLUMN tuning_job_id TEXT;
      ALTER TABLE jobs ADD COLUMN trial_index INTEGER;
      ALTER TABLE jobs ADD COLUMN hyperparameters TEXT;
      ALTER TABLE jobs ADD COLUMN objective REAL;
      CREATE UNIQUE INDEX jobs_by_trial ON jobs (tuning_job_id, trial_index) WHERE tuning_job_id IS NOT NULL;
    `
  }
]

export function migrateJobs (db: Database): void {
  applyMigrations(db, 'job_migrations', JOB_MIGRATIONS, 'jobs')
}
