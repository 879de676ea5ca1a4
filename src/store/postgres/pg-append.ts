import type { AppendRequest, AppendResult } from '../store.js'
import { paramType, sameParamValue, type ParamValue } from '../../domain/param-value.js'
import { named, type Db } from './pg-transaction.js'

/**
 * Group append on PostgreSQL: the same per-request rules as SQLite's appendInTransaction
 * (sqlite/append.ts), with a fixed number of round trips per group instead of several per request.
 * The runs touched are locked first, in id order (two replicas appending to the same runs queue
 * instead of deadlocking); what the checks need (batch ids seen, params stored) is read once per
 * run; the requests are then decided in order in memory, and the rows go in as multi-row INSERTs.
 */

const lockRuns = named('tg_append_lock_runs',
  'SELECT id, status, head_seq, ended_at, tags FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE')
const seenBatches = named('tg_append_seen_batches',
  'SELECT batch_id, seq, accepted FROM ingest_batches WHERE run_id = $1 AND batch_id = ANY($2::text[])')
const storedParams = named('tg_append_stored_params',
  'SELECT key, value FROM run_params WHERE run_id = $1 AND key = ANY($2::text[])')
const insertLog = named('tg_append_insert_log',
  'INSERT INTO run_log (run_id, seq, body, created_at) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])')
const insertBatches = named('tg_append_insert_batches',
  'INSERT INTO ingest_batches (run_id, batch_id, seq, accepted) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[])')
const insertParams = named('tg_append_insert_params',
  `INSERT INTO run_params (run_id, key, value, type) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
    ON CONFLICT DO NOTHING`)
const setHeads = named('tg_append_set_heads',
  `UPDATE runs SET head_seq = u.head_seq, tags = COALESCE(u.tags, runs.tags)
    FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(id, head_seq, tags) WHERE runs.id = u.id`)

interface RunRow { id: string, status: string, head_seq: number, ended_at: number | null, tags: string }

interface RunState {
  status: string
  headSeq: number
  endedAt: number | null
  tags: Record<string, string>
  batches: Map<string, { seq: number, accepted: number }>
  params: Map<string, ParamValue>
  dirty: boolean
  tagsDirty: boolean
}

/** Columns of the rows to insert, one array per column (unnest takes them so). */
class Columns<T extends unknown[]> {
  readonly cols: unknown[][]
  constructor (width: number) { this.cols = Array.from({ length: width }, () => []) }
  push (...row: T): void { row.forEach((v, i) => this.cols[i]?.push(v)) }
  get empty (): boolean { return this.cols[0]?.length === 0 }
}

async function loadRuns (c: Db, batch: AppendRequest[]): Promise<Map<string, RunState>> {
  const ids = [...new Set(batch.map(r => r.runId))].sort()
  const rows = (await c.query<RunRow>(lockRuns(ids))).rows
  const runs = new Map<string, RunState>()
  for (const row of rows) {
    const reqs = batch.filter(r => r.runId === row.id)
    const batchIds = [...new Set(reqs.map(r => r.batchId))]
    const keys = [...new Set(reqs.flatMap(r => Object.keys(r.params)))]
    const seen = (await c.query<{ batch_id: string, seq: number, accepted: number }>(seenBatches(row.id, batchIds))).rows
    const params = keys.length === 0 ? [] : (await c.query<{ key: string, value: string }>(storedParams(row.id, keys))).rows
    runs.set(row.id, {
      status: row.status,
      headSeq: row.head_seq,
      endedAt: row.ended_at,
      tags: JSON.parse(row.tags) as Record<string, string>,
      batches: new Map(seen.map(b => [b.batch_id, { seq: b.seq, accepted: b.accepted }])),
      params: new Map(params.map(p => [p.key, JSON.parse(p.value) as ParamValue])),
      dirty: false,
      tagsDirty: false
    })
  }
  return runs
}

/** What SQLite's loop decides for one request, on the state read above (which it then advances). */
function decide (run: RunState | undefined, req: AppendRequest, graceMs: number): AppendResult {
  if (run === undefined) return { ok: false, error: 'run_missing' }
  const dup = run.batches.get(req.batchId)
  if (dup !== undefined) return { ok: true, seq: dup.seq, accepted: dup.accepted, duplicate: true }
  if (run.status !== 'RUNNING' && (run.endedAt ?? 0) + graceMs < req.now) {
    return { ok: false, error: 'run_ended', status: run.status as 'FINISHED' }
  }
  for (const [key, value] of Object.entries(req.params)) {
    const existing = run.params.get(key)
    if (existing !== undefined && !sameParamValue(existing, value)) return { ok: false, error: 'param_conflict', key, existing, got: value }
  }
  return { ok: true, seq: run.headSeq + 1, accepted: req.records, duplicate: false }
}

/** Append a group inside the caller's transaction (one COMMIT acknowledges every request of it). */
export async function appendInPgTransaction (c: Db, batch: AppendRequest[], graceMs: number): Promise<AppendResult[]> {
  const runs = await loadRuns(c, batch)
  const log = new Columns<[string, number, string, number]>(4)
  const batches = new Columns<[string, string, number, number]>(4)
  const params = new Columns<[string, string, string, string]>(4)
  const results = batch.map(req => {
    const run = runs.get(req.runId)
    const res = decide(run, req, graceMs)
    if (run === undefined || !res.ok || res.duplicate) return res
    run.headSeq = res.seq
    run.dirty = true
    run.batches.set(req.batchId, { seq: res.seq, accepted: req.records })
    log.push(req.runId, res.seq, JSON.stringify(req.body), req.now)
    batches.push(req.runId, req.batchId, res.seq, req.records)
    for (const [key, value] of Object.entries(req.params)) {
      if (run.params.has(key)) continue
      run.params.set(key, value)
      params.push(req.runId, key, JSON.stringify(value), paramType(value))
    }
    if (Object.keys(req.tags).length > 0) { Object.assign(run.tags, req.tags); run.tagsDirty = true }
    return res
  })
  if (log.empty) return results
  await c.query(insertLog(...log.cols))
  await c.query(insertBatches(...batches.cols))
  if (!params.empty) await c.query(insertParams(...params.cols))
  const heads = new Columns<[string, number, string | null]>(3)
  for (const [id, run] of runs) if (run.dirty) heads.push(id, run.headSeq, run.tagsDirty ? JSON.stringify(run.tags) : null)
  await c.query(setHeads(...heads.cols))
  return results
}
