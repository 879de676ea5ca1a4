import type { MetricRecord, ParamRecord, TagRecord } from '../../domain/records.js'

/**
 * Pure encoder: run-log records → MLflow `runs/log-batch` request bodies.
 * Limits are MLflow's server-side ones (validation.py); the 1 MB body cap is only documented by
 * the OSS server but enforced by managed ones, so we keep to it everywhere.
 */
export const LOG_BATCH_LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  items: 1000,
  bytes: 1_000_000,
  /** Server truncates longer param values (since 2.8) — we truncate first so a resend is byte-identical. */
  paramValueChars: 6000,
  /** 8000 since 2.17 (5000 before; older servers truncate further themselves). */
  tagValueChars: 8000
} as const

export type LogBatchLimits = { [K in keyof typeof LOG_BATCH_LIMITS]: number }

/** A metric value as MLflow's JSON wants it: finite numbers as numbers, the rest as proto3 JSON strings. */
export type WireValue = number | 'NaN' | 'Infinity' | '-Infinity'

export interface WireMetric { key: string, value: WireValue, timestamp: number, step: number }
export interface WireKeyValue { key: string, value: string }

export interface LogBatchBody {
  run_id: string
  metrics?: WireMetric[]
  params?: WireKeyValue[]
  tags?: WireKeyValue[]
}

export type BatchableRecord = MetricRecord | ParamRecord | TagRecord

/**
 * `JSON.stringify(NaN)` is `null`, which MLflow rejects (400), and a bare `NaN` token is silently
 * stored as 0 at t=0 — so non-finite values must travel as these strings.
 */
export function wireValue (value: number): WireValue {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return 'Infinity'
  if (value === -Infinity) return '-Infinity'
  return value
}

/** The SQL store saves ±Inf as ±max double, so those two spellings are one stored point. */
function storedValueKey (value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return String(Number.MAX_VALUE)
  if (value === -Infinity) return String(-Number.MAX_VALUE)
  return String(value)
}

/** Truncate by code points, as Python's `len()` counts them. */
export function truncateChars (value: string, max: number): string {
  if (value.length <= max) return value // UTF-16 length ≥ code points, so this is a safe fast path
  const points = Array.from(value)
  return points.length <= max ? value : points.slice(0, max).join('')
}

const bytesOf = (item: unknown): number => Buffer.byteLength(JSON.stringify(item)) + 1 // + the comma

/**
 * Chunk records into log-batch bodies, in record order, within every limit.
 * - Identical metric tuples are sent once: the server dedupes finite ones anyway, but two equal NaN
 *   points in one request make the SQL store fail the whole batch with 400 BAD_REQUEST.
 * - A param key appears at most once per body (MLflow rejects duplicates even when equal). The same
 *   value again is dropped; a different value goes to a later body so the server can reject just it.
 */
export function encodeLogBatches (runId: string, records: readonly BatchableRecord[], limits: LogBatchLimits = LOG_BATCH_LIMITS): LogBatchBody[] {
  const envelope = bytesOf({ run_id: runId, metrics: [], params: [], tags: [] })
  const bodies: LogBatchBody[] = []
  const seenPoints = new Set<string>()
  const sentParams = new Map<string, string>() // params already placed in some body of this call

  let metrics: WireMetric[] = []
  let params: WireKeyValue[] = []
  let tags: WireKeyValue[] = []
  let bodyParams = new Set<string>()
  let bytes = envelope

  const flush = (): void => {
    if (metrics.length + params.length + tags.length === 0) return
    const body: LogBatchBody = { run_id: runId }
    if (params.length > 0) body.params = params
    if (metrics.length > 0) body.metrics = metrics
    if (tags.length > 0) body.tags = tags
    bodies.push(body)
    metrics = []; params = []; tags = []; bodyParams = new Set(); bytes = envelope
  }
  const fits = (kindCount: number, kindLimit: number, itemBytes: number): boolean =>
    kindCount < kindLimit &&
    metrics.length + params.length + tags.length < limits.items &&
    bytes + itemBytes <= limits.bytes

  for (const r of records) {
    if (r.kind === 'metric') {
      const id = `${r.key}\u0000${r.timestamp}\u0000${r.step}\u0000${storedValueKey(r.value)}`
      if (seenPoints.has(id)) continue
      seenPoints.add(id)
      const item: WireMetric = { key: r.key, value: wireValue(r.value), timestamp: r.timestamp, step: r.step }
      const b = bytesOf(item)
      if (!fits(metrics.length, limits.metrics, b)) flush()
      metrics.push(item); bytes += b
    } else if (r.kind === 'param') {
      const value = truncateChars(r.value, limits.paramValueChars)
      if (sentParams.get(r.key) === value) continue
      const item: WireKeyValue = { key: r.key, value }
      const b = bytesOf(item)
      if (bodyParams.has(r.key) || !fits(params.length, limits.params, b)) flush()
      params.push(item); bodyParams.add(r.key); sentParams.set(r.key, value); bytes += b
    } else {
      // Tags are last-write-wins on the server; keeping every write in order keeps that meaning.
      const item: WireKeyValue = { key: r.key, value: truncateChars(r.value, limits.tagValueChars) }
      const b = bytesOf(item)
      if (!fits(tags.length, limits.tags, b)) flush()
      tags.push(item); bytes += b
    }
  }
  flush()
  return bodies
}
