/**
 * A run param as users' tools type it: MLflow's `log_params` takes anything `str()` can print,
 * W&B's `config` keeps numbers, booleans, lists and nested objects, TensorBoard's HParams have
 * number, bool and string values. The run log keeps the JSON value; each sink's encoder turns it
 * into its own form (src/sinks/<name>/).
 *
 * JSON has no NaN or ±Infinity: a client sends those as the strings "NaN", "Infinity",
 * "-Infinity" (as for metric values) and they stay those strings.
 */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue }

export type ParamType = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object'

/** Arrays and objects nest at most this deep (`[1, [2]]` is depth 2). */
export const MAX_PARAM_DEPTH = 5
/** Characters of a non-string value's JSON (a string value is limited by its own length). */
export const MAX_PARAM_JSON_LENGTH = 6000

export function paramType (v: ParamValue): ParamType {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v as 'string' | 'number' | 'boolean' | 'object'
}

/** Returns a reason when `v` is not a value a param may hold (depth, finite numbers), else undefined. */
export function paramValueProblem (v: unknown, depth = 0): string | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : 'must be a finite number (send "NaN" or "Infinity" as strings)'
  if (typeof v !== 'object') return `has an unsupported type (${typeof v})`
  if (depth >= MAX_PARAM_DEPTH) return `nests deeper than ${MAX_PARAM_DEPTH} levels`
  for (const item of Array.isArray(v) ? v : Object.values(v)) {
    const p = paramValueProblem(item, depth + 1)
    if (p !== undefined) return p
  }
  return undefined
}

/** JSON with object keys sorted: two values are the same param value when these are equal. */
export function canonicalJson (v: ParamValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  return `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${canonicalJson(v[k] as ParamValue)}`).join(',')}}`
}

/** Immutability compares typed values: `1` and `1.0` are one value, `1` and `"1"` are not. */
export function sameParamValue (a: ParamValue, b: ParamValue): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return canonicalJson(a) === canonicalJson(b)
}

/** How a value reads in a message: its JSON, shortened, with its type. */
export function describeParamValue (v: ParamValue): string {
  const json = JSON.stringify(v)
  return `${json.length > 80 ? json.slice(0, 77) + '...' : json} (${paramType(v)})`
}
