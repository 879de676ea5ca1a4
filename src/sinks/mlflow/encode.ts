import type { MetricRecord, ParamRecord, TagRecord } from '../../domain/records.js'
import { pyStr } from '../../codecs/python/py-str.js'
import { codePoints } from '../../domain/limits.js'

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
  /** Longest param value (since 2.8; 500 before): a longer one is a dead letter, never cut (see `paramTooLong`). */
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

/**
 * The first param whose MLflow form (`str(value)`, as the Python client writes it) is longer than
 * the server keeps. Cutting it would store a different value than the run holds, and MLflow's
 * params are immutable, so it is refused instead (the dispatcher dead-letters that one record).
 */
export function paramTooLong (records: Array<{ kind: string, key?: string, value?: unknown }>, maxChars: number): string | undefined {
  for (const r of records) {
    if (r.kind !== 'param') continue
    const chars = codePoints(pyStr(r.value))
    if (chars > maxChars) {
      return `param_too_long: param ${JSON.stringify(r.key)} is ${chars} characters as MLflow writes it (str(value)); this server keeps at most ${maxChars}`
    }
  }
  return undefined
}

/** Truncate by code points, as Python's `len()` counts them. */
export function truncateChars (value: string, max: number): string {
  if (value.length <= max) return value // UTF-16 length ≥ code points, so this is a safe fast path
  const points = Array.from(value)
  return points.length <= max ? value : points.slice(0, max).join('')
}

const bytesOf = (item: unknown): number => Buffer.byteLength(JSON.stringify(item)) + 1 // + the comma

interface OpenBody { metrics: WireMetric[], params: WireKeyValue[], tags: WireKeyValue[], paramKeys: Set<string>, bytes: number }

/**
 * Chunk records into log-batch bodies within every limit, in as few bodies as possible.
 * Each kind keeps its own order (bodies are sent in order): tags are last-write-wins and the
 * first value of a param is the one that sticks. Across kinds order does not matter inside one
 * deliver segment, so params and tags fill the room metrics leave (first fit, per-kind cursor).
 * - Identical metric tuples are sent once: the server dedupes finite ones anyway, but two equal NaN
 *   points in one request make the SQL store fail the whole batch with 400 BAD_REQUEST.
 * - A param key appears at most once per body (MLflow rejects duplicates even when equal). The same
 *   value again is dropped; a different value goes to a later body so the server can reject just it.
 */
export function encodeLogBatches (runId: string, records: readonly BatchableRecord[], limits: LogBatchLimits = LOG_BATCH_LIMITS): LogBatchBody[] {
  const envelope = bytesOf({ run_id: runId, metrics: [], params: [], tags: [] })
  const open: OpenBody[] = []
  const cursor = { metrics: 0, params: 0, tags: 0 }
  const cap = { metrics: limits.metrics, params: limits.params, tags: limits.tags }
  const seenPoints = new Set<string>()
  const sentParams = new Map<string, string>() // last value placed per param key in this call

  const place = (kind: 'metrics' | 'params' | 'tags', item: WireMetric | WireKeyValue): void => {
    const b = bytesOf(item)
    let i = cursor[kind]
    for (; i < open.length; i++) {
      const body = open[i] as OpenBody
      const items = body.metrics.length + body.params.length + body.tags.length
      if (body[kind].length < cap[kind] && items < limits.items && body.bytes + b <= limits.bytes &&
        !(kind === 'params' && body.paramKeys.has(item.key))) break
    }
    if (i === open.length) open.push({ metrics: [], params: [], tags: [], paramKeys: new Set(), bytes: envelope })
    const body = open[i] as OpenBody
    ;(body[kind] as Array<typeof item>).push(item)
    if (kind === 'params') body.paramKeys.add(item.key)
    body.bytes += b
    cursor[kind] = i
  }

  for (const r of records) {
    if (r.kind === 'metric') {
      const id = `${r.key}\u0000${r.timestamp}\u0000${r.step}\u0000${storedValueKey(r.value)}`
      if (seenPoints.has(id)) continue
      seenPoints.add(id)
      place('metrics', { key: r.key, value: wireValue(r.value), timestamp: r.timestamp, step: r.step })
    } else if (r.kind === 'param') {
      const value = pyStr(r.value)
      if (sentParams.get(r.key) === value) continue
      sentParams.set(r.key, value)
      place('params', { key: r.key, value })
    } else {
      place('tags', { key: r.key, value: truncateChars(r.value, limits.tagValueChars) })
    }
  }
  return open.map(o => {
    const body: LogBatchBody = { run_id: runId }
    if (o.params.length > 0) body.params = o.params
    if (o.metrics.length > 0) body.metrics = o.metrics
    if (o.tags.length > 0) body.tags = o.tags
    return body
  })
}
