/**
 * W&B history, summary and config lines are "JSON extended with NaN and ±Infinity": the values
 * are written as the bare tokens `NaN`, `Infinity`, `-Infinity` (Go `runhistory.ToExtendedJSON`,
 * Python `json.dumps(allow_nan=True)`). `JSON.stringify` would turn them into `null`, which W&B
 * would then chart as a missing point, so lines are written by this encoder instead.
 */
export type ExtendedJson = null | boolean | number | string | ExtendedJson[] | { [key: string]: ExtendedJson }

export function toExtendedJson (value: ExtendedJson): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'number': return numberToken(value)
    case 'string': return JSON.stringify(value)
    case 'boolean': return value ? 'true' : 'false'
  }
  if (Array.isArray(value)) return '[' + value.map(toExtendedJson).join(',') + ']'
  let out = '{'
  let first = true
  for (const [key, inner] of Object.entries(value)) {
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + toExtendedJson(inner)
    first = false
  }
  return out + '}'
}

function numberToken (n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  // JSON.stringify gives the shortest string that round-trips, and "0" for -0 like Go does.
  return JSON.stringify(n)
}

/**
 * Sink state is stored as plain JSON, where NaN would silently become null; non-finite values
 * are therefore kept in state in the run log's wire form ("NaN", "Infinity", "-Infinity").
 */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity'

export function toWire (n: number): WireNumber {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  return n
}

export function fromWire (w: WireNumber): number {
  if (typeof w === 'number') return w
  return w === 'NaN' ? NaN : w === 'Infinity' ? Infinity : -Infinity
}
