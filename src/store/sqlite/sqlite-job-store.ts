import type Database from 'better-sqlite3'
import type { InsertJobResult, Job, JobEvent, JobFilter, JobPatch, JobStatus, JobStore, NewJob } from '../job-store.js'
import { migrateJobs } from './job-migrations.js'
import { statementCache, type Stmt } from './statement-cache.js'
import { patchAssignments, type PatchColumns } from './patch-columns.js'

interface JobRow {
  id: string
  project_id: string
  run_id: string
  backend: Job['backend']
  name: string
  spec: string
  status: JobStatus
  secondary_status: string | null
  failure_reason: string | null
  sagemaker_job_name: string | null
  sagemaker_job_arn: string | null
  region: string | null
  billable_seconds: number | null
  training_seconds: number | null
  cost: string | null
  final_metrics: string
  idempotency_key: string | null
  request_hash: string | null
  pid: number | null
  pid_start: string | null
  exit_code: number | null
  log_path: string | null
  stop_requested: number
  state_key: string | null
  last_modified_at: number | null
  created_at: number
  updated_at: number
  started_at: number | null
  ended_at: number | null
  last_event_at: number | null
  tuning_job_id: string | null
  trial_index: number | null
  hyperparameters: string | null
  objective: number | null
}

interface EventRow { id: number, job_id: string, at: number, status: JobStatus, secondary_status: string | null, message: string | null, source: string }

const toJob = (r: JobRow): Job => ({
  id: r.id,
  projectId: r.project_id,
  runId: r.run_id,
  backend: r.backend,
  name: r.name,
  spec: JSON.parse(r.spec) as Record<string, unknown>,
  status: r.status,
  secondaryStatus: r.secondary_status,
  failureReason: r.failure_reason,
  sagemakerJobName: r.sagemaker_job_name,
  sagemakerJobArn: r.sagemaker_job_arn,
  region: r.region,
  billableSeconds: r.billable_seconds,
  trainingSeconds: r.training_seconds,
  cost: r.cost === null ? null : JSON.parse(r.cost) as Job['cost'],
  finalMetrics: JSON.parse(r.final_metrics) as Job['finalMetrics'],
  idempotencyKey: r.idempotency_key,
  requestHash: r.request_hash,
  pid: r.pid,
  pidStart: r.pid_start,
  exitCode: r.exit_code,
  logPath: r.log_path,
  stopRequested: r.stop_requested !== 0,
  stateKey: r.state_key,
  lastModifiedAt: r.last_modified_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  lastEventAt: r.last_event_at,
  tuningJobId: r.tuning_job_id,
  trialIndex: r.trial_index,
  hyperparameters: r.hyperparameters === null ? null : JSON.parse(r.hyperparameters) as Job['hyperparameters'],
  objective: r.objective
})

const toEvent = (r: EventRow): JobEvent => ({ id: r.id, jobId: r.job_id, at: r.at, status: r.status, secondaryStatus: r.secondary_status, message: r.message, source: r.source })

/** Patch field → column, and how a value is stored. */
const COLUMNS: PatchColumns<JobPatch> = {
  status: ['status', v => v],
  secondaryStatus: ['secondary_status', v => v],
  failureReason: ['failure_reason', v => v],
  sagemakerJobArn: ['sagemaker_job_arn', v => v],
  billableSeconds: ['billable_seconds', v => v],
  trainingSeconds: ['training_seconds', v => v],
  cost: ['cost', v => v === null ? null : JSON.stringify(v)],
  finalMetrics: ['final_metrics', v => JSON.stringify(v)],
  pid: ['pid', v => v],
  pidStart: ['pid_start', v => v],
  exitCode: ['exit_code', v => v],
  logPath: ['log_path', v => v],
  stopRequested: ['stop_requested', v => v === true ? 1 : 0],
  stateKey: ['state_key', v => v],
  lastModifiedAt: ['last_modified_at', v => v],
  startedAt: ['started_at', v => v],
  endedAt: ['ended_at', v => v],
  lastEventAt: ['last_event_at', v => v],
  hyperparameters: ['hyperparameters', v => v === null ? null : JSON.stringify(v)],
  objective: ['objective', v => v]
}

/** Jobs on the run log's SQLite file (same connection: one writer, no cross-file transactions). */
export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database
  private readonly stmt: Stmt

  constructor (db: Database.Database) {
    this.db = db
    this.stmt = statementCache(db)
    migrateJobs(db)
  }

  async insert (n: NewJob, event: Omit<JobEvent, 'id' | 'jobId'>): Promise<InsertJobResult> {
    const tx = this.db.transaction((): InsertJobResult => {
      if (n.idempotencyKey !== null) {
        const existing = this.stmt('SELECT * FROM jobs WHERE project_id = ? AND idempotency_key = ?').get(n.projectId, n.idempotencyKey) as JobRow | undefined
        if (existing !== undefined) return { created: false, job: toJob(existing) }
      }
      if (n.trial !== undefined) {
        // A trial is recorded once per (tuning job, index), whoever saw it first (search loop, tracker, claim).
        const existing = this.stmt('SELECT * FROM jobs WHERE tuning_job_id = ? AND trial_index = ?').get(n.trial.tuningJobId, n.trial.index) as JobRow | undefined
        if (existing !== undefined) return { created: false, job: toJob(existing) }
      }
      this.stmt(`INSERT INTO jobs (id, project_id, run_id, backend, name, spec, status, sagemaker_job_name, region, idempotency_key, request_hash, created_at, updated_at,
        tuning_job_id, trial_index, hyperparameters)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(n.id, n.projectId, n.runId, n.backend, n.name, JSON.stringify(n.spec), event.status,
        n.sagemakerJobName, n.region, n.idempotencyKey, n.requestHash, n.createdAt, n.createdAt,
        n.trial?.tuningJobId ?? null, n.trial?.index ?? null, n.trial === undefined ? null : JSON.stringify(n.trial.hyperparameters))
      this.insertEvent(n.id, event)
      return { created: true, job: this.row(n.id) }
    })
    // better-sqlite3 runs the transaction synchronously: two requests with one key cannot interleave.
    return tx.immediate()
  }

  async get (id: string): Promise<Job | undefined> {
    const r = this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined
    return r === undefined ? undefined : toJob(r)
  }

  async getBySageMakerName (name: string): Promise<Job | undefined> {
    const r = this.stmt('SELECT * FROM jobs WHERE sagemaker_job_name = ?').get(name) as JobRow | undefined
    return r === undefined ? undefined : toJob(r)
  }

  async list (projectId: string, f: JobFilter): Promise<Job[]> {
    const where = ['project_id = @projectId']
    if (f.status !== undefined) where.push('status = @status')
    if (f.backend !== undefined) where.push('backend = @backend')
    if (f.runId !== undefined) where.push('run_id = @runId')
    if (f.after !== undefined) where.push('(created_at < @afterAt OR (created_at = @afterAt AND id < @afterId))')
    const rows = this.stmt(`SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT @limit`).all({
      projectId, status: f.status, backend: f.backend, runId: f.runId, afterAt: f.after?.createdAt, afterId: f.after?.id, limit: f.limit
    }) as JobRow[]
    return rows.map(toJob)
  }

  async active (backend: Job['backend']): Promise<Job[]> {
    const rows = this.stmt('SELECT * FROM jobs WHERE backend = ? AND status NOT IN (\'COMPLETED\',\'FAILED\',\'STOPPED\',\'TIMED_OUT\') ORDER BY created_at').all(backend) as JobRow[]
    return rows.map(toJob)
  }

  async update (id: string, patch: JobPatch, event?: Omit<JobEvent, 'id' | 'jobId' | 'status' | 'secondaryStatus'>): Promise<{ job: Job, event: JobEvent | null }> {
    const tx = this.db.transaction((): { job: Job, event: JobEvent | null } => {
      const before = this.row(id)
      const { sets, values } = patchAssignments(COLUMNS, patch)
      const now = event?.at ?? Date.now()
      sets.push('updated_at = ?')
      values.push(now)
      this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id)
      const job = this.row(id)
      let recorded: JobEvent | null = null
      if (job.status !== before.status || job.secondaryStatus !== before.secondaryStatus) {
        recorded = this.insertEvent(id, { at: now, status: job.status, secondaryStatus: job.secondaryStatus, message: event?.message ?? null, source: event?.source ?? 'unknown' })
      }
      return { job, event: recorded }
    })
    return tx.immediate()
  }

  async events (jobId: string, afterId = 0): Promise<JobEvent[]> {
    return (this.stmt('SELECT * FROM job_events WHERE job_id = ? AND id > ? ORDER BY id').all(jobId, afterId) as EventRow[]).map(toEvent)
  }

  async trials (tuningJobId: string): Promise<Job[]> {
    return (this.stmt('SELECT * FROM jobs WHERE tuning_job_id = ? ORDER BY trial_index').all(tuningJobId) as JobRow[]).map(toJob)
  }

  private row (id: string): Job {
    const r = this.stmt('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined
    if (r === undefined) throw new Error(`job ${id} missing`)
    return toJob(r)
  }

  private insertEvent (jobId: string, e: Omit<JobEvent, 'id' | 'jobId'>): JobEvent {
    const info = this.stmt('INSERT INTO job_events (job_id, at, status, secondary_status, message, source) VALUES (?, ?, ?, ?, ?, ?)')
      .run(jobId, e.at, e.status, e.secondaryStatus, e.message, e.source)
    return { id: Number(info.lastInsertRowid), jobId, ...e }
  }
}
