/**
 * MLflow's server-side rules (mlflow/utils/validation.py, handlers.py, exceptions.py) with the
 * codes, statuses and wording recorded in shared/reference/mlflow.md (2.17–2.22 servers).
 */

const STATUS_OF: Record<string, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400, // not 409: the Python client relies on this code in set_experiment races
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500
}

export class MlflowError extends Error {
  readonly errorCode: string
  readonly status: number
  constructor (errorCode: string, message: string) {
    super(message)
    this.errorCode = errorCode
    this.status = STATUS_OF[errorCode] ?? 500
  }
}

export const invalid = (message: string): MlflowError => new MlflowError('INVALID_PARAMETER_VALUE', message)

export const LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  entities: 1000,
  keyLength: 250,
  paramValue: 6000,
  tagValue: 8000,
  experimentName: 500,
  searchMaxResults: 50000
}

export function missing (path: string): MlflowError {
  return invalid(`Missing value for required parameter '${path}'. See the API docs for more information about request parameters.`)
}

/** `_assert_required`: rejects absent, null and "" (so 0 is fine, an empty key is not). */
export function required (obj: Record<string, unknown>, field: string, path = field): unknown {
  const v = obj[field]
  if (v === undefined || v === null || v === '') throw missing(path)
  return v
}

/** Python's posixpath.normpath, which MLflow uses to refuse keys that alias other keys as files. */
export function posixNormpath (path: string): string {
  if (path === '') return '.'
  let initial = path.startsWith('/') ? 1 : 0
  if (path.startsWith('//') && !path.startsWith('///')) initial = 2
  const out: string[] = []
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue
    if (comp !== '..' || (initial === 0 && out.length === 0) || out[out.length - 1] === '..') out.push(comp)
    else if (out.length > 0) out.pop()
  }
  const joined = '/'.repeat(initial) + out.join('/')
  return joined === '' ? '.' : joined
}

const NAME_CHARS = /^[\p{L}\p{N}_/.\- :]*$/u // Python's Unicode \w, plus / . - space and ':' (since 2.16)

/** `validate_param_and_metric_name` + length check, with the 2.17+ wording. */
export function validateKey (key: string, path: string, kind: 'metric' | 'param' | 'tag'): void {
  if (!NAME_CHARS.test(key)) {
    throw invalid(`Invalid value ${JSON.stringify(key)} for parameter '${path}' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`)
  }
  const norm = posixNormpath(key)
  if (norm !== key || norm === '.' || norm.startsWith('..') || norm.startsWith('/')) {
    throw invalid(`Invalid value ${JSON.stringify(key)} for parameter '${path}' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`)
  }
  const length = Array.from(key).length
  if (length > LIMITS.keyLength) {
    const what = kind === 'metric' ? 'Metric name' : kind === 'param' ? 'Param key' : 'Tag key'
    throw invalid(`${what} '${key}' had length ${length}, which exceeded length limit of ${LIMITS.keyLength}`)
  }
}

/** Over-long values are cut (MLFLOW_TRUNCATE_LONG_VALUES, default on since 2.11), else rejected. */
export function fitValue (value: string, limit: number, truncate: boolean, what: string, path: string): string {
  const points = Array.from(value)
  if (points.length <= limit) return value
  if (truncate) return points.slice(0, limit).join('')
  throw invalid(`${what} value '${value.slice(0, 100)}...' had length ${points.length}, which exceeded length limit of ${limit} (${path})`)
}

/**
 * int64 as protobuf's ParseDict reads it: a JSON number or numeric string. A non-integral value
 * fails parsing, and MLflow then silently uses the proto default (0) — we return undefined.
 */
export function parseInt64 (v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v)
  return undefined
}

/** A double as ParseDict accepts it: number, numeric string, or proto3's "NaN"/"Infinity"/"-Infinity". */
export function parseDouble (v: unknown): number | undefined {
  if (typeof v === 'number') return v
  if (typeof v !== 'string') return undefined
  if (v === 'NaN') return NaN
  if (v === 'Infinity') return Infinity
  if (v === '-Infinity') return -Infinity
  if (/^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v)
  return undefined // e.g. "nan", "inf": not proto3 JSON spellings
}

export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const
export type RunStatus = typeof RUN_STATUSES[number]

/** Enum by name, number or numeric string; anything else is ignored (ParseDict failure → unset). */
export function parseStatus (v: unknown): RunStatus | undefined {
  if (typeof v === 'string' && (RUN_STATUSES as readonly string[]).includes(v)) return v as RunStatus
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN
  return RUN_STATUSES[n - 1]
}
