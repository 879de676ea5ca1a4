import type Database from 'better-sqlite3'
import type { NewTuningJob, TuningJob, TuningPatch, TuningStatus, TuningStore } from '../tuning-store.js'
import { statementCache, type Stmt } from './statement-cache.js'
import { patchAssignments, type PatchColumns } from './patch-columns.js'

interface Row {
  id: string
  project_id: string
  run_id: string
  backend: TuningJob['backend']
  name: string
  spec: string
  status: TuningStatus
  failure_reason: string | null
  sagemaker_name: string | null
  sagemaker_arn: string | null
  token_hash: string
  counters: string | null
  best_job_id: string | null
  stop_requested: number
  idempotency_key: string | null
  request_hash: string | null
  created_at: number
  updated_at: number
  ended_at: number | null
}

const toTuning = (r: Row): TuningJob => ({
  id: r.id,
  projectId: r.project_id,
  runId: r.run_id,
  backend: r.backend,
  name: r.name,
  spec: JSON.parse(r.spec) as Record<string, unknown>,
  status: r.status,
  failureReason: r.failure_reason,
  sagemakerName: r.sagemaker_name,
  sagemakerArn: r.sagemaker_arn,
  tokenHash: r.token_hash,
  counters: r.counters === null ? null : JSON.parse(r.counters) as TuningJob['counters'],
  bestJobId: r.best_job_id,
  stopRequested: r.stop_requested !== 0,
  idempotencyKey: r.idempotency_key,
  requestHash: r.request_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  endedAt: r.ended_at
})

const COLUMNS: PatchColumns<TuningPatch> = {
  status: ['status', v => v],
  failureReason: ['failure_reason', v => v],
  sagemakerArn: ['sagemaker_arn', v => v],
  counters: ['counters', v => v === null ? null : JSON.stringify(v)],
  bestJobId: ['best_job_id', v => v],
  stopRequested: ['stop_requested', v => v === true ? 1 : 0],
  endedAt: ['ended_at', v => v]
}

/** Tuning jobs on the run log's SQLite file (tables from job-migrations.ts v2). */
export class SqliteTuningStore implements TuningStore {
  private readonly db: Database.Database
  private readonly stmt: Stmt

  constructor (db: Database.Database) {
    this.db = db
    this.stmt = statementCache(db)
  }

  async insert (n: NewTuningJob): Promise<{ created: boolean, tuning: TuningJob }> {
    const tx = this.db.transaction((): { created: boolean, tuning: TuningJob } => {
      if (n.idempotencyKey !== null) {
        const existing = this.stmt('SELECT * FROM tuning_jobs WHERE project_id = ? AND idempotency_key = ?').get(n.projectId, n.idempotencyKey) as Row | undefined
        if (existing !== undefined) return { created: false, tuning: toTuning(existing) }
      }
      this.stmt(`INSERT INTO tuning_jobs (id, project_id, run_id, backend, name, spec, status, sagemaker_name, token_hash, idempotency_key, request_hash, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, 'SUBMITTING', ?, ?, ?, ?, ?, ?)`).run(n.id, n.projectId, n.runId, n.backend, n.name, JSON.stringify(n.spec),
        n.sagemakerName, n.tokenHash, n.idempotencyKey, n.requestHash, n.createdAt, n.createdAt)
      return { created: true, tuning: this.row(n.id) }
    })
    return tx.immediate()
  }

  async get (id: string): Promise<TuningJob | undefined> {
    const r = this.stmt('SELECT * FROM tuning_jobs WHERE id = ?').get(id) as Row | undefined
    return r === undefined ? undefined : toTuning(r)
  }

  async list (projectId: string, f: { limit: number, after?: { createdAt: number, id: string } }): Promise<TuningJob[]> {
    const rows = f.after === undefined
      ? this.stmt('SELECT * FROM tuning_jobs WHERE project_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(projectId, f.limit)
      : this.stmt('SELECT * FROM tuning_jobs WHERE project_id = ? AND (created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(projectId, f.after.createdAt, f.after.createdAt, f.after.id, f.limit)
    return (rows as Row[]).map(toTuning)
  }

  async active (): Promise<TuningJob[]> {
    return (this.stmt("SELECT * FROM tuning_jobs WHERE status NOT IN ('COMPLETED','FAILED','STOPPED') ORDER BY created_at").all() as Row[]).map(toTuning)
  }

  async update (id: string, patch: TuningPatch): Promise<TuningJob> {
    const { sets, values } = patchAssignments(COLUMNS, patch)
    sets.push('updated_at = ?')
    values.push(Date.now())
    this.db.prepare(`UPDATE tuning_jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id)
    return this.row(id)
  }

  private row (id: string): TuningJob {
    const r = this.stmt('SELECT * FROM tuning_jobs WHERE id = ?').get(id) as Row | undefined
    if (r === undefined) throw new Error(`tuning job ${id} missing`)
    return toTuning(r)
  }
}
