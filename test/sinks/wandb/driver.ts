import { setTimeout as sleep } from 'node:timers/promises'
import type { AddressedRecord, LogRecord } from '../../../src/domain/records.js'
import { SinkError } from '../../../src/sinks/sink-error.js'
import type { Sink, SinkRun } from '../../../src/sinks/sink.js'

/**
 * A small stand-in for the dispatcher: one partition per run with a cursor and a committed state
 * (round-tripped through JSON like the store does), one deliver in flight per run, retries after
 * `retryAfterMs` on THROTTLED/UNAVAILABLE, bisection down to single records on REJECTED, and the
 * sink's `wakeAt` honoured. Tests can rewind a partition to an older commit (a crash before the
 * cursor commit) to prove resends are harmless.
 */
export interface Partition {
  run: SinkRun
  log: AddressedRecord[]
  cursor: number
  state: unknown
  wakeAt: number | undefined
  nextAttemptAt: number
  deadLetters: Array<{ record: AddressedRecord, message: string }>
  errors: SinkError[]
  commits: Array<{ cursor: number, state: unknown }>
  paused: SinkError | undefined
  calls: number
}

export class Driver {
  readonly partitions = new Map<string, Partition>()
  private seq = new Map<string, number>()

  constructor (private readonly sink: Sink, private readonly opts: { maxBatch?: number, backoffMs?: number } = {}) {}

  add (run: SinkRun): Partition {
    const p: Partition = { run, log: [], cursor: 0, state: null, wakeAt: undefined, nextAttemptAt: 0, deadLetters: [], errors: [], commits: [], paused: undefined, calls: 0 }
    this.partitions.set(run.id, p)
    return p
  }

  /** Appends one run-log entry (one seq) holding these records. */
  append (runId: string, records: LogRecord[]): void {
    const p = this.partitions.get(runId) as Partition
    const seq = (this.seq.get(runId) ?? 0) + 1
    this.seq.set(runId, seq)
    records.forEach((r, idx) => p.log.push({ ...r, seq, idx } as AddressedRecord))
  }

  /** Rewinds a partition to its `k`-th commit (0 = before the first), as after a crash. */
  rewind (runId: string, k: number): void {
    const p = this.partitions.get(runId) as Partition
    const c = k === 0 ? { cursor: 0, state: null } : p.commits[k - 1] as { cursor: number, state: unknown }
    p.cursor = c.cursor
    p.state = c.state
    p.wakeAt = undefined
  }

  /** Runs every partition until `done` holds for all of them (or one is paused), or the deadline. */
  async run (done: (p: Partition) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    await Promise.all([...this.partitions.values()].map(async (p) => {
      while (!done(p) && p.paused === undefined) {
        if (Date.now() > deadline) throw new Error(`driver: run ${p.run.id} not done after ${timeoutMs} ms (cursor ${p.cursor}/${p.log.length})`)
        const now = Date.now()
        if (now < p.nextAttemptAt) {
          await sleep(Math.min(p.nextAttemptAt - now, 50))
          continue
        }
        if (p.cursor < p.log.length) {
          await this.attempt(p, p.log.slice(p.cursor, p.cursor + (this.opts.maxBatch ?? this.sink.maxBatchRecords)))
        } else if (p.wakeAt !== undefined && now >= p.wakeAt) {
          await this.attempt(p, [])
        } else {
          await sleep(Math.max(1, Math.min((p.wakeAt ?? now + 20) - now, 20)))
        }
      }
    }))
  }

  private async attempt (p: Partition, batch: AddressedRecord[]): Promise<void> {
    try {
      await this.deliverOrBisect(p, batch)
    } catch (err) {
      if (!(err instanceof SinkError)) throw err
      p.errors.push(err)
      if (err.code === 'TG_SINK_THROTTLED' || err.code === 'TG_SINK_UNAVAILABLE') {
        p.nextAttemptAt = Date.now() + (err.retryAfterMs ?? this.opts.backoffMs ?? 50)
      } else {
        p.paused = err
      }
    }
  }

  private async deliverOrBisect (p: Partition, batch: AddressedRecord[]): Promise<void> {
    try {
      p.calls++
      const result = await this.sink.deliver({ run: p.run, state: p.state, signal: AbortSignal.timeout(30_000) }, batch)
      p.state = JSON.parse(JSON.stringify(result.state))
      p.cursor += batch.length
      p.wakeAt = result.wakeAt
      p.commits.push({ cursor: p.cursor, state: p.state })
    } catch (err) {
      if (!(err instanceof SinkError) || err.code !== 'TG_SINK_REJECTED' || batch.length === 0) throw err
      if (batch.length === 1) {
        p.deadLetters.push({ record: batch[0] as AddressedRecord, message: err.message })
        p.cursor += 1
        return
      }
      const half = Math.ceil(batch.length / 2)
      await this.deliverOrBisect(p, batch.slice(0, half))
      await this.deliverOrBisect(p, batch.slice(half))
    }
  }
}

export function sinkRun (id: string, extra: Partial<SinkRun> = {}): SinkRun {
  return { id, projectId: 'p1', name: `name-${id}`, experiment: 'exp-a', tags: { team: 'seg' }, createdAt: 1_750_000_000_000, jobName: null, parentRunId: null, group: null, ...extra }
}

/** True once the sink reports the run complete on W&B. */
export const completed = (p: Partition): boolean => (p.state as { completed?: boolean } | null)?.completed === true
