import type { ParamValue } from '../domain/param-value.js'

/**
 * Training jobs, apart from the run log's `Store`: a job launches and tracks one run. Kept as its
 * own interface so the launch side can change (or move to PostgreSQL) without touching ingest.
 */

export type JobBackend = 'sagemaker' | 'local'

/**
 * SUBMITTING: recorded, not yet accepted by the backend (a create is in flight or being retried).
 * The rest follow SageMaker (see launch/sagemaker/job-status.ts `JobState`); TIMED_OUT is a stop by
 * MaxRuntime/MaxWait, which the run records as FAILED.
 */
export type JobStatus = 'SUBMITTING' | 'PENDING' | 'RUNNING' | 'STOPPING' | 'COMPLETED' | 'FAILED' | 'STOPPED' | 'TIMED_OUT'

export const JOB_STATUSES: readonly JobStatus[] = ['SUBMITTING', 'PENDING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED', 'STOPPED', 'TIMED_OUT']
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'STOPPED', 'TIMED_OUT']
export const isTerminalJob = (s: JobStatus): boolean => TERMINAL_JOB_STATUSES.includes(s)

export interface JobCost {
  currency: 'USD'
  pricePerInstanceHour: number | null
  instanceCount: number
  cost: number | null
  onDemandCost: number | null
  savings: number | null
  savingsPercent: number | null
}

export interface Job {
  id: string
  projectId: string
  runId: string
  backend: JobBackend
  name: string
  /** The job spec as accepted, with environment values replaced (they may hold secrets). */
  spec: Record<string, unknown>
  status: JobStatus
  secondaryStatus: string | null
  failureReason: string | null
  sagemakerJobName: string | null
  sagemakerJobArn: string | null
  region: string | null
  billableSeconds: number | null
  trainingSeconds: number | null
  cost: JobCost | null
  finalMetrics: Array<{ name: string, value: number }>
  idempotencyKey: string | null
  /** SHA-256 of the request body, so a reused Idempotency-Key with another body is refused. */
  requestHash: string | null
  pid: number | null
  /** The process's start time as the OS reports it: tells a re-used pid from ours after a restart. */
  pidStart: string | null
  exitCode: number | null
  logPath: string | null
  stopRequested: boolean
  /** Last SageMaker state applied (job-status.ts `stateKey`): drops duplicate events and polls. */
  stateKey: string | null
  /** SageMaker LastModifiedTime of that state (ms): older events are stale. */
  lastModifiedAt: number | null
  createdAt: number
  updatedAt: number
  startedAt: number | null
  endedAt: number | null
  /** When the last EventBridge event for this job arrived (ms); null if none ever did. */
  lastEventAt: number | null
  /** A tuning trial: its tuning job, its 1-based index there and its sampled values; else nulls. */
  tuningJobId: string | null
  trialIndex: number | null
  hyperparameters: Record<string, ParamValue> | null
  /** A trial's final objective value (SageMaker's, or read from the run's metrics locally). */
  objective: number | null
}

export interface TrialLink { tuningJobId: string, index: number, hyperparameters: Record<string, ParamValue> }

export type NewJob = Pick<Job, 'id' | 'projectId' | 'runId' | 'backend' | 'name' | 'spec' | 'sagemakerJobName' | 'region' | 'idempotencyKey' | 'requestHash' | 'createdAt'> & { trial?: TrialLink }

/** Fields a launcher or the tracker may change; `undefined` leaves a field as it is. */
export type JobPatch = Partial<Pick<Job, 'status' | 'secondaryStatus' | 'failureReason' | 'sagemakerJobArn' | 'billableSeconds' |
'trainingSeconds' | 'cost' | 'finalMetrics' | 'pid' | 'pidStart' | 'exitCode' | 'logPath' | 'stopRequested' | 'stateKey' |
'lastModifiedAt' | 'startedAt' | 'endedAt' | 'lastEventAt' | 'hyperparameters' | 'objective'>>

export interface JobEvent {
  id: number
  jobId: string
  at: number
  status: JobStatus
  secondaryStatus: string | null
  message: string | null
  /** Who saw it: api, launch, poll, event (EventBridge), process (local exit), recovery. */
  source: string
}

export interface JobFilter {
  status?: JobStatus
  backend?: JobBackend
  runId?: string
  limit: number
  after?: { createdAt: number, id: string }
}

export type InsertJobResult = { created: true, job: Job } | { created: false, job: Job }

export interface JobStore {
  /** Inserts, or returns the project's job with the same idempotency key (never two). */
  insert (job: NewJob, event: Omit<JobEvent, 'id' | 'jobId'>): Promise<InsertJobResult>
  get (id: string): Promise<Job | undefined>
  getBySageMakerName (name: string): Promise<Job | undefined>
  list (projectId: string, f: JobFilter): Promise<Job[]>
  /** Jobs not in a terminal status, for one backend (recovery after a restart, the tracker). */
  active (backend: JobBackend): Promise<Job[]>
  /** Applies the patch; when the status or secondary status changes, records an event too. */
  update (id: string, patch: JobPatch, event?: Omit<JobEvent, 'id' | 'jobId' | 'status' | 'secondaryStatus'>): Promise<{ job: Job, event: JobEvent | null }>
  events (jobId: string, afterId?: number): Promise<JobEvent[]>
  /** A tuning job's trials, by index. */
  trials (tuningJobId: string): Promise<Job[]>
}
