import { TfeventsDecodeError } from './errors.js'

/**
 * protobufjs hands int64 fields over as decimal strings (toObject `longs: String`). Numbers are
 * what callers want, but beyond 2^53 they would silently round to a neighbouring step, so such
 * values are refused rather than misreported.
 */
export function int64ToNumber (v: string | number | undefined, field: string): number {
  if (v === undefined) return 0
  if (typeof v === 'number') return v
  const big = BigInt(v)
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new TfeventsDecodeError(`${field} ${v} is outside the safe integer range of a JS number`)
  }
  return Number(big)
}
