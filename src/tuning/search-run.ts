import { MAX_PARAM_JSON_LENGTH, type ParamValue } from '../domain/param-value.js'
import type { TuningSpec } from './tuning-spec.js'

/** What a search's own run holds: the trials' parent, with how it searches (its trials hold the values). */

/** Each tuned hyperparameter's type, for the TensorBoard HParams dashboard's columns. */
export function hparamTypes (spec: TuningSpec): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, r] of Object.entries(spec.ranges)) out[name] = r.type === 'categorical' ? typeof r.values[0] : 'number'
  return out
}

/** The search's run params: how it searches (its trials hold the sampled values). */
export function searchParams (spec: TuningSpec): Record<string, ParamValue> {
  return {
    strategy: spec.strategy,
    objective_metric: spec.objective.metric,
    objective_type: spec.objective.type,
    max_jobs: spec.maxJobs,
    max_parallel_jobs: spec.maxParallelJobs,
    early_stopping: spec.earlyStopping,
    // The ranges too, while they fit in one param (30 categoricals of long strings may not).
    ...(JSON.stringify(spec.ranges).length <= MAX_PARAM_JSON_LENGTH && { ranges: spec.ranges as unknown as ParamValue })
  }
}
