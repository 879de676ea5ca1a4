import type { AddressedRecord } from '../domain/records.js'
import { expandEntry, recordCount } from '../domain/log-entry.js'
import type { Cursor, DeadLetterInput, Store } from '../store/store.js'
import type { Sink, SinkRun } from '../sinks/sink.js'
import type { MetricsRegistry } from '../observability/metrics-registry.js'
import { classifyFailure, nextAttemptDelay, type RetryPolicy } from './retry-policy.js'
import { deliverWithBisect } from './bisect.js'
import { fromWireRecord, type WireRecord } from './wire-record.js'
import { HeldLease } from './held-lease.js'
import { LeaseLostError, partitionLease } from '../store/lease-store.js'

/** The logger calls we make (pino's shape). */
export interface EventLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  error (obj: object, msg: string): void
}

export interface DispatcherOptions {
  store: Store
  sinks: Map<string, Sink>
  policy: RetryPolicy
  /** Deliveries in flight per sink (partitions run concurrently up to this). */
  concurrency: number
  /** Full scan for due retries and wake-ups, ms. */
  scanIntervalMs: number
  /**
   * A partition that just delivered waits this long before its next delivery, so that a busy run
   * is sent in batches rather than one callback at a time (OpenTelemetry's batch flush_timeout).
   */
  lingerMs: number
  log: EventLog
  metrics: MetricsRegistry
  now?: () => number
  /** This replica's name in leases (stores several replicas share: store.leases). */
  replicaId?: string
  /** How long a partition lease lasts unless renewed, ms. */
  leaseTtlMs?: number
}

class StoreCommitError extends Error {
  readonly code = 'TG_STORE_COMMIT'
  constructor (cause: unknown) {
    super(`could not commit the delivery: ${(cause as Error).message}`, { cause })
  }
}

const key = (sink: string, runId: string): string => `${sink}\u0000${runId}`
const ENTRIES_PER_READ = 256

/**
 * Delivers every run log to every sink enabled on it: one cursor per (sink, run), one batch in
 * flight per partition (order), partitions concurrent up to a per-sink limit, retry schedule and
 * dead letters in the store. Knows nothing about any one sink.
 */
export class Dispatcher {
  private readonly o: DispatcherOptions
  private readonly now: () => number
  private readonly inFlight = new Map<string, Promise<void>>()
  private readonly active = new Map<string, number>()
  private readonly dirty = new Set<string>()
  private readonly timers = new Set<NodeJS.Timeout>()
  /** When each partition last finished a delivery (for the linger). */
  private readonly lastDelivery = new Map<string, number>()
  private readonly abort = new AbortController()
  private scanTimer: NodeJS.Timeout | undefined
  private pumping = false
  private again = false
  private scanDue = true
  private stopping = false

  constructor (o: DispatcherOptions) {
    this.o = o
    this.now = o.now ?? Date.now
  }

  start (): void {
    this.scanTimer = setInterval(() => {
      this.scanDue = true
      // Forget linger marks that have expired, so idle runs cost no memory.
      const cutoff = this.now() - this.o.lingerMs
      for (const [k, t] of this.lastDelivery) if (t < cutoff) this.lastDelivery.delete(k)
      this.kick()
    }, this.o.scanIntervalMs)
    this.scanTimer.unref()
    this.kick()
  }

  /** Runs whose logs grew (ingest, finish, a new cursor, a replay): deliver soon. */
  notify (runIds: Iterable<string>): void {
    for (const id of runIds) this.dirty.add(id)
    this.kick()
  }

  inFlightCount (sink: string): number {
    return this.active.get(sink) ?? 0
  }

  /** Stop scheduling, give in-flight sends `graceMs`, then abort them; nothing unsent is marked done. */
  async stop (graceMs: number): Promise<void> {
    this.stopping = true
    if (this.scanTimer !== undefined) clearInterval(this.scanTimer)
    for (const t of this.timers) clearTimeout(t)
    const all = Promise.allSettled([...this.inFlight.values()])
    // Not unref'd: the grace must hold the process open even when nothing else does.
    let graceTimer: NodeJS.Timeout | undefined
    const timer = new Promise(resolve => { graceTimer = setTimeout(resolve, graceMs) })
    await Promise.race([all, timer])
    clearTimeout(graceTimer)
    this.abort.abort()
    await all
    await Promise.allSettled([...this.o.sinks.values()].map(async s => await s.close?.()))
  }

  private kick (): void {
    if (this.stopping) return
    if (this.pumping) { this.again = true; return }
    this.pumping = true
    setImmediate(() => {
      this.pump().catch(err => this.o.log.error({ err }, 'dispatcher pump failed'))
        .finally(() => {
          this.pumping = false
          if (this.again) { this.again = false; this.kick() }
        })
    })
  }

  private async pump (): Promise<void> {
    const now = this.now()
    const runIds = [...this.dirty]
    this.dirty.clear()
    const candidates = await this.o.store.cursorsForRuns(runIds)
    if (this.scanDue) {
      this.scanDue = false
      candidates.push(...await this.o.store.cursorsDue(now, 1000))
    }
    for (const c of candidates) {
      if (this.stopping) return
      const k = key(c.sink, c.runId)
      if (this.inFlight.has(k) || c.status === 'paused' || c.nextAttemptAt > now) continue
      const last = this.lastDelivery.get(k)
      if (last !== undefined) {
        if (now - last < this.o.lingerMs) { this.later(c.runId, last + this.o.lingerMs); continue }
        this.lastDelivery.delete(k)
      }
      const sink = this.o.sinks.get(c.sink)
      if (sink === undefined) continue
      if ((this.active.get(c.sink) ?? 0) >= this.o.concurrency) { this.dirty.add(c.runId); continue }
      this.active.set(c.sink, (this.active.get(c.sink) ?? 0) + 1)
      const p = this.runPartition(sink, c)
        .catch(err => this.o.log.error({ err, runId: c.runId, sink: c.sink }, 'partition delivery crashed'))
        .finally(() => {
          this.inFlight.delete(k)
          if (this.o.lingerMs > 0) this.lastDelivery.set(k, this.now())
          this.active.set(c.sink, (this.active.get(c.sink) ?? 1) - 1)
          // Work that waited for a free slot, or that arrived while this partition was busy.
          if (this.dirty.size > 0) this.kick()
        })
      this.inFlight.set(k, p)
    }
  }

  private readonly wakeups = new Map<string, { at: number, timer: NodeJS.Timeout }>()

  /** Look at `runId` again at `at`: one timer per run, for the earliest time asked; the periodic scan covers far times. */
  private later (runId: string, at: number): void {
    if (this.stopping) return
    const pending = this.wakeups.get(runId)
    if (pending !== undefined && pending.at <= at) return
    const delay = Math.max(0, at - this.now())
    if (delay > this.o.scanIntervalMs) return // the periodic scan will find it
    if (pending !== undefined) { clearTimeout(pending.timer); this.timers.delete(pending.timer) }
    const timer = setTimeout(() => { this.timers.delete(timer); this.wakeups.delete(runId); this.notify([runId]) }, delay)
    timer.unref()
    this.timers.add(timer)
    this.wakeups.set(runId, { at, timer })
  }

  /**
   * On a store several replicas share, a partition is delivered under its lease: none when another
   * replica holds it (it delivers), and the cursor is read again once held (the other replica may
   * have moved it). On the embedded store the process owns every partition.
   */
  private async runPartition (sink: Sink, first: Cursor): Promise<void> {
    const leases = this.o.store.leases
    if (leases === undefined) { await this.deliverPartition(sink, first); return }
    const held = await HeldLease.acquire(leases, partitionLease(sink.name, first.runId), this.o.replicaId ?? 'replica', this.o.leaseTtlMs ?? 15_000)
    if (held === null) return
    try {
      const start = (await this.o.store.listCursors(first.runId)).find(c => c.sink === sink.name)
      if (start !== undefined && start.status !== 'paused') await this.deliverPartition(sink, start, held)
    } finally {
      await held.release().catch(err => this.o.log.warn({ err, runId: first.runId, sink: sink.name }, 'could not release a partition lease; it expires'))
    }
  }

  private async deliverPartition (sink: Sink, start: Cursor, held?: HeldLease): Promise<void> {
    const run = await this.o.store.getRun(start.runId)
    if (run === undefined) return
    const sinkRun: SinkRun = { id: run.id, projectId: run.projectId, name: run.name, experiment: run.experiment, tags: run.tags, createdAt: run.createdAt, jobName: run.jobName, parentRunId: run.parentRunId, group: run.group }
    let cursor = start
    // Replays are asked for once per pass: one requested meanwhile notifies the run, which brings
    // a new pass. (Querying every batch would cost a round trip per delivery for a rare event.)
    let checkReplays = true
    for (;;) {
      if (this.stopping || held?.lost === true) return
      const replays = checkReplays ? await this.o.store.replaysFor(sink.name, run.id) : []
      checkReplays = false
      const { records, lastSeq } = await this.readBatch(run.id, cursor.deliveredSeq, sink.maxBatchRecords)
      const wake = cursor.wakeAt !== null && cursor.wakeAt <= this.now()
      if (records.length === 0 && replays.length === 0 && !wake) return
      const ctx = { run: sinkRun, state: cursor.state, signal: this.abort.signal }
      try {
        let state = cursor.state
        const deadLetters: DeadLetterInput[] = []
        const replayed: number[] = []
        for (const d of replays) {
          const out = await deliverWithBisect(sink, { ...ctx, state }, [fromWireRecord(d.record as WireRecord)])
          state = out.result.state
          if (out.deadLetters.length === 0) replayed.push(d.id)
          else deadLetters.push(...out.deadLetters)
        }
        const out = await deliverWithBisect(sink, { ...ctx, state }, records)
        deadLetters.push(...out.deadLetters)
        const wakeAt = out.result.wakeAt ?? null
        try {
          await this.o.store.commitDelivery({ sink: sink.name, runId: run.id, deliveredSeq: lastSeq, state: out.result.state, wakeAt, deadLetters, replayed, now: this.now(), ...(held === undefined ? {} : { lease: held.current }) })
        } catch (err) {
          if (err instanceof LeaseLostError) {
            // Another replica took the partition over while this one stalled: it resends from the
            // durable cursor, and the sink's own idempotency makes that harmless.
            this.o.log.warn({ runId: run.id, sink: sink.name, token: err.lease.token }, 'partition lease lost during a delivery; another replica continues')
            return
          }
          // The sink has the records but we could not record it (disk full, say): not the sink's
          // fault. Retry later; the resend is harmless.
          throw new StoreCommitError(err)
        }
        this.o.metrics.inc('trackgate_sink_sent_records_total', { sink: sink.name }, records.length - out.deadLetters.length + replayed.length)
        if (deadLetters.length > 0) {
          this.o.metrics.inc('trackgate_sink_dead_lettered_total', { sink: sink.name }, deadLetters.length)
          this.o.log.warn({ runId: run.id, sink: sink.name, count: deadLetters.length, code: deadLetters[0]?.code }, 'records dead-lettered')
        }
        if (cursor.status !== 'healthy') this.o.log.info({ runId: run.id, sink: sink.name }, 'sink partition healthy again')
        if (wakeAt !== null) this.later(run.id, wakeAt)
        cursor = { ...cursor, deliveredSeq: lastSeq, state: out.result.state, wakeAt, status: 'healthy', attempts: 0 }
        // A wake-up with nothing new is served once; what the sink asks next waits for its time.
        if (records.length === 0 && replays.length === 0) return
      } catch (err) {
        await this.recordFailure(sink, cursor, err, held)
        return
      }
    }
  }

  private async readBatch (runId: string, afterSeq: number, maxRecords: number): Promise<{ records: AddressedRecord[], lastSeq: number }> {
    const records: AddressedRecord[] = []
    let lastSeq = afterSeq
    while (records.length < maxRecords) {
      const entries = await this.o.store.readEntries(runId, lastSeq, ENTRIES_PER_READ)
      for (const e of entries) {
        // Always take at least one entry, even one larger than the sink's batch limit.
        if (records.length > 0 && records.length + recordCount(e.body) > maxRecords) return { records, lastSeq }
        expandEntry(e, records)
        lastSeq = e.seq
      }
      if (entries.length < ENTRIES_PER_READ) break
    }
    return { records, lastSeq }
  }

  private async recordFailure (sink: Sink, cursor: Cursor, err: unknown, held?: HeldLease): Promise<void> {
    const c = err instanceof StoreCommitError
      ? { action: 'retry' as const, code: err.code, message: err.message, retryAfterMs: undefined }
      : classifyFailure(err, this.abort.signal.aborted)
    if (c.action === 'shutdown') return // not a failure: the cursor stays where it is
    const attempts = cursor.attempts + 1
    const now = this.now()
    const status = c.action === 'pause' ? 'paused' : 'degraded'
    const nextAttemptAt = c.action === 'pause' ? 0 : now + nextAttemptDelay(this.o.policy, attempts, c.retryAfterMs)
    try {
      await this.o.store.recordFailure(sink.name, cursor.runId, { attempts, nextAttemptAt, status, code: c.code, message: c.message }, now, held?.current)
    } catch (e) {
      if (e instanceof LeaseLostError) return // the new holder keeps its own retry state
      throw e
    }
    this.o.metrics.inc('trackgate_sink_send_failures_total', { sink: sink.name, code: c.code, permanent: String(c.action === 'pause') })
    if (status !== cursor.status) {
      this.o.log.warn({ runId: cursor.runId, sink: sink.name, state: status, code: c.code, error: c.message }, 'sink partition state changed')
    }
    if (c.action !== 'pause') {
      this.o.metrics.inc('trackgate_sink_retries_total', { sink: sink.name })
      this.later(cursor.runId, nextAttemptAt)
    }
  }
}
