/**
 * Hyperparameter tuning jobs as data: the trial request built from the TrainingJobDefinition,
 * the per-trial summary, counters, best trial, Describe and List answers (reference §2.5).
 * The scheduling (waves, stop, completion) lives in tuning-runner.ts.
 */
import { ApiFault } from './fault.js'
import { finalMetrics, isTerminal, type EmulatedJob } from './jobs.js'
import { objectiveOf, rangesOf } from './tuning-rules.js'
import type { ParameterRanges } from './tuning-sampling.js'

type Req = Record<string, any>

export type TuningStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped'

export interface TuningJob {
  name: string
  arn: string
  request: Req
  status: TuningStatus
  failureReason?: string
  creationTime: number
  lastModifiedTime: number
  endTime?: number
  /** Trial names in launch order. */
  children: string[]
  /** How many trials it will launch (MaxNumberOfTrainingJobs, or the Grid size when smaller). */
  total: number
  maxParallel: number
  strategy: string
  ranges: ParameterRanges
  objective?: { Type: 'Maximize' | 'Minimize', MetricName: string }
  random: () => number
  timer?: NodeJS.Timeout
}

export const notFound = (name: string): ApiFault =>
  new ApiFault('ResourceNotFound', `Amazon SageMaker can't find a tuning job called ${name}. Type another name.`)

export function definitionOf (t: TuningJob): Req {
  return t.request['TrainingJobDefinition'] as Req
}

export const tuningRanges = (body: Req): ParameterRanges => rangesOf(body, body['TrainingJobDefinition'] ?? {})
export const tuningObjective = (body: Req): TuningJob['objective'] => objectiveOf(body, body['TrainingJobDefinition'] ?? {})

/** `<tuning job>-<001>-<8 hex>`, SageMaker's form for trial names. */
export function trialName (tuningName: string, index: number, hex8: string): string {
  return `${tuningName}-${String(index + 1).padStart(3, '0')}-${hex8}`
}

const defined = (o: Req): Req => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

/** A trial's ResourceConfig: the tuning form carries InstanceConfigs and an AllocationStrategy a training job does not have. */
function trialResourceConfig (def: Req): Req {
  if (def['ResourceConfig'] !== undefined) return def['ResourceConfig']
  const rc = def['HyperParameterTuningResourceConfig'] ?? {}
  const first = rc.InstanceConfigs?.[0] ?? {}
  return defined({
    InstanceType: rc.InstanceType ?? first.InstanceType,
    InstanceCount: rc.InstanceCount ?? first.InstanceCount,
    VolumeSizeInGB: rc.VolumeSizeInGB ?? first.VolumeSizeInGB,
    VolumeKmsKeyId: rc.VolumeKmsKeyId
  })
}

/** The CreateTrainingJob request of one trial: the definition, static + tuned hyperparameters, `_tuning_objective_metric`. */
export function trialRequest (t: TuningJob, name: string, tuned: Record<string, string>): Req {
  const def = definitionOf(t)
  return defined({
    TrainingJobName: name,
    AlgorithmSpecification: def['AlgorithmSpecification'],
    RoleArn: def['RoleArn'],
    InputDataConfig: def['InputDataConfig'],
    OutputDataConfig: def['OutputDataConfig'],
    ResourceConfig: trialResourceConfig(def),
    StoppingCondition: def['StoppingCondition'],
    HyperParameters: {
      ...def['StaticHyperParameters'],
      ...tuned,
      ...(t.objective !== undefined && { _tuning_objective_metric: t.objective.MetricName })
    },
    EnableManagedSpotTraining: def['EnableManagedSpotTraining'],
    EnableNetworkIsolation: def['EnableNetworkIsolation'],
    EnableInterContainerTrafficEncryption: def['EnableInterContainerTrafficEncryption'],
    CheckpointConfig: def['CheckpointConfig'],
    Environment: def['Environment'],
    VpcConfig: def['VpcConfig'],
    RetryStrategy: def['RetryStrategy'],
    // The tuning job's tags are added to every training job it launches.
    Tags: t.request['Tags']
  })
}

/** The trial's value of the objective: its FinalMetricDataList entry of that name. */
export function objectiveValue (t: TuningJob, job: EmulatedJob): number | undefined {
  if (t.objective === undefined) return undefined
  return finalMetrics(job).find(m => m.MetricName === t.objective?.MetricName)?.Value
}

export function objectiveStatus (t: TuningJob, job: EmulatedJob): 'Succeeded' | 'Pending' | 'Failed' {
  if (!isTerminal(job.primary)) return 'Pending'
  return job.primary !== 'Failed' && objectiveValue(t, job) !== undefined ? 'Succeeded' : 'Failed'
}

const sec = (ms: number): number => Math.round(ms) / 1000

export function trialSummary (t: TuningJob, job: EmulatedJob): Req {
  const status = objectiveStatus(t, job)
  const value = objectiveValue(t, job)
  return {
    TrainingJobName: job.name,
    TrainingJobArn: job.arn,
    TuningJobName: t.name,
    CreationTime: sec(job.creationTime),
    ...(job.trainingStartTime !== undefined && { TrainingStartTime: sec(job.trainingStartTime) }),
    ...(job.trainingEndTime !== undefined && { TrainingEndTime: sec(job.trainingEndTime) }),
    TrainingJobStatus: job.primary,
    TunedHyperParameters: job.tuning?.tuned ?? {},
    ...(job.failureReason !== undefined && { FailureReason: job.failureReason }),
    ...(status === 'Succeeded' && t.objective !== undefined && value !== undefined && {
      FinalHyperParameterTuningJobObjectiveMetric: { Type: t.objective.Type, MetricName: t.objective.MetricName, Value: value }
    }),
    ObjectiveStatus: status
  }
}

/** An internal service error may be retried; the trainer's or the request's fault may not. */
const retryable = (reason: string | undefined): boolean => /^(InternalServerError|CapacityError)/.test(reason ?? '')

export function counters (t: TuningJob, trials: EmulatedJob[]): Req {
  const c = { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 }
  const o = { Succeeded: 0, Pending: 0, Failed: 0 }
  for (const j of trials) {
    if (j.primary === 'Completed') c.Completed++
    else if (j.primary === 'Stopped') c.Stopped++
    else if (j.primary === 'Failed') c[retryable(j.failureReason) ? 'RetryableError' : 'NonRetryableError']++
    else c.InProgress++
    o[objectiveStatus(t, j)]++
  }
  return { TrainingJobStatusCounters: c, ObjectiveStatusCounters: o }
}

/** The trial with the best objective for its Type; ties go to the earliest trial. */
export function bestTrial (t: TuningJob, trials: EmulatedJob[]): EmulatedJob | undefined {
  const sign = t.objective?.Type === 'Minimize' ? -1 : 1
  let best: { job: EmulatedJob, value: number } | undefined
  for (const job of trials) {
    const value = objectiveValue(t, job)
    if (objectiveStatus(t, job) !== 'Succeeded' || value === undefined) continue
    if (best === undefined || sign * value > sign * best.value) best = { job, value }
  }
  return best?.job
}

export function describeTuningJob (t: TuningJob, trials: EmulatedJob[]): Req {
  const best = bestTrial(t, trials)
  return {
    HyperParameterTuningJobName: t.name,
    HyperParameterTuningJobArn: t.arn,
    HyperParameterTuningJobConfig: t.request['HyperParameterTuningJobConfig'],
    TrainingJobDefinition: t.request['TrainingJobDefinition'],
    HyperParameterTuningJobStatus: t.status,
    CreationTime: sec(t.creationTime),
    ...(t.endTime !== undefined && { HyperParameterTuningEndTime: sec(t.endTime) }),
    LastModifiedTime: sec(t.lastModifiedTime),
    ...counters(t, trials),
    ...(best !== undefined && { BestTrainingJob: trialSummary(t, best) }),
    ...(t.failureReason !== undefined && { FailureReason: t.failureReason }),
    ...(t.request['WarmStartConfig'] !== undefined && { WarmStartConfig: t.request['WarmStartConfig'] })
  }
}

const STATUS_ORDER = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped']

/**
 * ListTrainingJobsForHyperParameterTuningJob. Defaults as documented: SortBy Name, SortOrder
 * Ascending, MaxResults 10; sorting by FinalObjectiveMetricValue leaves out trials without one.
 * StatusEquals filters before paging (the ListTrainingJobs page-then-filter quirk is not documented here).
 */
export function listTrials (t: TuningJob, trials: EmulatedJob[], body: Req): Req {
  const sortBy = body['SortBy'] ?? 'Name'
  const dir = body['SortOrder'] === 'Descending' ? -1 : 1
  const rows = trials
    .filter(j => body['StatusEquals'] === undefined || j.primary === body['StatusEquals'])
    .map(job => ({ job, value: objectiveValue(t, job) }))
    .filter(r => sortBy !== 'FinalObjectiveMetricValue' || (r.value !== undefined && objectiveStatus(t, r.job) === 'Succeeded'))
  const key = (r: { job: EmulatedJob, value: number | undefined }): number | string =>
    sortBy === 'CreationTime' ? r.job.creationTime : sortBy === 'Status' ? STATUS_ORDER.indexOf(r.job.primary) : sortBy === 'FinalObjectiveMetricValue' ? r.value ?? 0 : r.job.name
  const cmp = (a: number | string, b: number | string): number => a < b ? -1 : a > b ? 1 : 0
  rows.sort((a, b) => cmp(key(a), key(b)) * dir || cmp(a.job.name, b.job.name))
  const start = body['NextToken'] === undefined ? 0 : decodeToken(String(body['NextToken']), t.name)
  const max = Number(body['MaxResults'] ?? 10)
  const next = start + max < rows.length ? Buffer.from(JSON.stringify({ t: t.name, o: start + max })).toString('base64url') : undefined
  return { TrainingJobSummaries: rows.slice(start, start + max).map(r => trialSummary(t, r.job)), ...(next !== undefined && { NextToken: next }) }
}

function decodeToken (token: string, name: string): number {
  try {
    const { t, o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { t?: unknown, o?: unknown }
    if (t === name && Number.isSafeInteger(o) && Number(o) >= 0) return Number(o)
  } catch { /* falls through to the fault */ }
  throw new ApiFault('ValidationException', 'Invalid pagination token: pass the NextToken of the previous response for the same tuning job.')
}
