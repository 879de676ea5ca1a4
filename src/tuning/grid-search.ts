/** Grid search: the next grid points in grid order that no trial has used yet. */
import type { Assignment } from './ranges.js'
import { assignmentKey } from './ranges.js'
import { iterateGrid } from './grid.js'
import type { SuggestInput } from './search-input.js'
import { usedKeys } from './search-input.js'

export function suggestGrid (input: SuggestInput): Assignment[] {
  const used = usedKeys(input)
  const out: Assignment[] = []
  if (input.count <= 0) return out
  for (const point of iterateGrid(input.ranges)) {
    if (used.has(assignmentKey(point))) continue
    out.push(point)
    if (out.length >= input.count) break
  }
  return out
}
