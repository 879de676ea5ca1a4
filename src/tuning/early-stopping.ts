/**
 * The median stopping rule (Google Vizier, Golovin et al. 2017; also what SageMaker's "Auto"
 * training-job early stopping applies): stop a trial at step s when its best objective so far is
 * strictly worse than the median, over completed trials, of their running averages up to s
 * (the mean of each one's values at steps <= s).
 *
 * Running averages rather than values at s: completed curves are noisy and reported at uneven
 * steps, and the average of everything up to s exists for any trial that reported by then.
 * The trial's *best* so far rather than its latest: one noisy dip must not kill a good trial.
 * Being model-free it needs no tuning, only a few completed trials to compare with.
 *
 * It never stops a trial that has reported nothing, and compares only with completed trials that
 * had reported by step s, requiring at least `minTrials` of them.
 */
import type { Direction } from './search-input.js'

export interface CurvePoint { step: number, value: number }

export interface StoppingInput {
  direction: Direction
  /** This trial's objective so far. */
  curve: CurvePoint[]
  /** Completed trials' objective curves. */
  others: CurvePoint[][]
  /** Completed trials needed before anything is stopped; default 3. */
  minTrials?: number
}

export interface StoppingDecision {
  stop: boolean
  /** Why, in words fit for a log line or a trial's status. */
  reason: string
  step?: number
  best?: number
  median?: number
  /** Completed trials the median was taken over. */
  compared: number
}

const finite = (points: CurvePoint[]): CurvePoint[] =>
  points.filter((p) => Number.isFinite(p.step) && Number.isFinite(p.value))

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function stoppingDecision (input: StoppingInput): StoppingDecision {
  const { direction, minTrials = 3 } = input
  const curve = finite(input.curve)
  if (curve.length === 0) return { stop: false, reason: 'no objective reported yet', compared: 0 }
  const step = Math.max(...curve.map((p) => p.step))
  const values = curve.map((p) => p.value)
  const best = direction === 'Maximize' ? Math.max(...values) : Math.min(...values)

  const averages: number[] = []
  for (const other of input.others) {
    const upTo = finite(other).filter((p) => p.step <= step)
    if (upTo.length > 0) averages.push(upTo.reduce((s, p) => s + p.value, 0) / upTo.length)
  }
  if (averages.length < minTrials) {
    return { stop: false, reason: `${averages.length} completed trials reported by step ${step}, ${minTrials} needed to compare`, step, best, compared: averages.length }
  }
  const m = median(averages)
  const stop = direction === 'Maximize' ? best < m : best > m
  const reason = stop
    ? `best objective ${best} by step ${step} is worse than the median running average ${m} of ${averages.length} completed trials`
    : `best objective ${best} by step ${step} is at least the median running average ${m} of ${averages.length} completed trials`
  return { stop, reason, step, best, median: m, compared: averages.length }
}

export const shouldStop = (input: StoppingInput): boolean => stoppingDecision(input).stop
