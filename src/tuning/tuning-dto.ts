import type { Job } from '../store/job-store.js'
import type { TuningJob } from '../store/tuning-store.js'
import { countersOf } from './counters.js'
import type { TuningSpec } from './tuning-spec.js'

const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()
const round = (n: number): number => Math.round(n * 10000) / 10000

export const trialDto = (j: Job) => ({
  index: j.trialIndex ?? 0,
  jobId: j.id,
  runId: j.runId,
  trainingJobName: j.sagemakerJobName,
  hyperparameters: j.hyperparameters ?? {},
  objective: j.objective,
  status: j.status,
  cost: j.cost?.cost ?? null,
  startedAt: iso(j.startedAt),
  endedAt: iso(j.endedAt)
})

/** The whole search's cost: every trial's, spot savings included. */
function costOf (trials: Job[]) {
  let cost = 0; let onDemand = 0; let priced = false; let billable = 0
  for (const j of trials) {
    billable += j.billableSeconds ?? 0
    if (j.cost?.cost == null) continue
    priced = true
    cost += j.cost.cost
    onDemand += j.cost.onDemandCost ?? j.cost.cost
  }
  return {
    currency: 'USD' as const,
    cost: priced ? round(cost) : null,
    onDemandCost: priced ? round(onDemand) : null,
    savings: priced ? round(onDemand - cost) : null,
    savingsPercent: priced && onDemand > 0 ? round((1 - cost / onDemand) * 100) : null,
    billableSeconds: billable
  }
}

/** A tuning job as the API shows it; `withTrials` adds every trial and the spec. */
export function tuningDto (t: TuningJob, trials: Job[], best: Job | undefined, group: string, withTrials: boolean) {
  const spec = t.spec as unknown as TuningSpec
  const out = {
    id: t.id,
    name: t.name,
    backend: t.backend,
    status: t.status,
    failureReason: t.failureReason,
    runId: t.runId,
    group,
    strategy: spec.strategy,
    objective: spec.objective,
    maxJobs: spec.maxJobs,
    maxParallelJobs: spec.maxParallelJobs,
    earlyStopping: spec.earlyStopping,
    sagemaker: t.sagemakerName === null ? null : { tuningJobName: t.sagemakerName, arn: t.sagemakerArn },
    counters: t.counters ?? countersOf(trials),
    best: best === undefined ? null : { jobId: best.id, runId: best.runId, trainingJobName: best.sagemakerJobName, hyperparameters: best.hyperparameters ?? {}, objective: best.objective },
    cost: costOf(trials),
    stopRequested: t.stopRequested,
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
    endedAt: iso(t.endedAt)
  }
  return withTrials ? { ...out, trials: trials.map(trialDto), spec: t.spec } : out
}
