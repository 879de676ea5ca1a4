/**
 * The tuning job's best trial, by the rule SageMaker's BestTrainingJob follows: the best final
 * objective (largest for Maximize, smallest for Minimize), trials without a usable objective
 * ignored, and ties going to the trial that ended first: it reached that value first, and the
 * answer must not flip when a later trial equals it.
 */
import type { Direction } from './search-input.js'

export interface TrialOutcome {
  id: string
  objective: number | null
  /** When the trial ended (epoch ms); null while it runs, which ranks after any ended trial. */
  endedAt: number | null
}

export function bestTrial<T extends TrialOutcome> (trials: readonly T[], direction: Direction): T | undefined {
  const sign = direction === 'Maximize' ? 1 : -1
  let best: T | undefined
  for (const trial of trials) {
    if (trial.objective === null || !Number.isFinite(trial.objective)) continue
    if (best === undefined) { best = trial; continue }
    const gain = sign * (trial.objective - (best.objective as number))
    if (gain > 0 || (gain === 0 && (trial.endedAt ?? Infinity) < (best.endedAt ?? Infinity))) best = trial
  }
  return best
}
