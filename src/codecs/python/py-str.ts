import { pyNumber } from './py-json.js'

/**
 * Python's `str(value)` of what `json.loads` makes of a JSON value, as the MLflow client writes a
 * param (`log_param(key, value)` sends `str(value)`): `True`, `None`, `0.001`, `1e-05`,
 * `[96, 96, 96]`, `{'a': 'b'}`. A top-level string is itself; strings inside lists and dicts are
 * `repr`'d (single quotes unless the string holds a single quote and no double quote).
 */
export function pyStr (value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value)
}

export function pyRepr (value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') return pyNumber(value)
  if (typeof value === 'string') return pyStringRepr(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`).join(', ')}}`
  }
  return String(value)
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** `repr(str)`: Python 3 keeps printable non-ASCII; it escapes C0 controls and DEL as `\xNN`. */
export function pyStringRepr (s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const esc = ESCAPES[ch]
    const code = ch.codePointAt(0) ?? 0
    if (esc !== undefined) out += esc
    else if (ch === quote) out += `\\${quote}`
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16)}`
    else out += ch
  }
  return out + quote
}
