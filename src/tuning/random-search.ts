/**
 * Random search: uniform in each range's warped space. Trial k always draws from the stream
 * mixSeed(seed, k), so a restarted gateway proposes the same trial k for the same history.
 */
import type { Assignment, Ranges } from './ranges.js'
import { assignmentKey } from './ranges.js'
import type { Rng } from './random.js'
import { createRng, mixSeed } from './random.js'
import { gridSize, iterateGrid } from './grid.js'
import { sampleUniform } from './unit-cube.js'
import type { SuggestInput } from './search-input.js'
import { usedKeys } from './search-input.js'

const DRAWS_BEFORE_ENUMERATING = 32
// Enumerating what is left of a discrete space is cheap up to here; past it, 32 collisions in a
// row mean the space is effectively exhausted anyway.
const ENUMERATE_LIMIT = 100_000

/** A uniform draw not in `used`; undefined when the (discrete) space has nothing left. */
export function drawUnused (ranges: Ranges, used: Set<string>, rng: Rng): Assignment | undefined {
  for (let attempt = 0; attempt < DRAWS_BEFORE_ENUMERATING; attempt++) {
    const a = sampleUniform(ranges, rng)
    if (!used.has(assignmentKey(a))) return a
  }
  if (gridSize(ranges) > ENUMERATE_LIMIT) return undefined
  const left = [...iterateGrid(ranges)].filter((a) => !used.has(assignmentKey(a)))
  return left[Math.floor(rng() * left.length)]
}

export function suggestRandom (input: SuggestInput): Assignment[] {
  const used = usedKeys(input)
  const out: Assignment[] = []
  for (let i = 0; i < input.count; i++) {
    const a = drawUnused(input.ranges, used, createRng(mixSeed(input.seed, input.trialIndex + i)))
    if (a === undefined) break
    used.add(assignmentKey(a))
    out.push(a)
  }
  return out
}
