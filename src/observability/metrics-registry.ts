/**
 * A minimal Prometheus text-format registry: labelled counters kept in memory, gauges computed at
 * scrape time by collectors. Enough for our handful of series, without a dependency.
 */
type Labels = Record<string, string>

const labelText = (l: Labels): string => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

interface Family { help: string, type: 'counter' | 'gauge', values: Map<string, number> }

export type Collector = () => Promise<Array<{ name: string, labels: Labels, value: number }>>

export class MetricsRegistry {
  private readonly families = new Map<string, Family>()
  private readonly collectors: Collector[] = []

  define (name: string, type: 'counter' | 'gauge', help: string): void {
    if (!this.families.has(name)) this.families.set(name, { help, type, values: new Map() })
  }

  inc (name: string, labels: Labels = {}, by = 1): void {
    const f = this.families.get(name)
    if (f === undefined) throw new Error(`metric ${name} is not defined`)
    const k = labelText(labels)
    f.values.set(k, (f.values.get(k) ?? 0) + by)
  }

  get (name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(labelText(labels)) ?? 0
  }

  addCollector (c: Collector): void {
    this.collectors.push(c)
  }

  async render (): Promise<string> {
    const gauges = new Map<string, Map<string, number>>()
    for (const c of this.collectors) {
      for (const s of await c()) {
        let m = gauges.get(s.name)
        if (m === undefined) { m = new Map(); gauges.set(s.name, m) }
        m.set(labelText(s.labels), s.value)
      }
    }
    const out: string[] = []
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`)
      const values = f.type === 'gauge' ? (gauges.get(name) ?? f.values) : f.values
      for (const [labels, v] of values) out.push(`${name}${labels} ${v}`)
    }
    return out.join('\n') + '\n'
  }
}

export function defineGatewayMetrics (r: MetricsRegistry): void {
  r.define('trackgate_ingest_batches_total', 'counter', 'Ingest batches committed (duplicates excluded)')
  r.define('trackgate_ingest_records_total', 'counter', 'Records committed to run logs')
  r.define('trackgate_ingest_duplicates_total', 'counter', 'Ingest batches answered as duplicates')
  r.define('trackgate_ingest_rejected_total', 'counter', 'Ingest requests refused, by reason')
  r.define('trackgate_sink_sent_records_total', 'counter', 'Records delivered to a sink')
  r.define('trackgate_sink_send_failures_total', 'counter', 'Failed deliveries, by sink, code and whether permanent')
  r.define('trackgate_sink_retries_total', 'counter', 'Deliveries scheduled for retry')
  r.define('trackgate_sink_dead_lettered_total', 'counter', 'Records moved to dead letters')
  r.define('trackgate_sink_backlog_entries', 'gauge', 'Run-log entries not yet delivered, by sink')
  r.define('trackgate_sink_partitions', 'gauge', 'Sink partitions (sink, run), by sink and state')
  r.define('trackgate_sink_oldest_undelivered_seconds', 'gauge', 'Age of the oldest undelivered entry, by sink')
  r.define('trackgate_sink_in_flight', 'gauge', 'Deliveries in flight, by sink')
  r.define('trackgate_dead_letters', 'gauge', 'Dead letters held, by sink')
  r.define('trackgate_store_bytes', 'gauge', 'Size of the store')
  r.define('trackgate_store_high_water_bytes', 'gauge', 'Store size above which ingest answers 429')
  r.define('trackgate_backlog_high_water_entries', 'gauge', 'Backlog above which ingest answers 429')
}
