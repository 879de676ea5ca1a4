/**
 * Python's `json.dumps(value)` with default arguments, byte for byte: `", "` and `": "`
 * separators, `ensure_ascii=True`, and `repr(float)` number formatting (`1e-05`, `1e+16`).
 * The SageMaker SDK encodes every hyperparameter this way (reference §1.3), and the
 * container decodes it with `json.loads`, so `JSON.stringify` would give different strings.
 *
 * A JS number cannot tell `10` from `10.0` once parsed, so integral numbers are written as
 * Python ints; the container's `json.loads` then yields `int`, which Python code accepts where
 * a float is expected. Integers beyond 2^53 are written like Python floats (`1e+16`).
 */
export function pyJsonDumps (value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (value === true) return 'true'
  if (value === false) return 'false'
  if (typeof value === 'number') return pyNumber(value)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'string') return pyString(value)
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyString(k)}: ${pyJsonDumps(v)}`)
    return `{${parts.join(', ')}}`
  }
  throw new TypeError(`Object of type ${typeof value} is not JSON serializable`)
}

/** `repr(x)` of the float or int a JSON number decodes to in Python (`json.loads`). */
export function pyNumber (n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  // Beyond 2^53 an integer is not exact in JS, so it most likely arrived as a float literal.
  if (Number.isSafeInteger(n)) return String(n)
  // Shortest round-trip digits, the same digits Python's repr picks; only the layout differs.
  const [mantissa = '', expText = '0'] = n.toExponential().split('e')
  const exp = Number(expText)
  // Python's float_repr_style 'short': scientific when exp < -4 or exp >= 16.
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+'
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`
  }
  const negative = mantissa.startsWith('-')
  const digits = mantissa.replace('-', '').replace('.', '')
  let text: string
  if (exp < 0) {
    text = `0.${'0'.repeat(-exp - 1)}${digits}`
  } else if (digits.length > exp + 1) {
    text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
  } else {
    text = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`
  }
  return negative ? `-${text}` : text
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t'
}

function pyString (s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i)
    const code = s.charCodeAt(i)
    const short = SHORT_ESCAPES[ch]
    if (short !== undefined) out += short
    // Python escapes everything outside printable ASCII (space..tilde), one UTF-16 unit at a time.
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return out + '"'
}
