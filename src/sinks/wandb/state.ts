import type { ParamValue } from '../../domain/param-value.js'
import type { WireNumber } from './extended-json.js'

/** The row currently being assembled: all metrics of one step seen so far. */
export interface OpenRow {
  step: number
  ts: number
  metrics: Record<string, WireNumber>
  /** Wall-clock ms of the last deliver that added to it, for the idle close. */
  touchedAt: number
  /** Rough encoded size, to refuse a row before it passes W&B's line limit. */
  bytes: number
}

/** Where the run lives on W&B, from the `upsertBucket` response (canonical names). */
export interface RemoteRun {
  storageId: string
  entity: string
  project: string
  name: string
}

/**
 * Durable per-(wandb, run) state, committed with the cursor. The history offsets are the
 * idempotency key: line `acked + i` is `pending[i]`, and the next closed row gets offset
 * `acked + pending.length`. A resend from an older state therefore rewrites the same lines.
 * Everything here is plain JSON (non-finite numbers in wire form).
 */
export interface WandbState {
  v: 1
  remote: RemoteRun | null
  /** Config source: param records, last value per key. */
  params: Record<string, ParamValue>
  /** Tag records (key → value); merged over the run's own tags. */
  tags: Record<string, string>
  /** The config JSON and tag list last acknowledged by upsertBucket, to re-upsert on change. */
  sentConfig: string | null
  sentTags: string[] | null
  open: OpenRow | null
  /** Step of the last closed row; -1 before the first. */
  lastStep: number
  /** History lines [0, acked) are acknowledged by W&B. */
  acked: number
  /** Closed rows awaiting acknowledgement, at offsets acked, acked+1, … */
  pending: string[]
  /** Last value per metric, for the summary line. */
  summary: Record<string, WireNumber>
  summaryAt: { step: number, ts: number } | null
  summaryDirty: boolean
  /** Exit code once the run's status record was seen; `complete` goes out after the last ack. */
  exit: number | null
  completed: boolean
  /** Wall-clock ms of the last acknowledged file_stream request (pacing, heartbeats). */
  lastSendAt: number
  /** Byte cap per request for this run; halved after a 413. */
  chunkBytes: number
  /** W&B answered `stopped: true` (the user pressed Stop): the gateway may stop the job. */
  stopRequested: boolean
}

export function initialState (chunkBytes: number): WandbState {
  return {
    v: 1,
    remote: null,
    params: {},
    tags: {},
    sentConfig: null,
    sentTags: null,
    open: null,
    lastStep: -1,
    acked: 0,
    pending: [],
    summary: {},
    summaryAt: null,
    summaryDirty: false,
    exit: null,
    completed: false,
    lastSendAt: 0,
    chunkBytes,
    stopRequested: false
  }
}

/** The committed state as handed back by the dispatcher, or a fresh one before the first commit. */
export function loadState (raw: unknown, chunkBytes: number): WandbState {
  if (raw === null || raw === undefined) return initialState(chunkBytes)
  const s = raw as Partial<WandbState>
  if (s.v !== 1 || !Array.isArray(s.pending) || typeof s.acked !== 'number') {
    throw new TypeError('wandb sink: unrecognised partition state (expected v1)')
  }
  // A deep copy: deliver must not mutate the committed state it was given (the caller may
  // retry with the same object after a failure).
  return structuredClone(s as WandbState)
}

export function nextOffset (s: WandbState): number {
  return s.acked + s.pending.length
}
