import type pg from 'pg'
import type { DeadLetter } from '../store.js'
import { toDeadLetter, type DeadLetterRow } from '../sqlite/rows.js'
import { withTransaction, type Db } from './pg-transaction.js'

/** Dead letters: listable, replayable (back to their partition's sink), discardable. */

const WITH_PROJECT = 'SELECT d.*, r.project_id FROM dead_letters d JOIN runs r ON r.id = d.run_id'

export async function listDeadLetters (db: Db, projectId: string, f: { runId?: string, sink?: string, limit: number, afterId?: number }): Promise<DeadLetter[]> {
  const rows = (await db.query<DeadLetterRow>(`${WITH_PROJECT}
    WHERE r.project_id = $1 AND ($2::text IS NULL OR d.run_id = $2) AND ($3::text IS NULL OR d.sink = $3) AND d.id > $4
    ORDER BY d.id LIMIT $5`, [projectId, f.runId ?? null, f.sink ?? null, f.afterId ?? 0, f.limit])).rows
  return rows.map(toDeadLetter)
}

export async function getDeadLetter (db: Db, id: number): Promise<DeadLetter | undefined> {
  const r = (await db.query<DeadLetterRow>(`${WITH_PROJECT} WHERE d.id = $1`, [id])).rows[0]
  return r === undefined ? undefined : toDeadLetter(r)
}

/** The cursor is locked before the dead letter, in the order commitDelivery takes them. */
export async function replayDeadLetter (pool: pg.Pool, id: number, now: number): Promise<void> {
  await withTransaction(pool, async c => {
    const d = (await c.query<{ sink: string, run_id: string }>('SELECT sink, run_id FROM dead_letters WHERE id = $1', [id])).rows[0]
    if (d === undefined) return
    // A replay is due at once, whatever back-off the partition was in.
    await c.query('UPDATE sink_cursors SET next_attempt_at = 0, updated_at = $1 WHERE sink = $2 AND run_id = $3 AND status != \'paused\'', [now, d.sink, d.run_id])
    await c.query('UPDATE dead_letters SET status = \'replay\' WHERE id = $1', [id])
  })
}

export async function discardDeadLetter (db: Db, id: number): Promise<void> {
  await db.query('DELETE FROM dead_letters WHERE id = $1', [id])
}

export async function replaysFor (db: Db, sink: string, runId: string): Promise<DeadLetter[]> {
  const rows = (await db.query<DeadLetterRow>(`${WITH_PROJECT}
    WHERE d.sink = $1 AND d.run_id = $2 AND d.status = 'replay' ORDER BY d.seq, d.idx`, [sink, runId])).rows
  return rows.map(toDeadLetter)
}
