import type { Run } from '../../store/store.js'
import type { WireMetricValue } from '../../domain/limits.js'
import type { ParamValue } from '../../domain/param-value.js'
import { invalid, missing } from './errors.js'
import { experimentId } from './experiment-ids.js'

/**
 * MLflow's JSON encodings (reference/mlflow.md §1.2): int64 as numbers or numeric strings, doubles
 * as numbers, numeric strings or "NaN"/"Infinity"/"-Infinity", enums by name or number, unknown
 * fields ignored. GET requests carry the same fields in the query string.
 */
export type Fields = Record<string, unknown>

export function fields (v: unknown): Fields {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('Malformed request: the body must be a JSON object')
  return v as Fields
}

/** A query-string value repeated by the client arrives as an array: the first one counts. */
const scalar = (v: unknown): unknown => Array.isArray(v) ? v[0] : v

export function optString (f: Fields, name: string): string | undefined {
  const v = scalar(f[name])
  if (v === undefined || v === null) return undefined
  if (typeof v === 'string') {
    if (v.includes('\0')) throw invalid(`Invalid value for parameter '${name}' supplied: it contains a NUL character`)
    return v
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v) // older clients send numeric experiment ids
  throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied: expected a string`)
}

export function requiredString (f: Fields, name: string): string {
  const v = optString(f, name)
  if (v === undefined || v === '') throw missing(name)
  return v
}

/** `run_id`, or the legacy `run_uuid` the client also sends (not accepted by log-batch). */
export function runIdOf (f: Fields, uuidFallback = true): string {
  const id = optString(f, 'run_id') ?? (uuidFallback ? optString(f, 'run_uuid') : undefined)
  if (id === undefined || id === '') throw missing('run_id')
  return id
}

export function optInt64 (f: Fields, name: string): number | undefined {
  const v = scalar(f[name])
  if (v === undefined || v === null || v === '') return undefined
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied: expected an integer`)
  return n
}

export function toDouble (v: unknown, name: string): number {
  if (typeof v === 'number') return v
  if (v === 'NaN') return Number.NaN
  if (v === 'Infinity') return Number.POSITIVE_INFINITY
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  if (v === undefined || v === null) throw missing(name)
  throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied: expected a number`)
}

export function optArray (f: Fields, name: string): Fields[] {
  const v = f[name]
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || v.some(x => typeof x !== 'object' || x === null || Array.isArray(x))) {
    throw invalid(`Invalid value for parameter '${name}' supplied: expected a list of objects`)
  }
  return v as Fields[]
}

/** Repeated string fields (`experiment_ids`, `order_by`): a JSON array, or repeated query keys. */
export function stringList (f: Fields, name: string): string[] {
  const v = f[name]
  if (v === undefined || v === null) return []
  const list = Array.isArray(v) ? v : [v]
  return list.map(x => {
    if (typeof x === 'string') return x
    if (typeof x === 'number') return String(x)
    throw invalid(`Invalid value ${JSON.stringify(x)} for parameter '${name}' supplied: expected strings`)
  })
}

const STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const
export type MlflowStatus = typeof STATUSES[number]

/** RunStatus by name or number (1..5); an unknown value is ignored, as MLflow's ParseDict does. */
export function statusOf (v: unknown): MlflowStatus | undefined {
  const s = scalar(v)
  if (typeof s === 'string' && (STATUSES as readonly string[]).includes(s)) return s as MlflowStatus
  const n = typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : s
  return typeof n === 'number' ? STATUSES[n - 1] : undefined
}

/** A key/value list (tags) as a map; later duplicates win, as in MLflow. */
export function keyValues (list: Fields[], what: string): Record<string, string> {
  const out: Record<string, string> = {}
  list.forEach((item, i) => {
    const key = optString(item, 'key')
    if (key === undefined || key === '') throw missing(`${what}[${i}].key`)
    out[key] = optString(item, 'value') ?? ''
  })
  return out
}

/** MLflow params are strings; a typed gateway param reads back as its JSON text. */
export const paramText = (v: ParamValue): string => typeof v === 'string' ? v : JSON.stringify(v)

export const artifactUri = (run: Run): string => `mlflow-artifacts:/${experimentId(run.experiment)}/${run.id}/artifacts`

export function runInfo (run: Run) {
  return {
    run_uuid: run.id,
    experiment_id: experimentId(run.experiment),
    run_name: run.name,
    user_id: run.tags['mlflow.user'] ?? '',
    status: run.status,
    start_time: run.createdAt,
    ...(run.endedAt === null ? {} : { end_time: run.endedAt }),
    artifact_uri: artifactUri(run),
    lifecycle_stage: 'active',
    run_id: run.id
  }
}

export interface Point { key: string, value: WireMetricValue, step: number, timestamp: number }

export const metricOut = (p: Point) => ({ key: p.key, value: p.value, timestamp: p.timestamp, step: p.step })

export function runOut (run: Run, latest: Record<string, { value: WireMetricValue, step: number, timestamp: number }>, params: Record<string, ParamValue>) {
  const data: Record<string, unknown> = {}
  const metrics = Object.entries(latest).map(([key, m]) => metricOut({ key, ...m }))
  if (metrics.length > 0) data.metrics = metrics
  const ps = Object.entries(params).map(([key, v]) => ({ key, value: paramText(v) }))
  if (ps.length > 0) data.params = ps
  const tags = Object.entries(run.tags).map(([key, value]) => ({ key, value }))
  if (tags.length > 0) data.tags = tags
  return { info: runInfo(run), data, inputs: {} }
}

/** Opaque page tokens (base64url JSON), checked on the way back in. */
export function encodeToken (v: Record<string, number>): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url')
}

export function decodeToken (s: string | undefined, keys: string[]): Record<string, number> | undefined {
  if (s === undefined || s === '') return undefined
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>
    if (keys.every(k => Number.isSafeInteger(v[k]))) return v as Record<string, number>
  } catch {}
  throw invalid(`Invalid page token '${s}'`)
}
