/**
 * The search works on the unit cube [0,1]^d, not on raw values: a step of 0.1 then means the same
 * thing for a learning rate spanning five decades and for a batch size, and the Gaussian process
 * can use one kernel for all of them. encode/decode are the only bridge between the two.
 *
 * Dimension order is the sorted range names, so the same ranges always give the same layout
 * whatever order the request listed them in.
 *
 * Numeric ranges take one dimension, linear in a warped space:
 *   linear      w(x) = x
 *   log         w(x) = ln x                 even density per decade (needs min > 0)
 *   reverseLog  w(x) = -ln(1 - x)           even density per "nine" of 0.9, 0.99, 0.999 (needs max < 1)
 *   auto        integer: linear; continuous: log when min > 0 and max/min >= 10, else linear
 *               (a range spanning a decade or more is almost always a rate or a weight whose
 *               effect is multiplicative; a narrow or sign-crossing one has no log space)
 * All three warps are increasing, so u = 0 is min and u = 1 is max.
 *
 * Integers are decoded by rounding, over [min - 0.5, max + 0.5] rather than [min, max]: each
 * integer then owns a bin of equal warped width, where plain rounding would give the two end
 * values half the probability of the others.
 *
 * Categorical ranges take one dimension per value (one-hot): values have no order, and one-hot
 * puts every pair of distinct values at the same distance. decode picks the largest coordinate.
 */
import type { Assignment, CategoricalValue, NumericRange, Range, Ranges } from './ranges.js'
import type { Rng } from './random.js'

export type Warp = 'linear' | 'log' | 'reverseLog'

export interface Dimension {
  name: string
  range: Range
  /** Index of this range's first coordinate in an encoded point. */
  offset: number
  /** 1 for numeric ranges, the number of values for categorical ones. */
  width: number
}

/** The warp a numeric range is searched in; see the file comment for "auto". */
export function warpOf (range: NumericRange): Warp {
  const scaling = range.scaling ?? 'auto'
  if (scaling === 'log') return 'log'
  // SageMaker refuses reverseLog on integers; fall back to linear rather than produce NaN.
  if (scaling === 'reverseLog') return range.type === 'continuous' ? 'reverseLog' : 'linear'
  if (scaling === 'linear' || range.type === 'integer') return 'linear'
  return range.min > 0 && range.max / range.min >= 10 ? 'log' : 'linear'
}

const warp = (w: Warp, x: number): number =>
  w === 'log' ? Math.log(x) : w === 'reverseLog' ? -Math.log(1 - x) : x

const unwarp = (w: Warp, v: number): number =>
  w === 'log' ? Math.exp(v) : w === 'reverseLog' ? 1 - Math.exp(-v) : v

/** The warped interval a numeric range spans (widened by half a step for integers). */
function warpedBounds (range: NumericRange): [number, number, Warp] {
  const w = warpOf(range)
  const pad = range.type === 'integer' ? 0.5 : 0
  return [warp(w, range.min - pad), warp(w, range.max + pad), w]
}

export function cubeLayout (ranges: Ranges): Dimension[] {
  const layout: Dimension[] = []
  let offset = 0
  for (const name of Object.keys(ranges).sort()) {
    const range = ranges[name] as Range
    const width = range.type === 'categorical' ? range.values.length : 1
    layout.push({ name, range, offset, width })
    offset += width
  }
  return layout
}

/** Number of unit-cube coordinates the ranges encode to. */
export const dimensions = (ranges: Ranges): number =>
  cubeLayout(ranges).reduce((sum, d) => sum + d.width, 0)

const clamp01 = (u: number): number => (u < 0 ? 0 : u > 1 ? 1 : u)

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x)

/** Whether a value is one this range can produce (right type, inside the bounds, a listed value). */
export function valueFits (range: Range, value: CategoricalValue | undefined): boolean {
  if (range.type === 'categorical') return value !== undefined && range.values.includes(value)
  if (typeof value !== 'number' || !(value >= range.min && value <= range.max)) return false
  return range.type === 'continuous' || Number.isInteger(value)
}

/** Whether every range has a fitting value in the assignment (extra keys are ignored). */
export const fits = (ranges: Ranges, assignment: Assignment): boolean =>
  Object.entries(ranges).every(([name, range]) => valueFits(range, assignment[name]))

export const encode = (ranges: Ranges, assignment: Assignment): number[] =>
  encodeWith(cubeLayout(ranges), assignment)

export const decode = (ranges: Ranges, point: ArrayLike<number>): Assignment =>
  decodeWith(cubeLayout(ranges), point)

/** encode with a layout computed once, for loops over thousands of points. */
export function encodeWith (layout: Dimension[], assignment: Assignment): number[] {
  const point: number[] = []
  for (const { name, range } of layout) {
    const value = assignment[name]
    if (!valueFits(range, value)) {
      throw new RangeError(`assignment has no value for "${name}" inside its range (got ${JSON.stringify(value)})`)
    }
    if (range.type === 'categorical') {
      for (const v of range.values) point.push(v === value ? 1 : 0)
    } else {
      const [lo, hi, w] = warpedBounds(range)
      point.push(clamp01((warp(w, value as number) - lo) / (hi - lo)))
    }
  }
  return point
}

export function decodeWith (layout: Dimension[], point: ArrayLike<number>): Assignment {
  const assignment: Assignment = {}
  for (const { name, range, offset } of layout) {
    if (range.type === 'categorical') {
      let best = 0
      for (let i = 1; i < range.values.length; i++) {
        if ((point[offset + i] ?? 0) > (point[offset + best] ?? 0)) best = i
      }
      assignment[name] = range.values[best] as CategoricalValue
    } else {
      const [lo, hi, w] = warpedBounds(range)
      const x = unwarp(w, lo + clamp01(point[offset] ?? 0) * (hi - lo))
      // Clamp after rounding: exp(ln x) can land a hair outside [min, max], and the padded
      // integer bounds round to min - 1 or max + 1 at the very edges.
      assignment[name] = clamp(range.type === 'integer' ? Math.round(x) : x, range.min, range.max)
    }
  }
  return assignment
}

/** A uniform draw in the warped space (one rng call per range). */
export const sampleUniform = (ranges: Ranges, rng: Rng): Assignment =>
  sampleWith(cubeLayout(ranges), rng)

export function sampleWith (layout: Dimension[], rng: Rng): Assignment {
  const point: number[] = []
  for (const { range } of layout) {
    if (range.type === 'categorical') {
      const pick = Math.floor(rng() * range.values.length)
      for (let i = 0; i < range.values.length; i++) point.push(i === pick ? 1 : 0)
    } else {
      point.push(rng())
    }
  }
  return decodeWith(layout, point)
}
