import type { Cursor, DeadLetter, Run, SinkState, Role, ApiKey } from '../store.js'
import type { RunStatus } from '../../domain/run-status.js'

export interface RunRow {
  id: string,
  project_id: string,
  name: string,
  experiment: string,
  status: string,
  tags: string
  job_name: string | null,
  parent_run_id: string | null,
  run_group: string | null,
  head_seq: number,
  created_at: number,
  ended_at: number | null,
  token_hash: string
}

export const toRun = (r: RunRow): Run => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  experiment: r.experiment,
  status: r.status as RunStatus,
  tags: JSON.parse(r.tags) as Record<string, string>,
  jobName: r.job_name,
  parentRunId: r.parent_run_id,
  group: r.run_group,
  headSeq: r.head_seq,
  createdAt: r.created_at,
  endedAt: r.ended_at,
  tokenHash: r.token_hash
})

export interface CursorRow {
  sink: string,
  run_id: string,
  delivered_seq: number,
  head_seq: number,
  state: string | null,
  status: string
  attempts: number,
  next_attempt_at: number,
  wake_at: number | null,
  last_error: string | null
  last_error_code: string | null,
  updated_at: number
}

export const toCursor = (r: CursorRow): Cursor => ({
  sink: r.sink,
  runId: r.run_id,
  deliveredSeq: r.delivered_seq,
  headSeq: r.head_seq,
  state: r.state === null ? null : JSON.parse(r.state),
  status: r.status as SinkState,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  wakeAt: r.wake_at,
  lastError: r.last_error,
  lastErrorCode: r.last_error_code,
  updatedAt: r.updated_at
})

export interface DeadLetterRow {
  id: number,
  sink: string,
  run_id: string,
  project_id: string,
  seq: number,
  idx: number,
  record: string
  code: string,
  message: string,
  status: string,
  attempts: number,
  created_at: number
}

export const toDeadLetter = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  sink: r.sink,
  runId: r.run_id,
  projectId: r.project_id,
  seq: r.seq,
  idx: r.idx,
  record: JSON.parse(r.record),
  code: r.code,
  message: r.message,
  status: r.status as 'dead' | 'replay',
  attempts: r.attempts,
  createdAt: r.created_at
})

export interface ApiKeyRow { id: string, project_id: string, role: string }
export const toApiKey = (r: ApiKeyRow): ApiKey => ({ id: r.id, projectId: r.project_id, role: r.role as Role })
