import { expandEntry } from '../domain/log-entry.js'
import { toWireValue, type WireMetricValue } from '../domain/limits.js'
import type { AddressedRecord } from '../domain/records.js'
import type { Store } from '../store/store.js'

export interface MetricPoint { key: string, value: WireMetricValue, step: number, timestamp: number }
interface Latest { value: number, step: number, timestamp: number }

const READ_CHUNK = 256
const CACHE_RUNS = 1000

/**
 * Read models over the run log: a metric's history (paginated by log position) and the latest value
 * per key. The summary is folded incrementally: a small LRU keeps each recent run's fold and the seq
 * it reached, so a summary read only scans entries that arrived since the last one.
 */
export class MetricsView {
  private readonly store: Store
  private readonly cache = new Map<string, { seq: number, latest: Map<string, Latest> }>()

  constructor (store: Store) {
    this.store = store
  }

  async history (runId: string, q: { key?: string, afterStep?: number, limit: number, cursor?: { seq: number, idx: number } }): Promise<{ items: MetricPoint[], next: { seq: number, idx: number } | null }> {
    const items: MetricPoint[] = []
    let afterSeq = q.cursor === undefined ? 0 : q.cursor.seq - 1
    for (;;) {
      const entries = await this.store.readEntries(runId, afterSeq, READ_CHUNK)
      for (const e of entries) {
        for (const r of expandEntry(e)) {
          if (r.kind !== 'metric') continue
          if (q.cursor !== undefined && (r.seq < q.cursor.seq || (r.seq === q.cursor.seq && r.idx <= q.cursor.idx))) continue
          if (q.key !== undefined && r.key !== q.key) continue
          if (q.afterStep !== undefined && r.step <= q.afterStep) continue
          items.push({ key: r.key, value: toWireValue(r.value), step: r.step, timestamp: r.timestamp })
          if (items.length === q.limit) return { items, next: { seq: r.seq, idx: r.idx } }
        }
        afterSeq = e.seq
      }
      if (entries.length < READ_CHUNK) return { items, next: null }
    }
  }

  async latest (runId: string): Promise<Record<string, { value: WireMetricValue, step: number, timestamp: number }>> {
    let fold = this.cache.get(runId)
    if (fold === undefined) fold = { seq: 0, latest: new Map() }
    this.cache.delete(runId) // re-inserted below: Map order is our LRU order
    for (;;) {
      const entries = await this.store.readEntries(runId, fold.seq, READ_CHUNK)
      for (const e of entries) {
        for (const r of expandEntry(e)) applyLatest(fold.latest, r)
        fold.seq = e.seq
      }
      if (entries.length < READ_CHUNK) break
    }
    this.cache.set(runId, fold)
    if (this.cache.size > CACHE_RUNS) this.cache.delete(this.cache.keys().next().value as string)
    const out: Record<string, { value: WireMetricValue, step: number, timestamp: number }> = {}
    for (const [k, v] of [...fold.latest.entries()].sort(([a], [b]) => a < b ? -1 : 1)) out[k] = { value: toWireValue(v.value), step: v.step, timestamp: v.timestamp }
    return out
  }
}

/** "Latest" is the value at the highest step; at equal steps, the later timestamp, then the later record. */
function applyLatest (latest: Map<string, Latest>, r: AddressedRecord): void {
  if (r.kind !== 'metric') return
  const cur = latest.get(r.key)
  if (cur === undefined || r.step > cur.step || (r.step === cur.step && r.timestamp >= cur.timestamp)) {
    latest.set(r.key, { value: r.value, step: r.step, timestamp: r.timestamp })
  }
}
