import type { EntryBody, LogEntry } from '../domain/log-entry.js'
import type { RunStatus } from '../domain/run-status.js'
import type { TerminalStatus } from '../domain/records.js'
import type { ParamValue } from '../domain/param-value.js'
import type { Lease, LeaseStore } from './lease-store.js'

export type Role = 'admin' | 'write' | 'read'
export type SinkState = 'healthy' | 'degraded' | 'paused'

export interface Project { id: string, name: string, createdAt: number }
export interface ApiKey { id: string, projectId: string, role: Role }

export interface Run {
  id: string
  projectId: string
  name: string
  experiment: string
  status: RunStatus
  tags: Record<string, string>
  jobName: string | null
  /** The run this one belongs to (a tuning trial's search run), else null. */
  parentRunId: string | null
  /** A group of sibling runs (a tuning job's name), shown by sinks as W&B group, TensorBoard directory. */
  group: string | null
  headSeq: number
  createdAt: number
  endedAt: number | null
  tokenHash: string
}

export interface NewRun {
  id: string
  projectId: string
  name: string
  experiment: string
  tags: Record<string, string>
  params: Record<string, ParamValue>
  tokenHash: string
  sinks: string[]
  jobName: string | null
  parentRunId?: string | null
  group?: string | null
  createdAt: number
}

export interface RunFilter { status?: RunStatus, experiment?: string, limit: number, after?: { createdAt: number, id: string } }

/** One ingest request in a group commit. */
export interface AppendRequest {
  runId: string
  batchId: string
  body: EntryBody
  records: number
  params: Record<string, ParamValue>
  tags: Record<string, string>
  now: number
}

export type AppendResult =
  | { ok: true, seq: number, accepted: number, duplicate: boolean }
  | { ok: false, error: 'param_conflict', key: string, existing: ParamValue, got: ParamValue }
  | { ok: false, error: 'run_ended', status: RunStatus }
  | { ok: false, error: 'run_missing' }

export interface Cursor {
  sink: string
  runId: string
  deliveredSeq: number
  headSeq: number
  state: unknown
  status: SinkState
  attempts: number
  nextAttemptAt: number
  wakeAt: number | null
  lastError: string | null
  lastErrorCode: string | null
  updatedAt: number
}

export interface DeadLetterInput { seq: number, idx: number, record: unknown, code: string, message: string }

export interface DeadLetter extends DeadLetterInput {
  id: number
  sink: string
  runId: string
  projectId: string
  status: 'dead' | 'replay'
  attempts: number
  createdAt: number
}

export interface SinkStats {
  sink: string
  partitions: Record<SinkState, number>
  backlogEntries: number
  oldestUndeliveredAt: number | null
  deadLetters: number
}

/**
 * How far one uploaded file (a TensorBoard event file) of a run is in the run log. Bytes
 * [0, consumed) are settled. `pending` ends a range whose commit was started but not seen to
 * finish: the next upload re-commits exactly that range under the same batch id (the run log's
 * dedupe decides). `deadAt`: a framing failure there; later bytes are consumed without records.
 */
export interface IngestOffsets { consumed: number, pending?: number, deadAt?: number }

/** A record an ingest source could not read (a corrupt event-file record), kept as a dead letter. */
export interface IngestDeadLetterInput { source: string, file: string, offset: number, code: string, message: string, record: unknown }

export interface FailureUpdate { attempts: number, nextAttemptAt: number, status: SinkState, code: string, message: string }

/**
 * The store: the durable run log and everything around it. Methods are async so a networked
 * backend (PostgreSQL, several replicas) fits the same interface; the SQLite backend answers
 * synchronously inside.
 */
export interface Store {
  // projects and keys
  createProject (p: Project): Promise<Project>
  getProject (id: string): Promise<Project | undefined>
  createApiKey (k: ApiKey & { hash: string }): Promise<void>
  findApiKey (hash: string): Promise<ApiKey | undefined>
  listApiKeys (projectId: string): Promise<Array<ApiKey & { createdAt: number }>>
  /** Delete a key; false when the project has no such key. */
  revokeApiKey (projectId: string, keyId: string): Promise<boolean>

  // runs
  createRun (r: NewRun): Promise<Run>
  getRun (id: string): Promise<Run | undefined>
  listRuns (projectId: string, f: RunFilter): Promise<Run[]>
  finishRun (id: string, status: TerminalStatus, now: number): Promise<{ run: Run, changed: boolean }>
  getParams (runId: string): Promise<Record<string, ParamValue>>
  /** Gateway-set run tags (not in the run log, so not sent to sinks), e.g. a sink's stop request. */
  mergeRunTags (runId: string, tags: Record<string, string>): Promise<void>
  getTags (runId: string): Promise<Record<string, string>>
  /** A new callback token for a run (a tuning trial claimed by its container): the old one stops working. */
  setRunToken (runId: string, tokenHash: string): Promise<void>

  // the run log
  append (batch: AppendRequest[]): Promise<AppendResult[]>
  readEntries (runId: string, afterSeq: number, limit: number): Promise<LogEntry[]>

  // cursors
  addCursor (runId: string, sink: string, now: number): Promise<boolean>
  listCursors (runId: string): Promise<Cursor[]>
  cursorsDue (now: number, limit: number): Promise<Cursor[]>
  cursorsForRuns (runIds: string[]): Promise<Cursor[]>
  /** With `lease`, a leasing store commits only while that lease is held (else LeaseLostError). */
  commitDelivery (c: { sink: string, runId: string, deliveredSeq: number, state: unknown, wakeAt: number | null, deadLetters: DeadLetterInput[], replayed: number[], now: number, lease?: Lease }): Promise<void>
  recordFailure (sink: string, runId: string, u: FailureUpdate, now: number, lease?: Lease): Promise<void>
  resumeCursor (sink: string, runId: string, now: number): Promise<boolean>

  // ingest offsets (event-file uploads), kept with the run log so every replica sees them
  getIngestOffsets (runId: string, file: string): Promise<IngestOffsets>
  putIngestOffsets (runId: string, file: string, o: IngestOffsets, now: number): Promise<void>
  /**
   * A dead letter of an ingest source: `sink` = `<source>-ingest`, `seq` = the file's id among the
   * run's uploaded files, `idx` = the byte offset; once per (file, offset). Not replayable.
   */
  addIngestDeadLetter (runId: string, d: IngestDeadLetterInput, now: number): Promise<void>

  // per-project sink targets (secrets included: never returned by the API)
  getSinkTarget (projectId: string, sink: string): Promise<Record<string, unknown> | undefined>
  putSinkTarget (projectId: string, sink: string, config: Record<string, unknown>, now: number): Promise<void>
  deleteSinkTarget (projectId: string, sink: string): Promise<boolean>
  listSinkTargets (projectId: string): Promise<Array<{ sink: string, config: Record<string, unknown>, updatedAt: number }>>
  /** Every project's targets (sealing them at start, key rotation). */
  listAllSinkTargets (): Promise<Array<{ projectId: string, sink: string, config: Record<string, unknown>, updatedAt: number }>>

  // dead letters
  listDeadLetters (projectId: string, f: { runId?: string, sink?: string, limit: number, afterId?: number }): Promise<DeadLetter[]>
  getDeadLetter (id: number): Promise<DeadLetter | undefined>
  replayDeadLetter (id: number, now: number): Promise<void>
  discardDeadLetter (id: number): Promise<void>
  replaysFor (sink: string, runId: string): Promise<DeadLetter[]>

  /** Present on stores several replicas share (lease-store.ts); absent on the embedded one. */
  readonly leases?: LeaseStore

  // health and capacity
  sinkStats (): Promise<SinkStats[]>
  backlog (): Promise<{ entries: number, partitions: number, oldestUndeliveredAt: number | null }>
  sizeBytes (): Promise<number>
  ping (): Promise<void>
  close (): Promise<void>
}
