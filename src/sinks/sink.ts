import type { AddressedRecord } from '../domain/records.js'

/** What a sink knows about the run it delivers. */
export interface SinkRun {
  id: string
  projectId: string
  name: string
  experiment: string
  tags: Record<string, string>
  createdAt: number
  /** SageMaker training job name when the run belongs to a job, else null. */
  jobName: string | null
  /** The run this one belongs to (a tuning trial's search run): MLflow nests it under that run. */
  parentRunId: string | null
  /** Sibling runs share a group (a tuning job's name): W&B group, a TensorBoard directory. */
  group: string | null
}

export interface DeliveryContext {
  run: SinkRun
  /**
   * The sink's own durable state for this (sink, run) partition, exactly as returned by the last
   * successful `deliver` whose cursor was committed (null before the first). A sink keeps here
   * whatever makes a resend harmless (file + byte offset, remote run id, next line offset, an open row).
   */
  state: unknown
  signal: AbortSignal
}

export interface DeliveryResult {
  /** New state, committed in the same transaction as the cursor. Must be JSON-serialisable. */
  state: unknown
  /**
   * Ask to be called again (with no new records) at this time (ms since epoch) even if nothing
   * arrives, e.g. to close an idle W&B row or send a heartbeat.
   */
  wakeAt?: number
}

/**
 * One sink behind the dispatcher. `deliver` gets records in log order, never concurrently for the
 * same run. It must be idempotent for a resend of records after the last committed state: delivery
 * is at-least-once and the sink makes the second copy harmless. It throws `SinkError` (or any error,
 * which is classified) on failure; for a permanent rejection the dispatcher bisects the batch.
 */
export interface Sink {
  readonly name: string
  /** Upper bound on records per `deliver` call. */
  readonly maxBatchRecords: number
  deliver (ctx: DeliveryContext, records: AddressedRecord[]): Promise<DeliveryResult>
  /** Called once when the dispatcher stops; release sockets and file handles. */
  close? (): Promise<void>
}
