import type { AddressedRecord, MetricRecord } from '../../domain/records.js'
import { toWire } from './extended-json.js'
import { encodeHistoryRow, exitCodeFor, MAX_LINE_BYTES, RESERVED_KEYS } from './encode.js'
import type { WandbState } from './state.js'

/** A record W&B cannot take; the sink throws TG_SINK_REJECTED so the dispatcher bisects to it. */
export interface Refusal {
  record: AddressedRecord
  code: 'late_step' | 'after_status' | 'reserved_key' | 'row_too_large'
  message: string
}

/**
 * Closes the open row: it gets the next line offset, which from now on is fixed in the state.
 * The summary follows the rows in offset order.
 */
export function closeRow (s: WandbState, runStartMs: number): void {
  const row = s.open
  if (row === null) return
  s.pending.push(encodeHistoryRow(row, runStartMs))
  s.lastStep = row.step
  Object.assign(s.summary, row.metrics)
  s.summaryAt = { step: row.step, ts: row.ts }
  s.summaryDirty = true
  s.open = null
}

/**
 * Folds records into the state in log order (pure apart from mutating `s`). Metrics of one step
 * merge into one row, which closes when a higher step or the status arrives. W&B drops rows whose
 * step goes backwards, so a metric for an already closed step is refused rather than sent.
 */
export function applyRecords (s: WandbState, records: AddressedRecord[], now: number, runStartMs: number): Refusal[] {
  const refusals: Refusal[] = []
  for (const record of records) {
    switch (record.kind) {
      case 'param': s.params[record.key] = record.value; break
      case 'tag': s.tags[record.key] = record.value; break
      case 'status':
        closeRow(s, runStartMs)
        // A second status record (e.g. FAILED after FINISHED) cannot change a finished W&B run.
        if (s.exit === null) s.exit = exitCodeFor(record.status)
        break
      case 'metric': {
        const refusal = addMetric(s, record, now, runStartMs)
        if (refusal !== undefined) refusals.push({ record, ...refusal })
      }
    }
  }
  return refusals
}

function addMetric (s: WandbState, m: MetricRecord & { seq: number, idx: number }, now: number, runStartMs: number): Omit<Refusal, 'record'> | undefined {
  const where = `metric ${JSON.stringify(m.key)} step ${m.step} (seq ${m.seq}.${m.idx})`
  if (s.exit !== null) {
    return { code: 'after_status', message: `after_status: ${where} arrived after the run's terminal status; the W&B run is already ending` }
  }
  if (RESERVED_KEYS.has(m.key)) {
    return { code: 'reserved_key', message: `reserved_key: ${where} uses a key W&B reserves for its own row fields` }
  }
  const openStep = s.open?.step ?? s.lastStep
  if (m.step < openStep || (s.open === null && m.step <= s.lastStep)) {
    return { code: 'late_step', message: `late_step: ${where} is older than step ${openStep}, whose row is already ${s.open === null ? 'sent' : 'open'}; W&B drops decreasing steps` }
  }
  if (s.open !== null && m.step > s.open.step) closeRow(s, runStartMs)
  const size = m.key.length + 32
  if (s.open === null) {
    s.open = { step: m.step, ts: m.timestamp, metrics: {}, touchedAt: now, bytes: 96 }
  } else if (s.open.bytes + size > MAX_LINE_BYTES) {
    return { code: 'row_too_large', message: `row_too_large: ${where} would make the row exceed W&B's ${MAX_LINE_BYTES}-byte line limit` }
  }
  const row = s.open
  if (!(m.key in row.metrics)) row.bytes += size
  row.metrics[m.key] = toWire(m.value)
  row.ts = Math.max(row.ts, m.timestamp)
  row.touchedAt = now
  return undefined
}
