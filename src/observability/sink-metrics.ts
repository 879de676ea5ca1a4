import type { Config } from '../config/config.js'
import type { Dispatcher } from '../dispatch/dispatcher.js'
import type { Store } from '../store/store.js'
import type { Collector } from './metrics-registry.js'

type Sample = Awaited<ReturnType<Collector>>[number]

/** Gauges read at scrape time from the store: per-sink backlog, lag, states, dead letters. */
export async function collectSinkMetrics (store: Store, dispatcher: Dispatcher, sinks: string[], c: Config): Promise<Sample[]> {
  const now = Date.now()
  const stats = await store.sinkStats()
  const out: Sample[] = []
  for (const sink of sinks) {
    const s = stats.find(x => x.sink === sink)
    out.push({ name: 'trackgate_sink_backlog_entries', labels: { sink }, value: s?.backlogEntries ?? 0 })
    out.push({ name: 'trackgate_sink_oldest_undelivered_seconds', labels: { sink }, value: s?.oldestUndeliveredAt == null ? 0 : (now - s.oldestUndeliveredAt) / 1000 })
    out.push({ name: 'trackgate_sink_in_flight', labels: { sink }, value: dispatcher.inFlightCount(sink) })
    out.push({ name: 'trackgate_dead_letters', labels: { sink }, value: s?.deadLetters ?? 0 })
    for (const state of ['healthy', 'degraded', 'paused'] as const) {
      out.push({ name: 'trackgate_sink_partitions', labels: { sink, state }, value: s?.partitions[state] ?? 0 })
    }
  }
  out.push({ name: 'trackgate_store_bytes', labels: {}, value: await store.sizeBytes() })
  out.push({ name: 'trackgate_store_high_water_bytes', labels: {}, value: c.storeHighWaterBytes })
  out.push({ name: 'trackgate_backlog_high_water_entries', labels: {}, value: c.backlogHighWater })
  return out
}
