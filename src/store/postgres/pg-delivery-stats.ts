import type { SinkStats } from '../store.js'
import type { Db } from './pg-transaction.js'

/**
 * Aggregates over the cursors, for /metrics and back-pressure, as sqlite/delivery-stats.ts computes
 * them (paused partitions count in their sink's backlog, not in the global one), here done whole
 * in SQL. The oldest undelivered entry is the one right after a cursor: a join on the log's key.
 */
const NEXT_ENTRY = 'LEFT JOIN run_log l ON l.run_id = c.run_id AND l.seq = c.delivered_seq + 1'

interface StatsRow { sink: string, healthy: number, degraded: number, paused: number, backlog: number, oldest: number | null, dead: number }

export async function sinkStats (db: Db): Promise<SinkStats[]> {
  const rows = (await db.query<StatsRow>(`WITH cursors AS (
      SELECT c.sink, COUNT(*) FILTER (WHERE c.status = 'healthy') AS healthy, COUNT(*) FILTER (WHERE c.status = 'degraded') AS degraded,
        COUNT(*) FILTER (WHERE c.status = 'paused') AS paused, SUM(GREATEST(r.head_seq - c.delivered_seq, 0))::bigint AS backlog,
        MIN(l.created_at) AS oldest
      FROM sink_cursors c JOIN runs r ON r.id = c.run_id ${NEXT_ENTRY} GROUP BY c.sink
    ), dead AS (SELECT sink, COUNT(*) AS dead FROM dead_letters GROUP BY sink)
    SELECT sink, COALESCE(healthy, 0) AS healthy, COALESCE(degraded, 0) AS degraded, COALESCE(paused, 0) AS paused,
      COALESCE(backlog, 0) AS backlog, oldest, COALESCE(dead, 0) AS dead
    FROM cursors FULL JOIN dead USING (sink) ORDER BY sink`)).rows
  return rows.map(r => ({
    sink: r.sink,
    partitions: { healthy: r.healthy, degraded: r.degraded, paused: r.paused },
    backlogEntries: r.backlog,
    oldestUndeliveredAt: r.oldest,
    deadLetters: r.dead
  }))
}

export async function backlog (db: Db): Promise<{ entries: number, partitions: number, oldestUndeliveredAt: number | null }> {
  const r = (await db.query<{ partitions: number, entries: number, oldest: number | null }>(
    `SELECT COUNT(*) AS partitions, COALESCE(SUM(r.head_seq - c.delivered_seq), 0)::bigint AS entries, MIN(l.created_at) AS oldest
      FROM sink_cursors c JOIN runs r ON r.id = c.run_id ${NEXT_ENTRY}
      WHERE c.delivered_seq < r.head_seq AND c.status != 'paused'`)).rows[0]
  return { entries: r?.entries ?? 0, partitions: r?.partitions ?? 0, oldestUndeliveredAt: r?.oldest ?? null }
}
