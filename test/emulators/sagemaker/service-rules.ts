/**
 * What the service rejects beyond the model's member constraints (reference §2.1, §2.7, §5).
 * Each returns the ValidationException message or undefined.
 */
type Req = Record<string, any>

const MAX_RUNTIME_SECONDS = 28 * 24 * 3600

export function createTrainingJobRuleViolation (r: Req): string | undefined {
  if (r['ServerlessJobConfig'] === undefined) {
    // Required in model-old and, by inference, still for every non-serverless job (reference §2.1).
    for (const m of ['AlgorithmSpecification', 'ResourceConfig', 'StoppingCondition']) {
      if (r[m] === undefined) return `1 validation error detected: Value null at '${m.charAt(0).toLowerCase()}${m.slice(1)}' failed to satisfy constraint: Member must not be null`
    }
  }
  const algo = r['AlgorithmSpecification']
  if (algo !== undefined && (algo.TrainingImage === undefined) === (algo.AlgorithmName === undefined)) {
    return 'Exactly one of TrainingImage or AlgorithmName must be specified in AlgorithmSpecification.'
  }
  const rc = r['ResourceConfig']
  if (rc !== undefined && r['ServerlessJobConfig'] === undefined) {
    const hasTypeCount = rc.InstanceType !== undefined || rc.InstanceCount !== undefined
    if (hasTypeCount === (rc.InstanceGroups !== undefined)) return 'Specify either InstanceType and InstanceCount, or InstanceGroups, in ResourceConfig.'
    if (hasTypeCount && (rc.InstanceType === undefined || rc.InstanceCount === undefined || rc.InstanceCount < 1)) {
      return 'ResourceConfig needs InstanceType and an InstanceCount of at least 1.'
    }
  }
  const spot = r['EnableManagedSpotTraining'] === true
  const stop = r['StoppingCondition'] ?? {}
  if (stop.MaxWaitTimeInSeconds !== undefined && !spot) {
    return 'Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true'
  }
  if (spot && stop.MaxRuntimeInSeconds !== undefined && stop.MaxWaitTimeInSeconds !== undefined && stop.MaxWaitTimeInSeconds < stop.MaxRuntimeInSeconds) {
    return `Invalid MaxWaitTimeInSeconds ${stop.MaxWaitTimeInSeconds}. It must be equal to or greater than MaxRuntimeInSeconds ${stop.MaxRuntimeInSeconds}`
  }
  if (stop.MaxRuntimeInSeconds !== undefined && stop.MaxRuntimeInSeconds > MAX_RUNTIME_SECONDS) {
    return `Invalid MaxRuntimeInSeconds ${stop.MaxRuntimeInSeconds}. The maximum is ${MAX_RUNTIME_SECONDS} seconds (28 days)`
  }
  if (spot && Number(rc?.KeepAlivePeriodInSeconds ?? 0) > 0) {
    return 'SageMaker Managed Warm Pools cannot be used with spot instances. Remove KeepAlivePeriodInSeconds or set EnableManagedSpotTraining to false.'
  }
  for (const t of (r['Tags'] ?? []) as Array<{ Key: string }>) {
    if (t.Key.toLowerCase().startsWith('aws:')) return `Tag keys starting with 'aws:' are reserved for system use: ${t.Key}`
  }
  return undefined
}
