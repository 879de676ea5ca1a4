import type Database from 'better-sqlite3'
import type { AppendRequest, AppendResult } from '../store.js'
import { paramType, sameParamValue, type ParamValue } from '../../domain/param-value.js'

interface RunState { status: string, headSeq: number, endedAt: number | null, tags: Record<string, string>, dirty: boolean, tagsDirty: boolean }

/**
 * Append a group of ingest requests inside the caller's transaction (one commit for all of them:
 * group commit is what makes a durable ack cheap). Each request is checked on its own — a
 * duplicate batch id, a changed param or an ended run fails that request, not the group — and all
 * checks run before that request writes anything.
 */
function prepare (db: Database.Database) {
  return {
    getRun: db.prepare('SELECT status, head_seq, ended_at, tags FROM runs WHERE id = ?'),
    getBatch: db.prepare('SELECT seq, accepted FROM ingest_batches WHERE run_id = ? AND batch_id = ?'),
    getParam: db.prepare('SELECT value FROM run_params WHERE run_id = ? AND key = ?').pluck(),
    insertLog: db.prepare('INSERT INTO run_log (run_id, seq, body, created_at) VALUES (?, ?, ?, ?)'),
    insertBatch: db.prepare('INSERT INTO ingest_batches (run_id, batch_id, seq, accepted) VALUES (?, ?, ?, ?)'),
    insertParam: db.prepare('INSERT INTO run_params (run_id, key, value, type) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    setHead: db.prepare('UPDATE runs SET head_seq = ? WHERE id = ?'),
    setHeadAndTags: db.prepare('UPDATE runs SET head_seq = ?, tags = ? WHERE id = ?')
  }
}
const statements = new WeakMap<Database.Database, ReturnType<typeof prepare>>()

export function appendInTransaction (db: Database.Database, batch: AppendRequest[], graceMs: number): AppendResult[] {
  let st = statements.get(db)
  if (st === undefined) { st = prepare(db); statements.set(db, st) }
  const { getRun, getBatch, getParam, insertLog, insertBatch, insertParam, setHead, setHeadAndTags } = st

  const runs = new Map<string, RunState>()
  const results: AppendResult[] = []
  for (const req of batch) {
    let run = runs.get(req.runId)
    if (run === undefined) {
      const row = getRun.get(req.runId) as { status: string, head_seq: number, ended_at: number | null, tags: string } | undefined
      if (row === undefined) { results.push({ ok: false, error: 'run_missing' }); continue }
      run = { status: row.status, headSeq: row.head_seq, endedAt: row.ended_at, tags: JSON.parse(row.tags), dirty: false, tagsDirty: false }
      runs.set(req.runId, run)
    }
    const dup = getBatch.get(req.runId, req.batchId) as { seq: number, accepted: number } | undefined
    if (dup !== undefined) { results.push({ ok: true, seq: dup.seq, accepted: dup.accepted, duplicate: true }); continue }
    if (run.status !== 'RUNNING' && (run.endedAt ?? 0) + graceMs < req.now) {
      results.push({ ok: false, error: 'run_ended', status: run.status as 'FINISHED' }); continue
    }
    let conflict: AppendResult | undefined
    for (const [key, value] of Object.entries(req.params)) {
      const stored = getParam.get(req.runId, key) as string | undefined
      if (stored === undefined) continue
      const existing = JSON.parse(stored) as ParamValue
      if (!sameParamValue(existing, value)) { conflict = { ok: false, error: 'param_conflict', key, existing, got: value }; break }
    }
    if (conflict !== undefined) { results.push(conflict); continue }

    const seq = ++run.headSeq
    run.dirty = true
    insertLog.run(req.runId, seq, JSON.stringify(req.body), req.now)
    insertBatch.run(req.runId, req.batchId, seq, req.records)
    for (const [key, value] of Object.entries(req.params)) insertParam.run(req.runId, key, JSON.stringify(value), paramType(value))
    if (Object.keys(req.tags).length > 0) { Object.assign(run.tags, req.tags); run.tagsDirty = true }
    results.push({ ok: true, seq, accepted: req.records, duplicate: false })
  }
  for (const [id, run] of runs) {
    if (run.tagsDirty) setHeadAndTags.run(run.headSeq, JSON.stringify(run.tags), id)
    else if (run.dirty) setHead.run(run.headSeq, id)
  }
  return results
}
