import type { LogEntry } from '../../domain/log-entry.js'

/**
 * The entries most recently committed, per run, as the objects that were written: a sink reading
 * the head of a busy run gets them without a query and without parsing JSON again. It only ever
 * answers with a contiguous range that reaches the run's head (every write to the run log passes
 * through `add` after its commit); otherwise the caller reads the database.
 */
export class RecentEntries {
  private readonly byRun = new Map<string, LogEntry[]>()
  private readonly queue: Array<{ runId: string, seq: number }> = []
  private total = 0
  private readonly capacity: number

  // ~15 KB of heap per 100-point entry: 2,048 entries ≈ 30 MB, several linger windows at peak ingest.
  constructor (capacity = 2048) {
    this.capacity = capacity
  }

  add (runId: string, entry: LogEntry): void {
    let list = this.byRun.get(runId)
    const last = list?.[list.length - 1]
    if (list !== undefined && last !== undefined && last.seq + 1 !== entry.seq) {
      // Not contiguous (cannot happen while all writes pass here): forget this run's entries.
      this.total -= list.length
      list = undefined
    }
    if (list === undefined) { list = []; this.byRun.set(runId, list) }
    list.push(entry)
    this.queue.push({ runId, seq: entry.seq })
    this.total++
    while (this.total > this.capacity) this.evictOldest()
  }

  /** Entries with seq > afterSeq (at most `limit`), or undefined when the cache does not hold them all. */
  get (runId: string, afterSeq: number, limit: number): LogEntry[] | undefined {
    const list = this.byRun.get(runId)
    const first = list?.[0]
    if (list === undefined || first === undefined || first.seq > afterSeq + 1) return undefined
    const from = afterSeq + 1 - first.seq
    return list.slice(from, from + limit)
  }

  private evictOldest (): void {
    const oldest = this.queue.shift()
    if (oldest === undefined) { this.total = 0; return }
    const list = this.byRun.get(oldest.runId)
    if (list?.[0]?.seq !== oldest.seq) return // already dropped with its run's list
    list.shift()
    this.total--
    if (list.length === 0) this.byRun.delete(oldest.runId)
  }
}
