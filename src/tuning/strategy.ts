/**
 * The one entry point the search loop calls: given the history, propose the next trials.
 * Every strategy is a pure function of its input, so a restarted gateway proposes the same
 * trials for the same seed and history. Fewer than `count` come back only when the space has
 * nothing left (an exhausted grid or discrete space).
 */
import type { Assignment } from './ranges.js'
import type { SuggestInput } from './search-input.js'
import type { BayesianOptions } from './bayesian.js'
import { suggestBayesian } from './bayesian.js'
import { suggestGrid } from './grid-search.js'
import { suggestRandom } from './random-search.js'

export type { Direction, Observation, SuggestInput } from './search-input.js'

export type SearchStrategy = 'Random' | 'Bayesian' | 'Grid'

export function suggest (strategy: SearchStrategy, input: SuggestInput, opts: BayesianOptions = {}): Assignment[] {
  if (input.count <= 0) return []
  switch (strategy) {
    case 'Random': return suggestRandom(input)
    case 'Grid': return suggestGrid(input)
    case 'Bayesian': return suggestBayesian(input, opts)
    default: throw new RangeError(`unknown search strategy ${JSON.stringify(strategy)}`)
  }
}
