import type { JobBackend } from './job-store.js'

/**
 * Hyperparameter tuning jobs: one search over a job spec. Its trials are jobs (job-store.ts) with
 * `tuningJobId` set, each with its own run; the search itself has a run too (the trials' parent).
 * SUBMITTING: recorded, not yet accepted by the backend; then as SageMaker's
 * HyperParameterTuningJobStatus (InProgress → RUNNING).
 */
export type TuningStatus = 'SUBMITTING' | 'RUNNING' | 'STOPPING' | 'COMPLETED' | 'FAILED' | 'STOPPED'
export const TUNING_STATUSES: readonly TuningStatus[] = ['SUBMITTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED', 'STOPPED']
export const isTerminalTuning = (s: TuningStatus): boolean => s === 'COMPLETED' || s === 'FAILED' || s === 'STOPPED'

/** SageMaker's TrainingJobStatusCounters and ObjectiveStatusCounters, or the same counted locally. */
export interface TuningCounters {
  completed: number
  inProgress: number
  retryableError: number
  nonRetryableError: number
  stopped: number
  objectiveSucceeded: number
  objectivePending: number
  objectiveFailed: number
}

export interface TuningJob {
  id: string
  projectId: string
  /** The search's own run: the trials' parent. */
  runId: string
  backend: JobBackend
  name: string
  /** The request as accepted (job environment values redacted). */
  spec: Record<string, unknown>
  status: TuningStatus
  failureReason: string | null
  sagemakerName: string | null
  sagemakerArn: string | null
  /** Hash of the tuning-scoped token the trials' containers exchange for their run (claim). */
  tokenHash: string
  counters: TuningCounters | null
  bestJobId: string | null
  stopRequested: boolean
  idempotencyKey: string | null
  requestHash: string | null
  createdAt: number
  updatedAt: number
  endedAt: number | null
}

export type NewTuningJob = Pick<TuningJob, 'id' | 'projectId' | 'runId' | 'backend' | 'name' | 'spec' | 'sagemakerName' | 'tokenHash' | 'idempotencyKey' | 'requestHash' | 'createdAt'>
export type TuningPatch = Partial<Pick<TuningJob, 'status' | 'failureReason' | 'sagemakerArn' | 'counters' | 'bestJobId' | 'stopRequested' | 'endedAt'>>

export interface TuningStore {
  /** Inserts, or returns the project's tuning job with the same idempotency key. */
  insert (t: NewTuningJob): Promise<{ created: boolean, tuning: TuningJob }>
  get (id: string): Promise<TuningJob | undefined>
  list (projectId: string, f: { limit: number, after?: { createdAt: number, id: string } }): Promise<TuningJob[]>
  /** Not yet ended (resumed after a restart). */
  active (): Promise<TuningJob[]>
  update (id: string, patch: TuningPatch): Promise<TuningJob>
}
