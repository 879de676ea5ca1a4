import type pg from 'pg'
import type { InsertJobResult, Job, JobEvent, JobFilter, JobPatch, JobStore, NewJob } from '../job-store.js'
import { lockKey, withTransaction } from './pg-transaction.js'
import { RowCodec } from './pg-row-codec.js'

const jobs = new RowCodec<Job, JobPatch>(['spec', 'cost', 'finalMetrics', 'hyperparameters'], {
  status: true,
  secondaryStatus: true,
  failureReason: true,
  sagemakerJobArn: true,
  billableSeconds: true,
  trainingSeconds: true,
  cost: true,
  finalMetrics: true,
  pid: true,
  pidStart: true,
  exitCode: true,
  logPath: true,
  stopRequested: true,
  stateKey: true,
  lastModifiedAt: true,
  startedAt: true,
  endedAt: true,
  lastEventAt: true,
  hyperparameters: true,
  objective: true
})
const events = new RowCodec<JobEvent, object>([], {})

type EventInput = Omit<JobEvent, 'id' | 'jobId'>
type Q = Pick<pg.PoolClient, 'query'>

async function one (db: Q, text: string, values: unknown[]): Promise<Job | undefined> {
  const r = (await db.query<Record<string, unknown>>(text, values)).rows[0]
  return r === undefined ? undefined : jobs.decode(r)
}

async function insertEvent (c: Q, jobId: string, e: EventInput): Promise<JobEvent> {
  const r = await c.query<{ id: number }>('INSERT INTO job_events (job_id, at, status, secondary_status, message, source) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [jobId, e.at, e.status, e.secondaryStatus, e.message, e.source])
  return { id: r.rows[0]?.id ?? 0, jobId, ...e }
}

/**
 * Jobs on the run log's PostgreSQL database (tables from pg-job-migrations.ts, applied by
 * PgStore.open). Deciding transactions lock what they decide on: the idempotency key or trial
 * index on insert (advisory), the job's row on update, so its events keep their order.
 */
export class PgJobStore implements JobStore {
  private readonly pool: pg.Pool

  constructor (pool: pg.Pool) {
    this.pool = pool
  }

  async insert (n: NewJob, event: EventInput): Promise<InsertJobResult> {
    return await withTransaction(this.pool, async (c): Promise<InsertJobResult> => {
      if (n.idempotencyKey !== null) {
        await lockKey(c, `job:${n.projectId}:${n.idempotencyKey}`)
        const existing = await one(c, 'SELECT * FROM jobs WHERE project_id = $1 AND idempotency_key = $2', [n.projectId, n.idempotencyKey])
        if (existing !== undefined) return { created: false, job: existing }
      }
      if (n.trial !== undefined) {
        // A trial is recorded once per (tuning job, index), whoever saw it first (search loop, tracker, claim).
        await lockKey(c, `trial:${n.trial.tuningJobId}:${n.trial.index}`)
        const existing = await one(c, 'SELECT * FROM jobs WHERE tuning_job_id = $1 AND trial_index = $2', [n.trial.tuningJobId, n.trial.index])
        if (existing !== undefined) return { created: false, job: existing }
      }
      const job = await one(c, `INSERT INTO jobs (id, project_id, run_id, backend, name, spec, status, sagemaker_job_name, region, idempotency_key,
        request_hash, created_at, updated_at, tuning_job_id, trial_index, hyperparameters)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15) RETURNING *`,
      [n.id, n.projectId, n.runId, n.backend, n.name, JSON.stringify(n.spec), event.status, n.sagemakerJobName, n.region, n.idempotencyKey,
        n.requestHash, n.createdAt, n.trial?.tuningJobId ?? null, n.trial?.index ?? null, jobs.encode('hyperparameters', n.trial?.hyperparameters ?? null)])
      if (job === undefined) throw new Error(`job ${n.id} missing`)
      await insertEvent(c, n.id, event)
      return { created: true, job }
    })
  }

  async get (id: string): Promise<Job | undefined> {
    return await one(this.pool, 'SELECT * FROM jobs WHERE id = $1', [id])
  }

  async getBySageMakerName (name: string): Promise<Job | undefined> {
    return await one(this.pool, 'SELECT * FROM jobs WHERE sagemaker_job_name = $1', [name])
  }

  async list (projectId: string, f: JobFilter): Promise<Job[]> {
    const rows = (await this.pool.query<Record<string, unknown>>(`SELECT * FROM jobs WHERE project_id = $1
        AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR backend = $3) AND ($4::text IS NULL OR run_id = $4)
        AND ($5::bigint IS NULL OR created_at < $5 OR (created_at = $5 AND id < $6))
      ORDER BY created_at DESC, id DESC LIMIT $7`,
    [projectId, f.status ?? null, f.backend ?? null, f.runId ?? null, f.after?.createdAt ?? null, f.after?.id ?? null, f.limit])).rows
    return rows.map(r => jobs.decode(r))
  }

  async active (backend: Job['backend']): Promise<Job[]> {
    const rows = (await this.pool.query<Record<string, unknown>>(`SELECT * FROM jobs WHERE backend = $1
      AND status NOT IN ('COMPLETED','FAILED','STOPPED','TIMED_OUT') ORDER BY created_at`, [backend])).rows
    return rows.map(r => jobs.decode(r))
  }

  async update (id: string, patch: JobPatch, event?: Omit<EventInput, 'status' | 'secondaryStatus'>): Promise<{ job: Job, event: JobEvent | null }> {
    return await withTransaction(this.pool, async c => {
      const before = await one(c, 'SELECT * FROM jobs WHERE id = $1 FOR UPDATE', [id])
      if (before === undefined) throw new Error(`job ${id} missing`)
      const now = event?.at ?? Date.now()
      const { text, values } = jobs.update('jobs', id, patch, now)
      const job = await one(c, text, values)
      if (job === undefined) throw new Error(`job ${id} missing`)
      let recorded: JobEvent | null = null
      if (job.status !== before.status || job.secondaryStatus !== before.secondaryStatus) {
        recorded = await insertEvent(c, id, { at: now, status: job.status, secondaryStatus: job.secondaryStatus, message: event?.message ?? null, source: event?.source ?? 'unknown' })
      }
      return { job, event: recorded }
    })
  }

  async events (jobId: string, afterId = 0): Promise<JobEvent[]> {
    const rows = (await this.pool.query<Record<string, unknown>>('SELECT * FROM job_events WHERE job_id = $1 AND id > $2 ORDER BY id', [jobId, afterId])).rows
    return rows.map(r => events.decode(r))
  }

  async trials (tuningJobId: string): Promise<Job[]> {
    const rows = (await this.pool.query<Record<string, unknown>>('SELECT * FROM jobs WHERE tuning_job_id = $1 ORDER BY trial_index', [tuningJobId])).rows
    return rows.map(r => jobs.decode(r))
  }
}
