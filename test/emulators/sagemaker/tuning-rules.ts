/**
 * What CreateHyperParameterTuningJob rejects beyond the model's member constraints (reference
 * §2.5, §5, §7.3). One small function per rule; each returns the ValidationException message or
 * undefined. Messages are the emulator's own where no captured service text exists.
 */
import type { NumericRange, ParameterRanges } from './tuning-sampling.js'

type Req = Record<string, any>
type Rule = (body: Req, def: Req) => string | undefined

/** The ranges and objective may sit in the definition (multi-definition form) or the config. */
export const rangesOf = (body: Req, def: Req): ParameterRanges => def['HyperParameterRanges'] ?? body['HyperParameterTuningJobConfig']?.ParameterRanges ?? {}
export const objectiveOf = (body: Req, def: Req): { Type: 'Maximize' | 'Minimize', MetricName: string } | undefined =>
  def['TuningObjective'] ?? body['HyperParameterTuningJobConfig']?.HyperParameterTuningJobObjective

const numericRanges = (r: ParameterRanges): Array<[string, NumericRange]> => [
  ...(r.IntegerParameterRanges ?? []).map((x): [string, NumericRange] => ['IntegerParameterRange', x]),
  ...(r.ContinuousParameterRanges ?? []).map((x): [string, NumericRange] => ['ContinuousParameterRange', x])
]

const rangeNames = (r: ParameterRanges): string[] =>
  [...numericRanges(r).map(([, x]) => x.Name), ...(r.CategoricalParameterRanges ?? []).map(x => x.Name)]

export const oneDefinition: Rule = body => {
  if (body['TrainingJobDefinitions'] !== undefined) return 'The emulator runs a single TrainingJobDefinition; TrainingJobDefinitions is not emulated.'
  if (body['TrainingJobDefinition'] === undefined) return 'Specify a TrainingJobDefinition for the hyperparameter tuning job.'
  return undefined
}

export const maxWaitNeedsSpot: Rule = (_, def) => def['StoppingCondition']?.MaxWaitTimeInSeconds !== undefined && def['EnableManagedSpotTraining'] !== true
  ? 'Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true'
  : undefined

export const maxWaitAtLeastRuntime: Rule = (_, def) => {
  const { MaxRuntimeInSeconds: runtime, MaxWaitTimeInSeconds: wait } = def['StoppingCondition'] ?? {}
  return runtime !== undefined && wait !== undefined && wait < runtime
    ? `Invalid MaxWaitTimeInSeconds ${wait}. It must be equal to or greater than MaxRuntimeInSeconds ${runtime}`
    : undefined
}

export const numberOfJobsGiven: Rule = body => {
  const config = body['HyperParameterTuningJobConfig']
  return config.Strategy !== 'Grid' && config.ResourceLimits?.MaxNumberOfTrainingJobs === undefined
    ? `ResourceLimits.MaxNumberOfTrainingJobs is required for the ${String(config.Strategy)} strategy.`
    : undefined
}

export const rangeNotStatic: Rule = (body, def) => {
  const statics = def['StaticHyperParameters'] ?? {}
  const name = rangeNames(rangesOf(body, def)).find(n => Object.hasOwn(statics, n))
  return name !== undefined
    ? `The hyperparameter '${name}' is both in StaticHyperParameters and in ParameterRanges. A hyperparameter is either static or tuned: remove one.`
    : undefined
}

export const rangeBoundsOrdered: Rule = (body, def) => {
  for (const [kind, r] of numericRanges(rangesOf(body, def))) {
    const min = Number(r.MinValue)
    const max = Number(r.MaxValue)
    const whole = kind === 'IntegerParameterRange'
    if (r.MinValue.trim() === '' || r.MaxValue.trim() === '' || !Number.isFinite(min) || !Number.isFinite(max) || (whole && !(Number.isInteger(min) && Number.isInteger(max)))) {
      return `The MinValue '${r.MinValue}' and MaxValue '${r.MaxValue}' of the ${kind} '${r.Name}' must be ${whole ? 'integers' : 'numbers'}.`
    }
    if (min >= max) return `The MinValue (${r.MinValue}) of the ${kind} '${r.Name}' must be less than its MaxValue (${r.MaxValue}).`
  }
  return undefined
}

export const logScalingPositive: Rule = (body, def) => {
  for (const [kind, r] of numericRanges(rangesOf(body, def))) {
    if (r.ScalingType === 'Logarithmic' && !(Number(r.MinValue) > 0)) {
      return `Logarithmic scaling needs a MinValue greater than 0, but the ${kind} '${r.Name}' has MinValue ${r.MinValue}.`
    }
    if (r.ScalingType === 'ReverseLogarithmic' && !(Number(r.MinValue) >= 0 && Number(r.MaxValue) < 1)) {
      return `ReverseLogarithmic scaling needs 0 <= MinValue and MaxValue < 1, but the ${kind} '${r.Name}' has [${r.MinValue}, ${r.MaxValue}].`
    }
  }
  return undefined
}

export const gridHasNoContinuous: Rule = (body, def) =>
  body['HyperParameterTuningJobConfig'].Strategy === 'Grid' && (rangesOf(body, def).ContinuousParameterRanges ?? []).length > 0
    ? 'The Grid strategy cannot search ContinuousParameterRanges: use CategoricalParameterRanges or IntegerParameterRanges, or another strategy.'
    : undefined

export const objectiveIsDefined: Rule = (body, def) => {
  const objective = objectiveOf(body, def)
  const algo = def['AlgorithmSpecification'] ?? {}
  // A built-in algorithm (AlgorithmName) brings its own metrics; only a custom image must define it.
  if (objective === undefined || algo.TrainingImage === undefined) return undefined
  const names = ((algo.MetricDefinitions ?? []) as Array<{ Name: string }>).map(m => m.Name)
  return names.includes(objective.MetricName)
    ? undefined
    : `The objective metric '${objective.MetricName}' is not one of the MetricDefinitions of the AlgorithmSpecification [${names.join(', ')}]. Add a MetricDefinition with that Name.`
}

export const oneResourceConfig: Rule = (_, def) => {
  const both = def['ResourceConfig'] !== undefined && def['HyperParameterTuningResourceConfig'] !== undefined
  if (both) return 'Specify either ResourceConfig or HyperParameterTuningResourceConfig in the TrainingJobDefinition, not both.'
  if (def['ResourceConfig'] === undefined && def['HyperParameterTuningResourceConfig'] === undefined) {
    return 'The TrainingJobDefinition needs a ResourceConfig or a HyperParameterTuningResourceConfig.'
  }
  return undefined
}

export const noWarmPool: Rule = (_, def) => def['ResourceConfig']?.KeepAlivePeriodInSeconds !== undefined
  ? 'KeepAlivePeriodInSeconds is not supported for hyperparameter tuning jobs: SageMaker Managed Warm Pools are for training jobs only. Remove it from ResourceConfig.'
  : undefined

const RULES: Rule[] = [oneDefinition, maxWaitNeedsSpot, maxWaitAtLeastRuntime, numberOfJobsGiven, oneResourceConfig, noWarmPool,
  rangeNotStatic, rangeBoundsOrdered, logScalingPositive, gridHasNoContinuous, objectiveIsDefined]

export function createTuningJobRuleViolation (body: Req): string | undefined {
  const def = body['TrainingJobDefinition'] ?? {}
  for (const rule of RULES) {
    const message = rule(body, def)
    if (message !== undefined) return message
  }
  return undefined
}
