/**
 * Validation rules for what a run may hold: the strictest of every sink we fan out to, in one
 * place, so a batch that we acknowledge can be delivered everywhere.
 *
 * - Keys: MLflow's rule (`^[/\w.\- :]*$`, a normalised relative path, ≤ 250 code points), minus the
 *   colon, which MLflow servers before 2.16 (SageMaker-managed 2.13 among them) reject.
 * - Param values ≤ 6000 code points (MLflow ≥ 2.8), tag values ≤ 5000 (MLflow < 2.17).
 * - Steps: non-negative integers up to 2^53 − 1 (TensorBoard and W&B need them ordered and exact).
 * - Per log-batch: at most 100 params and 100 tags (MLflow's per-request limits; we do not split
 *   params across requests because immutability errors must reach the caller).
 */
export const MAX_KEY_LENGTH = 250
export const MAX_PARAM_VALUE_LENGTH = 6000
export const MAX_TAG_VALUE_LENGTH = 5000
export const MAX_PARAMS_PER_BATCH = 100
export const MAX_TAGS_PER_BATCH = 100
export const MAX_BATCH_ID_LENGTH = 128
export const MAX_RUN_NAME_LENGTH = 250

const KEY_CHARS = /^[\p{L}\p{N}_/.\- ]+$/u

/** Length as Python's `len()` counts it (code points, not UTF-16 units). */
export function codePoints (s: string): number {
  let n = 0
  for (const _ of s) n++ // eslint-disable-line @typescript-eslint/no-unused-vars
  return n
}

// Training jobs log the same few keys millions of times: remember the ones already found valid.
const validKeys = new Set<string>()

/** Returns a reason when `key` is not a valid metric/param/tag key, else undefined. */
export function keyProblem (key: string): string | undefined {
  if (validKeys.has(key)) return undefined
  const problem = checkKey(key)
  if (problem === undefined) {
    if (validKeys.size >= 100_000) validKeys.clear()
    validKeys.add(key)
  }
  return problem
}

function checkKey (key: string): string | undefined {
  if (key.length === 0) return 'must not be empty'
  if (codePoints(key) > MAX_KEY_LENGTH) return `is longer than ${MAX_KEY_LENGTH} characters`
  if (!KEY_CHARS.test(key)) return 'may contain only letters, digits, "_", "-", ".", "/" and spaces'
  if (key.startsWith('/')) return 'must not start with "/"'
  const parts = key.split('/')
  if (parts.some(p => p === '' || p === '.' || p === '..') || key.startsWith('..')) {
    return 'must be a normalised relative path (no "//", "./", "../" or trailing "/")'
  }
  return undefined
}

export function valueLengthProblem (value: string, max: number): string | undefined {
  return codePoints(value) > max ? `is longer than ${max} characters` : undefined
}

/** Metric values on the wire: a JSON number, or one of these strings for non-finite values. */
export type WireMetricValue = number | 'NaN' | 'Infinity' | '-Infinity'

export function fromWireValue (v: WireMetricValue): number {
  if (typeof v === 'number') return v
  if (v === 'NaN') return Number.NaN
  return v === 'Infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
}

export function toWireValue (v: number): WireMetricValue {
  if (Number.isFinite(v)) return v
  if (Number.isNaN(v)) return 'NaN'
  return v > 0 ? 'Infinity' : '-Infinity'
}
