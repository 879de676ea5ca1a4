import type { JobProblem } from '../launch/sagemaker/validate-job.js'
import { DEFAULT_METRIC_DEFINITIONS } from '../launch/metric-lines.js'
import { rangeProblems } from './range-problems.js'
import type { TuningSpec, TuningSpecInput } from './tuning-spec.js'

/** Hyperparameters a range may not vary: the gateway sets them from the job itself. */
const RESERVED = ['strategy']

/**
 * Every problem with a tuning request that does not depend on the backend, one per rule, each
 * naming its field (`ranges.lr`, `objective.metric`, `job.keepAliveSeconds`). The backend's own
 * rules (the job spec on SageMaker, the request against the API model) come on top.
 */
export function tuningProblems (spec: TuningSpec, input: TuningSpecInput): JobProblem[] {
  const problems: JobProblem[] = []
  const err = (field: string, message: string): void => { problems.push({ field, message, severity: 'error' }) }
  if (input.job.backend !== undefined && input.backend !== undefined && input.job.backend !== input.backend) {
    err('job.backend', `the tuning job runs on ${input.backend} but its job says ${input.job.backend}: leave job.backend out`)
  }
  for (const p of rangeProblems(spec.ranges, { strategy: spec.strategy, reserved: RESERVED, staticKeys: Object.keys(spec.job.hyperparameters ?? {}), maxJobs: spec.maxJobs })) {
    err(p.field, p.message)
  }
  const definitions = (spec.job.metricDefinitions ?? DEFAULT_METRIC_DEFINITIONS).map(d => d.name)
  if (!definitions.includes(spec.objective.metric)) {
    err('objective.metric', `objective metric ${JSON.stringify(spec.objective.metric)} is not one of the job's metric definitions (${definitions.join(', ')}): add it to job.metricDefinitions or pick one of those`)
  }
  if (spec.job.keepAliveSeconds !== undefined) {
    err('job.keepAliveSeconds', 'tuning jobs do not keep warm pools (SageMaker ignores KeepAlivePeriodInSeconds there): leave job.keepAliveSeconds out')
  }
  if (spec.maxParallelJobs > spec.maxJobs) {
    err('maxParallelJobs', `maxParallelJobs (${spec.maxParallelJobs}) is more than maxJobs (${spec.maxJobs})`)
  }
  if (spec.backend === 'local' && spec.strategy === 'Hyperband') {
    err('strategy', 'Hyperband runs on SageMaker only; locally use Bayesian, Random or Grid (with earlyStopping Auto to cut bad trials short)')
  }
  return problems
}
