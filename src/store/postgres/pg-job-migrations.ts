import { KEY, type MigrationHistory } from './pg-migrations.js'

/**
 * The jobs and tuning tables, versioned apart from the run-log schema (`job_migrations`), as on
 * SQLite (job-migrations.ts); v1 is SQLite's v2 shape. Append; never edit a shipped one.
 */
export const JOB_HISTORY: MigrationHistory = {
  table: 'job_migrations',
  what: 'jobs',
  migrations: [
    {
      version: 1,
      sql: `
      CREATE TABLE jobs (
        id ${KEY} PRIMARY KEY, project_id ${KEY} NOT NULL REFERENCES projects(id), run_id ${KEY} NOT NULL,
        backend TEXT NOT NULL CHECK (backend IN ('sagemaker','local')), name TEXT NOT NULL, spec TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('SUBMITTING','PENDING','RUNNING','STOPPING','COMPLETED','FAILED','STOPPED','TIMED_OUT')),
        secondary_status TEXT, failure_reason TEXT,
        sagemaker_job_name TEXT, sagemaker_job_arn TEXT, region TEXT,
        billable_seconds BIGINT, training_seconds BIGINT, cost TEXT, final_metrics TEXT NOT NULL DEFAULT '[]',
        idempotency_key TEXT, request_hash TEXT,
        pid INTEGER, pid_start TEXT, exit_code INTEGER, log_path TEXT,
        stop_requested BOOLEAN NOT NULL DEFAULT false,
        state_key TEXT, last_modified_at BIGINT,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, started_at BIGINT, ended_at BIGINT, last_event_at BIGINT,
        tuning_job_id ${KEY}, trial_index INTEGER, hyperparameters TEXT, objective DOUBLE PRECISION,
        UNIQUE (project_id, idempotency_key)
      );
      CREATE INDEX jobs_by_project ON jobs (project_id, created_at DESC, id DESC);
      CREATE INDEX jobs_active ON jobs (backend, status);
      CREATE UNIQUE INDEX jobs_by_sagemaker_name ON jobs (sagemaker_job_name) WHERE sagemaker_job_name IS NOT NULL;
      CREATE UNIQUE INDEX jobs_by_trial ON jobs (tuning_job_id, trial_index) WHERE tuning_job_id IS NOT NULL;
      CREATE TABLE job_events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, job_id ${KEY} NOT NULL REFERENCES jobs(id),
        at BIGINT NOT NULL, status TEXT NOT NULL, secondary_status TEXT, message TEXT, source TEXT NOT NULL
      );
      CREATE INDEX job_events_by_job ON job_events (job_id, id);
      CREATE TABLE tuning_jobs (
        id ${KEY} PRIMARY KEY, project_id ${KEY} NOT NULL REFERENCES projects(id), run_id ${KEY} NOT NULL,
        backend TEXT NOT NULL CHECK (backend IN ('sagemaker','local')), name TEXT NOT NULL, spec TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('SUBMITTING','RUNNING','STOPPING','COMPLETED','FAILED','STOPPED')),
        failure_reason TEXT, sagemaker_name TEXT, sagemaker_arn TEXT, token_hash TEXT NOT NULL,
        counters TEXT, best_job_id TEXT, stop_requested BOOLEAN NOT NULL DEFAULT false,
        idempotency_key TEXT, request_hash TEXT,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, ended_at BIGINT,
        UNIQUE (project_id, idempotency_key)
      );
      CREATE INDEX tuning_jobs_by_project ON tuning_jobs (project_id, created_at DESC, id DESC);
      CREATE UNIQUE INDEX tuning_jobs_by_sagemaker_name ON tuning_jobs (sagemaker_name) WHERE sagemaker_name IS NOT NULL;
    `
    }
  ]
}
