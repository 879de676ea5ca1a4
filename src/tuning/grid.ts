/**
 * Grid enumeration. Integer ranges step by 1 from min to max whatever their scaling (a grid has
 * no use for warping: it visits every value); categorical ranges take their values in the order
 * given. Continuous ranges have no grid.
 *
 * Order is an odometer over the sorted range names, the last name turning fastest, so the k-th
 * grid point is the same on every run and a restarted search can skip the ones already used.
 */
import type { Assignment, CategoricalValue, Range, Ranges } from './ranges.js'

function axis (range: Range): CategoricalValue[] {
  if (range.type === 'categorical') return range.values
  if (range.type === 'continuous') throw new RangeError('a continuous range has no grid')
  const values: number[] = []
  for (let v = range.min; v <= range.max; v++) values.push(v)
  return values
}

/** Number of grid points: Infinity when any range is continuous. */
export function gridSize (ranges: Ranges): number {
  let size = 1
  for (const range of Object.values(ranges)) {
    if (range.type === 'continuous') return Infinity
    size *= range.type === 'categorical'
      ? range.values.length
      : Math.max(0, Math.floor(range.max) - Math.ceil(range.min) + 1)
  }
  return size
}

/** Every grid point, lazily: a grid can be far larger than the part of it a search uses. */
export function * iterateGrid (ranges: Ranges): Generator<Assignment> {
  const names = Object.keys(ranges).sort()
  const axes = names.map((name) => axis(ranges[name] as Range))
  if (axes.some((values) => values.length === 0)) return
  const digits = names.map(() => 0)
  while (true) {
    const point: Assignment = {}
    names.forEach((name, i) => { point[name] = (axes[i] as CategoricalValue[])[digits[i] as number] as CategoricalValue })
    yield point
    let i = names.length - 1
    while (i >= 0) {
      const next = (digits[i] as number) + 1
      if (next < (axes[i] as CategoricalValue[]).length) { digits[i] = next; break }
      digits[i] = 0
      i--
    }
    if (i < 0) return
  }
}

export const gridPoints = (ranges: Ranges): Assignment[] => [...iterateGrid(ranges)]
