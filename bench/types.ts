export interface BenchRow {
  /** Which benchmark, e.g. "durable ingest". */
  bench: string
  /** What was measured, e.g. "points/s (100/request, 32 conns)". */
  metric: string
  value: number
  unit: string
  /** The target from the issue, e.g. "≥ 1,000,000", or '' when there is none. */
  target: string
}
