import type { TerminalStatus } from '../../domain/records.js'

/**
 * Pure mapping from SageMaker's view of a training job (DescribeTrainingJob, or the `detail`
 * of an EventBridge "SageMaker Training Job State Change" event) to ours.
 *
 * Run status: Completed → FINISHED; Failed → FAILED; Stopped → KILLED, except a stop by
 * MaxRuntimeExceeded / MaxWaitTimeExceeded → FAILED (a timeout is not what the user asked for,
 * reference §7.4); everything in progress → RUNNING.
 */
export type RunStatus = 'RUNNING' | TerminalStatus

export type JobState = 'PENDING' | 'RUNNING' | 'STOPPING' | 'COMPLETED' | 'FAILED' | 'STOPPED' | 'TIMED_OUT'

export interface StatusTransition {
  status: string
  /** Milliseconds since the epoch. */
  startTime: number
  endTime?: number
  message?: string
}

export interface TrainingJobView {
  jobName: string
  state: JobState
  runStatus: RunStatus
  terminal: boolean
  trainingJobStatus: string
  secondaryStatus: string | undefined
  failureReason?: string
  /** A spot instance was taken away and the job is waiting or restarting (SecondaryStatus Interrupted). */
  interrupted: boolean
  /** "CapacityError" in the failure reason: retrying on another instance type may help (SDK rule). */
  capacityError: boolean
  billableSeconds?: number
  trainingSeconds?: number
  creationTime?: number
  trainingStartTime?: number
  trainingEndTime?: number
  lastModifiedTime?: number
  transitions: StatusTransition[]
  finalMetrics: Array<{ name: string, value: number, timestamp?: number }>
  /** EventBridge detail only: tags as a map (DescribeTrainingJob returns none). */
  tags?: Record<string, string>
}

/** A timestamp as the JS SDK gives it (Date), raw JSON 1.1 (epoch seconds) or EventBridge (epoch ms, number or string). */
export type Timestamp = Date | number | string

/** The members we read; both DescribeTrainingJob output and EventBridge `detail` fit it. */
export interface TrainingJobLike {
  TrainingJobName?: string
  TrainingJobStatus?: string
  SecondaryStatus?: string
  FailureReason?: string | null
  BillableTimeInSeconds?: number | null
  TrainingTimeInSeconds?: number | null
  CreationTime?: Timestamp | null
  TrainingStartTime?: Timestamp | null
  TrainingEndTime?: Timestamp | null
  LastModifiedTime?: Timestamp | null
  SecondaryStatusTransitions?: Array<{ Status?: string, StartTime?: Timestamp | null, EndTime?: Timestamp | null, StatusMessage?: string | null }>
  FinalMetricDataList?: Array<{ MetricName?: string, Value?: number, Timestamp?: Timestamp | null }>
  Tags?: unknown
}

const PENDING_SECONDARY = new Set(['Starting', 'Pending', 'LaunchingMLInstances', 'PreparingTrainingStack', 'Downloading', 'DownloadingTrainingImage'])
const TIMEOUT_SECONDARY = new Set(['MaxRuntimeExceeded', 'MaxWaitTimeExceeded'])

export function jobState (status: string | undefined, secondary: string | undefined): JobState {
  switch (status) {
    case 'Completed': return 'COMPLETED'
    case 'Failed': return 'FAILED'
    case 'Stopped': return secondary !== undefined && TIMEOUT_SECONDARY.has(secondary) ? 'TIMED_OUT' : 'STOPPED'
    case 'Stopping':
    case 'Deleting': return 'STOPPING'
    default:
      // InProgress, or a status added later: secondary statuses "are subject to change", so only
      // the known early ones count as pending.
      return secondary !== undefined && PENDING_SECONDARY.has(secondary) ? 'PENDING' : 'RUNNING'
  }
}

export function runStatusOf (state: JobState): RunStatus {
  switch (state) {
    case 'COMPLETED': return 'FINISHED'
    case 'FAILED':
    case 'TIMED_OUT': return 'FAILED'
    case 'STOPPED': return 'KILLED'
    default: return 'RUNNING'
  }
}

/** DescribeTrainingJob output: timestamps are Date (JS SDK) or epoch seconds (raw JSON). */
export function fromDescribeTrainingJob (d: TrainingJobLike): TrainingJobView {
  return view(d, 's')
}

export interface TrainingJobStateChangeEvent {
  'detail-type'?: string
  source?: string
  time?: string
  detail?: TrainingJobLike
}

/** An EventBridge "SageMaker Training Job State Change" event: epoch-ms timestamps, tags as a map. */
export function fromTrainingJobEvent (event: TrainingJobStateChangeEvent): TrainingJobView {
  if (event.source !== 'aws.sagemaker' || event['detail-type'] !== 'SageMaker Training Job State Change' || event.detail === undefined) {
    throw new TypeError('not a SageMaker Training Job State Change event')
  }
  return view(event.detail, 'ms')
}

function view (d: TrainingJobLike, unit: 's' | 'ms'): TrainingJobView {
  const ts = (v: Timestamp | null | undefined): number | undefined => toMillis(v, unit)
  const state = jobState(d.TrainingJobStatus, d.SecondaryStatus)
  const failureReason = d.FailureReason ?? undefined
  const out: TrainingJobView = {
    jobName: d.TrainingJobName ?? '',
    state,
    runStatus: runStatusOf(state),
    terminal: state === 'COMPLETED' || state === 'FAILED' || state === 'STOPPED' || state === 'TIMED_OUT',
    trainingJobStatus: d.TrainingJobStatus ?? 'Unknown',
    secondaryStatus: d.SecondaryStatus,
    interrupted: d.SecondaryStatus === 'Interrupted',
    capacityError: failureReason?.includes('CapacityError') ?? false,
    transitions: (d.SecondaryStatusTransitions ?? []).map(t => dropUndefined({
      status: t.Status ?? 'Unknown',
      startTime: ts(t.StartTime) ?? 0,
      endTime: ts(t.EndTime),
      message: t.StatusMessage ?? undefined
    })),
    finalMetrics: (d.FinalMetricDataList ?? []).map(m => dropUndefined({ name: m.MetricName ?? '', value: m.Value ?? NaN, timestamp: ts(m.Timestamp) }))
  }
  return dropUndefined({
    ...out,
    failureReason,
    billableSeconds: d.BillableTimeInSeconds ?? undefined,
    trainingSeconds: d.TrainingTimeInSeconds ?? undefined,
    creationTime: ts(d.CreationTime),
    trainingStartTime: ts(d.TrainingStartTime),
    trainingEndTime: ts(d.TrainingEndTime),
    lastModifiedTime: ts(d.LastModifiedTime),
    tags: tagMap(d.Tags)
  })
}

/**
 * Events may repeat and arrive out of order (SageMaker docs): this key identifies one state,
 * so a consumer can drop duplicates and ignore anything older than what it has.
 */
export function stateKey (v: TrainingJobView): string {
  return `${v.jobName}|${v.trainingJobStatus}|${v.secondaryStatus ?? ''}|${v.lastModifiedTime ?? ''}`
}

export function toMillis (v: Timestamp | null | undefined, unit: 's' | 'ms'): number | undefined {
  if (v === null || v === undefined) return undefined
  if (v instanceof Date) return v.getTime()
  if (typeof v === 'string') {
    const n = Number(v)
    if (Number.isFinite(n) && v.trim() !== '') return unit === 's' ? Math.round(n * 1000) : n
    const parsed = Date.parse(v)
    return Number.isNaN(parsed) ? undefined : parsed
  }
  return unit === 's' ? Math.round(v * 1000) : v
}

function tagMap (tags: unknown): Record<string, string> | undefined {
  if (Array.isArray(tags)) {
    return Object.fromEntries(tags.map((t: { Key?: unknown, Value?: unknown }) => [String(t.Key), String(t.Value ?? '')]))
  }
  if (typeof tags === 'object' && tags !== null) return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)]))
  return undefined
}

function dropUndefined<T extends object> (o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) Reflect.deleteProperty(o, k)
  return o
}
