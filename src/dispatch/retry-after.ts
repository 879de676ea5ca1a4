/**
 * Parse an HTTP `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Returns milliseconds to wait (≥ 0), or undefined when absent or unparseable.
 */
export function parseRetryAfter (value: string | string[] | undefined | null, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value
  if (raw == null) return undefined
  const text = raw.trim()
  if (text === '') return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}
