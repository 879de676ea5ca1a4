import type pg from 'pg'
import type { IngestDeadLetterInput, IngestOffsets } from '../store.js'
import { withTransaction, type Db } from './pg-transaction.js'

/** How far each uploaded file of a run is in the run log, and the records it could not read (as sqlite/ingest-offsets.ts). */

interface OffsetRow { consumed: number, pending: number | null, dead_at: number | null }

export async function getIngestOffsets (db: Db, runId: string, file: string): Promise<IngestOffsets> {
  const r = (await db.query<OffsetRow>('SELECT consumed, pending, dead_at FROM ingest_offsets WHERE run_id = $1 AND file = $2', [runId, file])).rows[0]
  if (r === undefined) return { consumed: 0 }
  return { consumed: r.consumed, ...(r.pending === null ? {} : { pending: r.pending }), ...(r.dead_at === null ? {} : { deadAt: r.dead_at }) }
}

export async function putIngestOffsets (db: Db, runId: string, file: string, o: IngestOffsets, now: number): Promise<void> {
  await db.query(`INSERT INTO ingest_offsets (run_id, file, consumed, pending, dead_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (run_id, file) DO UPDATE SET consumed = excluded.consumed, pending = excluded.pending,
      dead_at = excluded.dead_at, updated_at = excluded.updated_at`, [runId, file, o.consumed, o.pending ?? null, o.deadAt ?? null, now])
}

/** Keyed by the file's row id and the byte offset, so a re-sent corrupt record is one dead letter. */
export async function addIngestDeadLetter (pool: pg.Pool, runId: string, d: IngestDeadLetterInput, now: number): Promise<void> {
  await withTransaction(pool, async c => {
    await c.query('INSERT INTO ingest_offsets (run_id, file, consumed, updated_at) VALUES ($1, $2, 0, $3) ON CONFLICT (run_id, file) DO NOTHING', [runId, d.file, now])
    const file = (await c.query<{ id: number }>('SELECT id FROM ingest_offsets WHERE run_id = $1 AND file = $2', [runId, d.file])).rows[0]
    if (file === undefined) throw new Error('ingest offsets row missing')
    await c.query(`INSERT INTO dead_letters (sink, run_id, seq, idx, record, code, message, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (sink, run_id, seq, idx) DO NOTHING`,
    [`${d.source}-ingest`, runId, file.id, d.offset, JSON.stringify({ file: d.file, offset: d.offset, ...(d.record as object) }), d.code, d.message, now])
  })
}
