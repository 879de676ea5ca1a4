import type { AddressedRecord, TerminalStatus } from './records.js'
import type { ParamValue } from './param-value.js'
import { fromWireValue, toWireValue, type WireMetricValue } from './limits.js'

/**
 * One run-log entry: the unit of `seq`. An ingest batch is one entry (storing a batch as one row
 * is what makes a durable ack cheap: see the bench), a status change another. Records inside keep
 * their order: params, then tags, then metrics.
 */
export type EntryBody =
  | { t: 'batch', p?: Record<string, ParamValue>, g?: Record<string, string>, m?: Array<[string, WireMetricValue, number, number]> }
  | { t: 'status', s: TerminalStatus, ts: number }

export interface LogEntry {
  seq: number
  body: EntryBody
  createdAt: number
}

export interface IncomingMetric { key: string, value: number, step: number, timestamp: number }

export function batchBody (metrics: IncomingMetric[], params?: Record<string, ParamValue>, tags?: Record<string, string>): EntryBody {
  const body: EntryBody = { t: 'batch' }
  if (params !== undefined && Object.keys(params).length > 0) body.p = params
  if (tags !== undefined && Object.keys(tags).length > 0) body.g = tags
  if (metrics.length > 0) body.m = metrics.map(m => [m.key, toWireValue(m.value), m.step, m.timestamp])
  return body
}

/** Number of records an entry expands to. */
export function recordCount (body: EntryBody): number {
  if (body.t === 'status') return 1
  return Object.keys(body.p ?? {}).length + Object.keys(body.g ?? {}).length + (body.m?.length ?? 0)
}

/** Expand an entry into addressed records, in order. */
export function expandEntry (entry: LogEntry, out: AddressedRecord[] = []): AddressedRecord[] {
  const { seq, body } = entry
  if (body.t === 'status') {
    out.push({ kind: 'status', status: body.s, timestamp: body.ts, seq, idx: 0 })
    return out
  }
  let idx = 0
  for (const [key, value] of Object.entries(body.p ?? {})) out.push({ kind: 'param', key, value, seq, idx: idx++ })
  for (const [key, value] of Object.entries(body.g ?? {})) out.push({ kind: 'tag', key, value, seq, idx: idx++ })
  for (const [key, value, step, timestamp] of body.m ?? []) {
    out.push({ kind: 'metric', key, value: fromWireValue(value), step, timestamp, seq, idx: idx++ })
  }
  return out
}
