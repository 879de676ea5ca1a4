/**
 * How the emulated tuner picks hyperparameter values: Random sampling for every strategy but
 * Grid (which enumerates), seeded by `RandomSeed`. Values are strings, as SageMaker sends them:
 * plain decimals for continuous ranges, integers for integer ranges, categorical values verbatim.
 */

export interface NumericRange { Name: string, MinValue: string, MaxValue: string, ScalingType?: string }
export interface CategoricalRange { Name: string, Values: string[] }
export interface ParameterRanges {
  IntegerParameterRanges?: NumericRange[]
  ContinuousParameterRanges?: NumericRange[]
  CategoricalParameterRanges?: CategoricalRange[]
}

/** mulberry32: small, fast, deterministic for a seed — all the emulator needs. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** u in [0, 1) onto [min, max] with the range's scaling (Auto is treated as Linear). */
function scale (u: number, min: number, max: number, scaling: string | undefined): number {
  if (scaling === 'Logarithmic') return Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min)))
  if (scaling === 'ReverseLogarithmic') return 1 - Math.exp(Math.log(1 - max) + u * (Math.log(1 - min) - Math.log(1 - max)))
  return min + u * (max - min)
}

const clamp = (v: number, min: number, max: number): number => Math.min(max, Math.max(min, v))

/** A decimal string without an exponent, 6 significant digits: 0.000312457, 12.5, 3e-7 → "0.0000003". */
export function decimalString (v: number): string {
  const r = Number(v.toPrecision(6))
  const s = String(r)
  if (!s.includes('e')) return s
  const digits = Math.min(100, Math.max(0, 5 - Math.floor(Math.log10(Math.abs(r)))))
  return r.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')
}

function continuous (r: NumericRange, u: number): string {
  const min = Number(r.MinValue)
  const max = Number(r.MaxValue)
  return decimalString(clamp(scale(u, min, max, r.ScalingType), min, max))
}

function integer (r: NumericRange, u: number): string {
  const min = Number(r.MinValue)
  const max = Number(r.MaxValue)
  // Linear: every integer in [min, max] equally likely; log scales round.
  const v = r.ScalingType === 'Logarithmic' || r.ScalingType === 'ReverseLogarithmic'
    ? Math.round(scale(u, min, max, r.ScalingType))
    : Math.floor(min + u * (max - min + 1))
  return String(clamp(v, min, max))
}

/** One random point: every range gets a value; categorical values are passed exactly as given. */
export function samplePoint (ranges: ParameterRanges, random: () => number): Record<string, string> {
  const out: Record<string, string> = {}
  for (const r of ranges.CategoricalParameterRanges ?? []) out[r.Name] = r.Values[Math.floor(random() * r.Values.length)] ?? ''
  for (const r of ranges.IntegerParameterRanges ?? []) out[r.Name] = integer(r, random())
  for (const r of ranges.ContinuousParameterRanges ?? []) out[r.Name] = continuous(r, random())
  return out
}

function gridAxes (ranges: ParameterRanges): Array<{ name: string, size: number, value: (i: number) => string }> {
  return [
    ...(ranges.CategoricalParameterRanges ?? []).map(r => ({ name: r.Name, size: r.Values.length, value: (i: number) => r.Values[i] ?? '' })),
    ...(ranges.IntegerParameterRanges ?? []).map(r => {
      const min = Number(r.MinValue)
      return { name: r.Name, size: Number(r.MaxValue) - min + 1, value: (i: number) => String(min + i) }
    })
  ]
}

/** How many combinations Grid enumerates (categorical values × integers). */
export function gridSize (ranges: ParameterRanges): number {
  return gridAxes(ranges).reduce((n, a) => n * a.size, 1)
}

/** The `index`-th Grid combination, the last range varying fastest (decoded, never listed: ranges may be wide). */
export function gridPoint (ranges: ParameterRanges, index: number): Record<string, string> {
  const pairs: Array<[string, string]> = []
  let rest = index
  for (const axis of gridAxes(ranges).reverse()) {
    pairs.unshift([axis.name, axis.value(rest % axis.size)])
    rest = Math.floor(rest / axis.size)
  }
  return Object.fromEntries(pairs)
}
