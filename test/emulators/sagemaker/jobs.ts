import type { Outcome, Timings } from './types.js'

/** One step of a job's scripted life: the statuses it shows and for how long (real ms). */
export interface Phase {
  primary: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped'
  secondary: string
  message: string
  ms: number
  failureReason?: string
}

export interface Transition { Status: string, StartTime: number, EndTime?: number, StatusMessage: string }

export interface EmulatedJob {
  name: string
  arn: string
  request: Record<string, unknown>
  phases: Phase[]
  index: number
  primary: Phase['primary']
  secondary: string
  failureReason?: string
  transitions: Transition[]
  creationTime: number
  lastModifiedTime: number
  trainingStartTime?: number
  trainingEndTime?: number
  /** Emulated seconds spent in Training phases (spot interruptions are not billed). */
  trainedSeconds: number
  logLines: string[]
  timer?: NodeJS.Timeout
  /** Set on a trial launched by a hyperparameter tuning job. */
  tuning?: { name: string, arn: string, tuned: Record<string, string> }
}

const MESSAGES: Record<string, string> = {
  Starting: 'Preparing the instances for training',
  Downloading: 'Downloading input data',
  Training: 'Training image download completed. Training in progress.',
  Uploading: 'Uploading generated training model',
  Completed: 'Training job completed',
  Failed: 'Training job failed',
  Interrupted: 'Training job interrupted: spot capacity was reclaimed',
  Stopping: 'Stopping the training job',
  Stopped: 'Training job stopped',
  MaxRuntimeExceeded: 'Training job runtime exceeded MaxRuntimeInSeconds provided',
  MaxWaitTimeExceeded: 'Training job wait time exceeded MaxWaitTimeInSeconds provided'
}

const p = (primary: Phase['primary'], secondary: string, ms: number, failureReason?: string): Phase =>
  ({ primary, secondary, message: MESSAGES[secondary] ?? secondary, ms, ...(failureReason !== undefined && { failureReason }) })

/** The phases a job walks through for an outcome; the last phase is terminal (ms ignored). */
export function phasesFor (outcome: Outcome, t: Timings): Phase[] {
  const head = [p('InProgress', 'Starting', t.startingMs), p('InProgress', 'Downloading', t.downloadingMs)]
  switch (outcome.kind) {
    case 'complete':
      return [...head, p('InProgress', 'Training', t.trainingMs), p('InProgress', 'Uploading', t.uploadingMs), p('Completed', 'Completed', 0)]
    case 'fail': {
      const reason = outcome.reason ?? 'AlgorithmError: ExecuteUserScriptError: Command "/opt/conda/bin/python3.11 train.py" exit status 1'
      const upTo = { Starting: 1, Downloading: 2, Training: 3 }[outcome.during ?? 'Training']
      return [...head, p('InProgress', 'Training', t.trainingMs)].slice(0, upTo).concat(p('Failed', 'Failed', 0, reason))
    }
    case 'maxRuntime':
      return [...head, p('InProgress', 'Training', t.trainingMs), p('Stopped', 'MaxRuntimeExceeded', 0)]
    case 'spotInterrupt': {
      const out = [...head]
      for (let i = 0; i < (outcome.interruptions ?? 1); i++) {
        out.push(p('InProgress', 'Training', t.trainingMs / 2), p('InProgress', 'Interrupted', t.interruptedMs), p('InProgress', 'Starting', t.startingMs))
      }
      if (outcome.then === 'maxWait') return [...out, p('Stopped', 'MaxWaitTimeExceeded', 0)]
      return [...out, p('InProgress', 'Training', t.trainingMs / 2), p('InProgress', 'Uploading', t.uploadingMs), p('Completed', 'Completed', 0)]
    }
    case 'hang':
      return [...head, p('InProgress', 'Training', Number.POSITIVE_INFINITY)]
  }
}

export function isTerminal (primary: string): boolean {
  return primary === 'Completed' || primary === 'Failed' || primary === 'Stopped'
}

const sec = (ms: number): number => Math.round(ms) / 1000

/** DescribeTrainingJob as the service answers it (reference §2.4, §2.9): epoch seconds, no Tags. */
export function describeJob (job: EmulatedJob, spotSavings: number): Record<string, unknown> {
  const r = job.request as Record<string, any>
  const output = String(r['OutputDataConfig']?.S3OutputPath ?? '').replace(/\/+$/, '')
  const spot = r['EnableManagedSpotTraining'] === true
  const out: Record<string, unknown> = {
    TrainingJobName: job.name,
    TrainingJobArn: job.arn,
    ...(job.tuning !== undefined && { TuningJobArn: job.tuning.arn }),
    ModelArtifacts: { S3ModelArtifacts: `${output}/${job.name}/output/model.tar.gz` },
    TrainingJobStatus: job.primary,
    SecondaryStatus: job.secondary,
    ...(job.failureReason !== undefined && { FailureReason: job.failureReason }),
    HyperParameters: r['HyperParameters'],
    AlgorithmSpecification: r['AlgorithmSpecification'],
    RoleArn: r['RoleArn'],
    InputDataConfig: r['InputDataConfig'],
    OutputDataConfig: { CompressionType: 'GZIP', ...r['OutputDataConfig'] },
    ResourceConfig: r['ResourceConfig'],
    StoppingCondition: r['StoppingCondition'],
    CreationTime: sec(job.creationTime),
    ...(job.trainingStartTime !== undefined && { TrainingStartTime: sec(job.trainingStartTime) }),
    ...(job.trainingEndTime !== undefined && { TrainingEndTime: sec(job.trainingEndTime) }),
    LastModifiedTime: sec(job.lastModifiedTime),
    SecondaryStatusTransitions: job.transitions.map(t => ({ ...t, StartTime: sec(t.StartTime), ...(t.EndTime !== undefined && { EndTime: sec(t.EndTime) }) })),
    EnableNetworkIsolation: r['EnableNetworkIsolation'] === true,
    EnableInterContainerTrafficEncryption: r['EnableInterContainerTrafficEncryption'] === true,
    EnableManagedSpotTraining: spot,
    ...(r['CheckpointConfig'] !== undefined && { CheckpointConfig: { LocalPath: '/opt/ml/checkpoints/', ...r['CheckpointConfig'] } }),
    ...(r['TensorBoardOutputConfig'] !== undefined && { TensorBoardOutputConfig: { LocalPath: '/opt/ml/output/tensorboard', ...r['TensorBoardOutputConfig'] } }),
    ...(r['ProfilerConfig'] !== undefined && { ProfilerConfig: r['ProfilerConfig'], ProfilingStatus: r['ProfilerConfig'].DisableProfiler === true ? 'Disabled' : 'Enabled' }),
    ...(r['Environment'] !== undefined && { Environment: r['Environment'] }),
    ...(r['RetryStrategy'] !== undefined && { RetryStrategy: r['RetryStrategy'] })
  }
  const keepAlive = Number(r['ResourceConfig']?.KeepAlivePeriodInSeconds ?? 0)
  if (keepAlive > 0) out['WarmPoolStatus'] = { Status: job.primary === 'Completed' ? 'Available' : 'Terminated', ResourceRetainedBillableTimeInSeconds: 0 }
  if (job.trainingEndTime !== undefined && job.trainingStartTime !== undefined) {
    const training = Math.max(1, Math.round((job.trainingEndTime - job.trainingStartTime) / 1000))
    // On demand everything from TrainingStartTime is billed; spot bills a fraction of the time trained.
    out['TrainingTimeInSeconds'] = training
    out['BillableTimeInSeconds'] = spot ? Math.max(1, Math.round(job.trainedSeconds * (1 - spotSavings))) : training
  }
  const finals = finalMetrics(job)
  if (finals.length > 0) out['FinalMetricDataList'] = finals
  return out
}

/** Each MetricDefinition's last match over the container's log, as SageMaker scrapes it. */
export function finalMetrics (job: EmulatedJob): Array<{ MetricName: string, Value: number, Timestamp: number }> {
  const defs = ((job.request['AlgorithmSpecification'] as { MetricDefinitions?: Array<{ Name: string, Regex: string }> } | undefined)?.MetricDefinitions) ?? []
  const out = []
  for (const d of defs) {
    let last: number | undefined
    const re = new RegExp(d.Regex)
    for (const line of job.logLines) {
      const m = re.exec(line)
      if (m?.[1] !== undefined && Number.isFinite(Number(m[1]))) last = Number(m[1])
    }
    if (last !== undefined) out.push({ MetricName: d.Name, Value: last, Timestamp: sec(job.lastModifiedTime) })
  }
  return out.slice(0, 40)
}

export function summarize (job: EmulatedJob): Record<string, unknown> {
  return {
    TrainingJobName: job.name,
    TrainingJobArn: job.arn,
    CreationTime: sec(job.creationTime),
    TrainingJobStatus: job.primary,
    SecondaryStatus: job.secondary,
    LastModifiedTime: sec(job.lastModifiedTime),
    ...(job.trainingEndTime !== undefined && { TrainingEndTime: sec(job.trainingEndTime) })
  }
}

/** The EventBridge envelope: epoch-ms timestamps and tags as a map (reference §3). */
export function stateChangeEvent (job: EmulatedJob, account: string, region: string, spotSavings: number, id: string): Record<string, unknown> {
  const d = describeJob(job, spotSavings)
  const ms = (v: unknown): unknown => typeof v === 'number' ? Math.round(v * 1000) : v
  const tags = Object.fromEntries(((job.request['Tags'] as Array<{ Key: string, Value: string }> | undefined) ?? []).map(t => [t.Key, t.Value]))
  const detail: Record<string, unknown> = {}
  for (const k of ['TrainingJobName', 'TrainingJobArn', 'TuningJobArn', 'TrainingJobStatus', 'SecondaryStatus', 'FailureReason', 'HyperParameters', 'AlgorithmSpecification',
    'RoleArn', 'InputDataConfig', 'OutputDataConfig', 'ResourceConfig', 'StoppingCondition', 'ModelArtifacts', 'BillableTimeInSeconds', 'TrainingTimeInSeconds']) {
    if (d[k] !== undefined) detail[k] = d[k]
  }
  for (const k of ['CreationTime', 'TrainingStartTime', 'TrainingEndTime', 'LastModifiedTime']) detail[k] = ms(d[k]) ?? null
  detail['SecondaryStatusTransitions'] = (d['SecondaryStatusTransitions'] as Array<Record<string, unknown>>).map(t => ({ ...t, StartTime: ms(t['StartTime']), ...(t['EndTime'] !== undefined && { EndTime: ms(t['EndTime']) }) }))
  detail['Tags'] = tags
  return {
    version: '0',
    id,
    'detail-type': 'SageMaker Training Job State Change',
    source: 'aws.sagemaker',
    account,
    time: new Date(job.lastModifiedTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [job.arn],
    detail
  }
}
