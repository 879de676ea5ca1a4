import type { SinkState, SinkStats } from '../store.js'
import type { Stmt } from './statement-cache.js'

/** Aggregates over the cursors, for /metrics and back-pressure (partitions of paused sinks do not count as backlog). */
export function sinkStats (stmt: Stmt): SinkStats[] {
  const rows = stmt(`SELECT c.sink, c.status, COUNT(*) AS n, SUM(MAX(r.head_seq - c.delivered_seq, 0)) AS backlog,
      MIN((SELECT l.created_at FROM run_log l WHERE l.run_id = c.run_id AND l.seq = c.delivered_seq + 1)) AS oldest
    FROM sink_cursors c JOIN runs r ON r.id = c.run_id GROUP BY c.sink, c.status`).all() as Array<{ sink: string, status: SinkState, n: number, backlog: number, oldest: number | null }>
  const dead = stmt('SELECT sink, COUNT(*) AS n FROM dead_letters GROUP BY sink').all() as Array<{ sink: string, n: number }>
  const bySink = new Map<string, SinkStats>()
  const get = (sink: string): SinkStats => {
    let s = bySink.get(sink)
    if (s === undefined) {
      s = { sink, partitions: { healthy: 0, degraded: 0, paused: 0 }, backlogEntries: 0, oldestUndeliveredAt: null, deadLetters: 0 }
      bySink.set(sink, s)
    }
    return s
  }
  for (const r of rows) {
    const s = get(r.sink)
    s.partitions[r.status] = r.n
    s.backlogEntries += r.backlog
    if (r.oldest !== null && (s.oldestUndeliveredAt === null || r.oldest < s.oldestUndeliveredAt)) s.oldestUndeliveredAt = r.oldest
  }
  for (const d of dead) get(d.sink).deadLetters = d.n
  return [...bySink.values()]
}

export function backlog (stmt: Stmt): { entries: number, partitions: number, oldestUndeliveredAt: number | null } {
  const r = stmt(`SELECT COUNT(*) AS partitions, COALESCE(SUM(r.head_seq - c.delivered_seq), 0) AS entries,
      MIN((SELECT l.created_at FROM run_log l WHERE l.run_id = c.run_id AND l.seq = c.delivered_seq + 1)) AS oldest
    FROM sink_cursors c JOIN runs r ON r.id = c.run_id
    WHERE c.delivered_seq < r.head_seq AND c.status != 'paused'`).get() as { partitions: number, entries: number, oldest: number | null }
  return { entries: r.entries, partitions: r.partitions, oldestUndeliveredAt: r.oldest }
}
