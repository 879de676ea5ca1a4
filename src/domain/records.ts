import type { ParamValue } from './param-value.js'

/**
 * The run log's record kinds. A run log holds entries (one per ingest batch or status change)
 * numbered by a per-run `seq`; each entry expands into these records, in order.
 * Metric values may be NaN or ±Infinity in memory; on the wire they are the strings
 * "NaN", "Infinity", "-Infinity".
 */
export interface MetricRecord {
  kind: 'metric'
  key: string
  value: number
  /** Integer step, 0 ≤ step ≤ Number.MAX_SAFE_INTEGER. */
  step: number
  /** Milliseconds since the epoch. */
  timestamp: number
}

export interface ParamRecord {
  kind: 'param'
  key: string
  /** Typed as the client sent it (src/domain/param-value.ts); run logs of release 0.1 hold strings. */
  value: ParamValue
}

export interface TagRecord {
  kind: 'tag'
  key: string
  value: string
}

export type TerminalStatus = 'FINISHED' | 'FAILED' | 'KILLED'

export interface StatusRecord {
  kind: 'status'
  status: TerminalStatus
  /** Milliseconds since the epoch. */
  timestamp: number
}

export type LogRecord = MetricRecord | ParamRecord | TagRecord | StatusRecord

/** A record with its address in the run log: entry `seq`, index `idx` within the entry. */
export type AddressedRecord = LogRecord & { seq: number, idx: number }
