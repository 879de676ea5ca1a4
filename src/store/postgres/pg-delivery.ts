import type pg from 'pg'
import type { Cursor, FailureUpdate, Store } from '../store.js'
import { toCursor, type CursorRow } from '../sqlite/rows.js'
import { named, withTransaction, type Db } from './pg-transaction.js'
import { fence } from './pg-leases.js'
import type { Lease } from '../lease-store.js'

/** Cursors: one per (sink, run), moved in the transaction that records the sink's success. */

// Named columns, not `c.*`: a prepared `*` statement fails once a migration adds a column.
const CURSOR_COLUMNS = `c.sink, c.run_id, c.delivered_seq, c.state, c.status, c.attempts, c.next_attempt_at, c.wake_at,
  c.last_error, c.last_error_code, c.updated_at, r.head_seq AS head_seq`

const due = named('tg_cursors_due', `SELECT ${CURSOR_COLUMNS} FROM sink_cursors c JOIN runs r ON r.id = c.run_id
  WHERE c.status != 'paused' AND c.next_attempt_at <= $1
    AND (c.delivered_seq < r.head_seq OR (c.wake_at IS NOT NULL AND c.wake_at <= $1)
      OR EXISTS (SELECT 1 FROM dead_letters d WHERE d.run_id = c.run_id AND d.sink = c.sink AND d.status = 'replay'))
  ORDER BY c.next_attempt_at LIMIT $2`)
const moveCursor = named('tg_commit_cursor', `UPDATE sink_cursors SET delivered_seq = $1, state = $2, wake_at = $3, attempts = 0,
  next_attempt_at = 0, status = 'healthy', last_error = NULL, last_error_code = NULL, updated_at = $4 WHERE sink = $5 AND run_id = $6`)
const upsertDead = named('tg_commit_dead_letter', `INSERT INTO dead_letters (sink, run_id, seq, idx, record, code, message, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (sink, run_id, seq, idx) DO UPDATE SET status = 'dead', attempts = dead_letters.attempts + 1,
    code = excluded.code, message = excluded.message`)
const dropReplayed = named('tg_commit_replayed', 'DELETE FROM dead_letters WHERE id = ANY($1::bigint[]) AND status = \'replay\'')

export async function addCursor (db: Db, runId: string, sink: string, now: number): Promise<boolean> {
  const res = await db.query('INSERT INTO sink_cursors (sink, run_id, updated_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [sink, runId, now])
  return (res.rowCount ?? 0) > 0
}

export async function listCursors (db: Db, runId: string): Promise<Cursor[]> {
  const rows = (await db.query<CursorRow>(`SELECT ${CURSOR_COLUMNS} FROM sink_cursors c JOIN runs r ON r.id = c.run_id
    WHERE c.run_id = $1 ORDER BY c.sink`, [runId])).rows
  return rows.map(toCursor)
}

export async function cursorsDue (db: Db, now: number, limit: number): Promise<Cursor[]> {
  return (await db.query<CursorRow>(due(now, limit))).rows.map(toCursor)
}

export async function cursorsForRuns (db: Db, runIds: string[]): Promise<Cursor[]> {
  if (runIds.length === 0) return []
  const rows = (await db.query<CursorRow>(`SELECT ${CURSOR_COLUMNS} FROM sink_cursors c JOIN runs r ON r.id = c.run_id
    WHERE c.run_id = ANY($1::text[])`, [runIds])).rows
  return rows.map(toCursor)
}

/**
 * Locks the cursor before any dead letter (replayDeadLetter takes them in that order too). The
 * commit does not wait for the WAL flush: losing a cursor move to a server crash only makes the
 * sink receive a resend, which every sink makes harmless (SQLite's bookkeeping() reasons the same);
 * the next acknowledged ingest commit flushes it anyway.
 */
export async function commitDelivery (pool: pg.Pool, d: Parameters<Store['commitDelivery']>[0]): Promise<void> {
  await withTransaction(pool, async c => {
    await c.query('SET LOCAL synchronous_commit = off')
    await fence(c, d.lease)
    await c.query(moveCursor(d.deliveredSeq, JSON.stringify(d.state ?? null), d.wakeAt, d.now, d.sink, d.runId))
    // One row at a time, as SQLite does: the same (seq, idx) twice in one call counts two attempts.
    for (const l of d.deadLetters) {
      await c.query(upsertDead(d.sink, d.runId, l.seq, l.idx, JSON.stringify(l.record), l.code, l.message, d.now))
    }
    if (d.replayed.length > 0) await c.query(dropReplayed(d.replayed))
  })
}

export async function recordFailure (pool: pg.Pool, sink: string, runId: string, u: FailureUpdate, now: number, lease?: Lease): Promise<void> {
  if (lease === undefined) { await failureUpdate(pool, sink, runId, u, now); return }
  await withTransaction(pool, async c => { await fence(c, lease); await failureUpdate(c, sink, runId, u, now) })
}

async function failureUpdate (db: Db, sink: string, runId: string, u: FailureUpdate, now: number): Promise<void> {
  await db.query(`UPDATE sink_cursors SET attempts = $1, next_attempt_at = $2, status = $3, last_error_code = $4, last_error = $5, updated_at = $6
    WHERE sink = $7 AND run_id = $8`, [u.attempts, u.nextAttemptAt, u.status, u.code, u.message, now, sink, runId])
}

export async function resumeCursor (db: Db, sink: string, runId: string, now: number): Promise<boolean> {
  const res = await db.query(`UPDATE sink_cursors SET status = 'healthy', attempts = 0, next_attempt_at = 0, updated_at = $1
    WHERE sink = $2 AND run_id = $3`, [now, sink, runId])
  return (res.rowCount ?? 0) > 0
}
