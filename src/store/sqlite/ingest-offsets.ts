import type { IngestDeadLetterInput, IngestOffsets } from '../store.js'
import type { Stmt } from './statement-cache.js'

interface OffsetRow { id: number, consumed: number, pending: number | null, dead_at: number | null }

export function getIngestOffsets (stmt: Stmt, runId: string, file: string): IngestOffsets {
  const r = stmt('SELECT id, consumed, pending, dead_at FROM ingest_offsets WHERE run_id = ? AND file = ?').get(runId, file) as OffsetRow | undefined
  if (r === undefined) return { consumed: 0 }
  return { consumed: r.consumed, ...(r.pending === null ? {} : { pending: r.pending }), ...(r.dead_at === null ? {} : { deadAt: r.dead_at }) }
}

export function putIngestOffsets (stmt: Stmt, runId: string, file: string, o: IngestOffsets, now: number): void {
  stmt(`INSERT INTO ingest_offsets (run_id, file, consumed, pending, dead_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, file) DO UPDATE SET consumed = excluded.consumed, pending = excluded.pending,
      dead_at = excluded.dead_at, updated_at = excluded.updated_at`)
    .run(runId, file, o.consumed, o.pending ?? null, o.deadAt ?? null, now)
}

/** Keyed by the file's row id and the byte offset, so a re-sent corrupt record is one dead letter. */
export function addIngestDeadLetter (stmt: Stmt, runId: string, d: IngestDeadLetterInput, now: number): void {
  stmt('INSERT INTO ingest_offsets (run_id, file, consumed, updated_at) VALUES (?, ?, 0, ?) ON CONFLICT (run_id, file) DO NOTHING').run(runId, d.file, now)
  const file = stmt('SELECT id FROM ingest_offsets WHERE run_id = ? AND file = ?').get(runId, d.file) as { id: number }
  stmt(`INSERT INTO dead_letters (sink, run_id, seq, idx, record, code, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (sink, run_id, seq, idx) DO NOTHING`)
    .run(`${d.source}-ingest`, runId, file.id, d.offset, JSON.stringify({ file: d.file, offset: d.offset, ...(d.record as object) }), d.code, d.message, now)
}
