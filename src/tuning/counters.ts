import { isTerminalJob, type Job } from '../store/job-store.js'
import type { TuningCounters } from '../store/tuning-store.js'

/** Counters as SageMaker keeps them, from the trials the gateway knows (local searches). */
export function countersOf (trials: Job[]): TuningCounters {
  const c: TuningCounters = { completed: 0, inProgress: 0, retryableError: 0, nonRetryableError: 0, stopped: 0, objectiveSucceeded: 0, objectivePending: 0, objectiveFailed: 0 }
  for (const j of trials) {
    if (!isTerminalJob(j.status)) { c.inProgress++; c.objectivePending++; continue }
    if (j.status === 'COMPLETED') c.completed++
    else if (j.status === 'FAILED') c.nonRetryableError++
    else c.stopped++
    if (j.objective !== null) c.objectiveSucceeded++
    else c.objectiveFailed++
  }
  return c
}
