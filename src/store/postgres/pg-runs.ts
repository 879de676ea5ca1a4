import type pg from 'pg'
import type { EntryBody, LogEntry } from '../../domain/log-entry.js'
import type { TerminalStatus } from '../../domain/records.js'
import type { ParamValue } from '../../domain/param-value.js'
import type { NewRun, Run, RunFilter } from '../store.js'
import { toRun, type RunRow } from '../sqlite/rows.js'
import { appendInPgTransaction } from './pg-append.js'
import { named, withTransaction, type Db } from './pg-transaction.js'

// Rows come back in SQLite's shapes (JSON as TEXT, BIGINT read as numbers): sqlite/rows.ts maps both.
// Prepared statements name their columns: a `*` one fails ("cached plan must not change result
// type") once another replica's migration adds a column.
const RUN_COLUMNS = 'id, project_id, name, experiment, status, tags, job_name, parent_run_id, run_group, head_seq, created_at, ended_at, token_hash'

const selectRun = named('tg_get_run', `SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`)
const readLog = named('tg_read_entries', 'SELECT seq, body, created_at FROM run_log WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3')

export async function getRun (db: Db, id: string): Promise<Run | undefined> {
  const r = (await db.query<RunRow>(selectRun(id))).rows[0]
  return r === undefined ? undefined : toRun(r)
}

async function mustGetRun (db: Db, id: string): Promise<Run> {
  const run = await getRun(db, id)
  if (run === undefined) throw new Error('run missing')
  return run
}

export async function createRun (pool: pg.Pool, n: NewRun, graceMs: number): Promise<Run> {
  await withTransaction(pool, async c => {
    await c.query(`INSERT INTO runs (id, project_id, name, experiment, status, tags, job_name, parent_run_id, run_group, head_seq, created_at, token_hash)
      VALUES ($1, $2, $3, $4, 'RUNNING', '{}', $5, $6, $7, 0, $8, $9)`,
    [n.id, n.projectId, n.name, n.experiment, n.jobName, n.parentRunId ?? null, n.group ?? null, n.createdAt, n.tokenHash])
    if (n.sinks.length > 0) {
      await c.query('INSERT INTO sink_cursors (sink, run_id, updated_at) SELECT s, $2, $3 FROM unnest($1::text[]) AS s', [n.sinks, n.id, n.createdAt])
    }
    const records = Object.keys(n.params).length + Object.keys(n.tags).length
    if (records === 0) return
    const body: EntryBody = { t: 'batch', p: n.params, g: n.tags }
    const [res] = await appendInPgTransaction(c, [{ runId: n.id, batchId: 'run-create', body, records, params: n.params, tags: n.tags, now: n.createdAt }], graceMs)
    if (res?.ok !== true) throw new Error('could not record the run\'s initial params')
  })
  return await mustGetRun(pool, n.id)
}

export async function listRuns (db: Db, projectId: string, f: RunFilter): Promise<Run[]> {
  const rows = (await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE project_id = $1
      AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR experiment = $3)
      AND ($4::bigint IS NULL OR created_at < $4 OR (created_at = $4 AND id < $5))
    ORDER BY created_at DESC, id DESC LIMIT $6`,
  [projectId, f.status ?? null, f.experiment ?? null, f.after?.createdAt ?? null, f.after?.id ?? null, f.limit])).rows
  return rows.map(toRun)
}

export async function finishRun (pool: pg.Pool, id: string, status: TerminalStatus, now: number): Promise<{ run: Run, changed: boolean }> {
  const changed = await withTransaction(pool, async c => {
    const r = (await c.query<{ status: string, head_seq: number }>('SELECT status, head_seq FROM runs WHERE id = $1 FOR UPDATE', [id])).rows[0]
    if (r === undefined) throw new Error('run missing')
    if (r.status !== 'RUNNING') return false
    const seq = r.head_seq + 1
    const body: EntryBody = { t: 'status', s: status, ts: now }
    await c.query('INSERT INTO run_log (run_id, seq, body, created_at) VALUES ($1, $2, $3, $4)', [id, seq, JSON.stringify(body), now])
    await c.query('UPDATE runs SET status = $1, ended_at = $2, head_seq = $3 WHERE id = $4', [status, now, seq, id])
    return true
  })
  return { run: await mustGetRun(pool, id), changed }
}

export async function getParams (db: Db, runId: string): Promise<Record<string, ParamValue>> {
  const rows = (await db.query<{ key: string, value: string }>('SELECT key, value FROM run_params WHERE run_id = $1 ORDER BY key', [runId])).rows
  return Object.fromEntries(rows.map(r => [r.key, JSON.parse(r.value) as ParamValue]))
}

/** Merged in the row's lock, keys kept in their order and new ones after (as SQLite's json_patch). */
export async function mergeRunTags (pool: pg.Pool, runId: string, tags: Record<string, string>): Promise<void> {
  await withTransaction(pool, async c => {
    const r = (await c.query<{ tags: string }>('SELECT tags FROM runs WHERE id = $1 FOR UPDATE', [runId])).rows[0]
    if (r === undefined) return
    const merged = { ...JSON.parse(r.tags) as Record<string, string>, ...tags }
    await c.query('UPDATE runs SET tags = $1 WHERE id = $2', [JSON.stringify(merged), runId])
  })
}

export async function setRunToken (db: Db, runId: string, tokenHash: string): Promise<void> {
  await db.query('UPDATE runs SET token_hash = $1 WHERE id = $2', [tokenHash, runId])
}

export async function readEntries (db: Db, runId: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
  const rows = (await db.query<{ seq: number, body: string, created_at: number }>(readLog(runId, afterSeq, limit))).rows
  return rows.map(r => ({ seq: r.seq, body: JSON.parse(r.body) as EntryBody, createdAt: r.created_at }))
}
