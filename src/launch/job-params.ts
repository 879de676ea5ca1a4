import { keyProblem, MAX_PARAM_VALUE_LENGTH, valueLengthProblem } from '../domain/limits.js'
import { MAX_PARAM_JSON_LENGTH, paramValueProblem, type ParamValue } from '../domain/param-value.js'
import type { JobSpec } from './job-spec.js'

/**
 * A job's run starts with the job's typed hyperparameters (and its model and strategy) as params,
 * so every sink shows them from the first record, whatever the trainer reports. Our trainer logs
 * the same values again (the same typed value is no conflict). A key no sink could hold is left
 * out here: it still reaches the trainer.
 */
export function jobRunParams (spec: JobSpec): Record<string, ParamValue> {
  const all: Record<string, ParamValue> = { ...spec.hyperparameters as Record<string, ParamValue> | undefined, model: spec.model, strategy: spec.strategy ?? 'single' }
  const out: Record<string, ParamValue> = {}
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith('sagemaker_') || keyProblem(key) !== undefined || paramValueProblem(value) !== undefined) continue
    const json = typeof value === 'string' ? value : JSON.stringify(value)
    if (valueLengthProblem(json, typeof value === 'string' ? MAX_PARAM_VALUE_LENGTH : MAX_PARAM_JSON_LENGTH) !== undefined) continue
    out[key] = value
  }
  return out
}
