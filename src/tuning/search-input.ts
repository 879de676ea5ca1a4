/** What every search strategy is given: the ranges, the history, and how many trials to propose. */
import type { Assignment, Ranges } from './ranges.js'
import { assignmentKey } from './ranges.js'

export type Direction = 'Maximize' | 'Minimize'

export interface Observation {
  assignment: Assignment
  /** null: the trial failed or reported no objective. */
  objective: number | null
}

export interface SuggestInput {
  ranges: Ranges
  direction: Direction
  /** Finished trials, failed ones included. */
  observations: Observation[]
  /** Trials proposed and not finished yet (running or queued). */
  pending: Assignment[]
  /** How many new trials to propose (free parallel slots). */
  count: number
  seed: number
  /** Index of the first trial proposed by this call (the number of trials created before it). */
  trialIndex: number
}

/** Keys of every assignment already proposed, so no strategy proposes one twice. */
export const usedKeys = (input: Pick<SuggestInput, 'observations' | 'pending'>): Set<string> =>
  new Set([...input.observations.map((o) => assignmentKey(o.assignment)), ...input.pending.map(assignmentKey)])
