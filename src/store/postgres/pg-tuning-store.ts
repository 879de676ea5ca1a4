import type pg from 'pg'
import type { NewTuningJob, TuningJob, TuningPatch, TuningStore } from '../tuning-store.js'
import { lockKey, withTransaction } from './pg-transaction.js'
import { RowCodec } from './pg-row-codec.js'

const tunings = new RowCodec<TuningJob, TuningPatch>(['spec', 'counters'], {
  status: true,
  failureReason: true,
  sagemakerArn: true,
  counters: true,
  bestJobId: true,
  stopRequested: true,
  endedAt: true
})

/** Tuning jobs on the run log's PostgreSQL database (tables from pg-job-migrations.ts). */
export class PgTuningStore implements TuningStore {
  private readonly pool: pg.Pool

  constructor (pool: pg.Pool) {
    this.pool = pool
  }

  private async rows (text: string, values: unknown[], db: Pick<pg.PoolClient, 'query'> = this.pool): Promise<TuningJob[]> {
    return (await db.query<Record<string, unknown>>(text, values)).rows.map(r => tunings.decode(r))
  }

  async insert (n: NewTuningJob): Promise<{ created: boolean, tuning: TuningJob }> {
    return await withTransaction(this.pool, async c => {
      if (n.idempotencyKey !== null) {
        await lockKey(c, `tuning:${n.projectId}:${n.idempotencyKey}`)
        const [existing] = await this.rows('SELECT * FROM tuning_jobs WHERE project_id = $1 AND idempotency_key = $2', [n.projectId, n.idempotencyKey], c)
        if (existing !== undefined) return { created: false, tuning: existing }
      }
      const [tuning] = await this.rows(`INSERT INTO tuning_jobs (id, project_id, run_id, backend, name, spec, status, sagemaker_name, token_hash,
        idempotency_key, request_hash, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, 'SUBMITTING', $7, $8, $9, $10, $11, $11) RETURNING *`,
      [n.id, n.projectId, n.runId, n.backend, n.name, JSON.stringify(n.spec), n.sagemakerName, n.tokenHash, n.idempotencyKey, n.requestHash, n.createdAt], c)
      if (tuning === undefined) throw new Error(`tuning job ${n.id} missing`)
      return { created: true, tuning }
    })
  }

  async get (id: string): Promise<TuningJob | undefined> {
    return (await this.rows('SELECT * FROM tuning_jobs WHERE id = $1', [id]))[0]
  }

  async list (projectId: string, f: { limit: number, after?: { createdAt: number, id: string } }): Promise<TuningJob[]> {
    return await this.rows(`SELECT * FROM tuning_jobs WHERE project_id = $1
        AND ($2::bigint IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
      ORDER BY created_at DESC, id DESC LIMIT $4`, [projectId, f.after?.createdAt ?? null, f.after?.id ?? null, f.limit])
  }

  async active (): Promise<TuningJob[]> {
    return await this.rows('SELECT * FROM tuning_jobs WHERE status NOT IN (\'COMPLETED\',\'FAILED\',\'STOPPED\') ORDER BY created_at', [])
  }

  async update (id: string, patch: TuningPatch): Promise<TuningJob> {
    const { text, values } = tunings.update('tuning_jobs', id, patch, Date.now())
    const [tuning] = await this.rows(text, values)
    if (tuning === undefined) throw new Error(`tuning job ${id} missing`)
    return tuning
  }
}
