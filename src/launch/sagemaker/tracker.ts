import type { FastifyBaseLogger } from 'fastify'
import type { LaunchConfig } from '../../config/launch-config.js'
import { isTerminalJob, type Job, type JobStore } from '../../store/job-store.js'
import type { JobService, JobUpdate } from '../launcher.js'
import type { SageMakerApi } from './client.js'
import { estimateCost, type PriceTable } from './costs.js'
import { JobNotFoundError, ThrottlingError } from './errors.js'
import { fromDescribeTrainingJob, fromTrainingJobEvent, stateKey, type TrainingJobStateChangeEvent, type TrainingJobView } from './job-status.js'

export type TrackerConfig = Pick<LaunchConfig, 'pollMinMs' | 'pollMaxMs' | 'pollWithEventsMs' | 'describePerSecond' | 'priceTable'>

export interface TrackerOptions {
  /** A client without SDK retries (maxAttempts 1): the tracker owns its back-off. */
  api: SageMakerApi
  service: JobService
  jobs: JobStore
  config: TrackerConfig
  log: FastifyBaseLogger
  random?: () => number
  /** Replicas on one store: asked before each poll; false drops the job (another replica has its lease). */
  claim?: (jobId: string) => Promise<boolean>
}

interface Tracked { jobId: string, name: string, nextAt: number, interval: number, busy: boolean }

export type EventOutcome = 'applied' | 'duplicate' | 'stale' | 'unknown' | 'ignored'

/** The job fields a SageMaker view sets, cost included. Never copies the raw Describe output. */
export function updateFromView (view: TrainingJobView, job: Job, prices: PriceTable, source: string): JobUpdate {
  const spec = job.spec as { instanceType?: string, instanceCount?: number, spot?: unknown }
  const last = view.transitions.at(-1)
  const timeout = view.state === 'TIMED_OUT' ? `${view.secondaryStatus ?? 'Stopped'}: ${last?.message ?? 'a SageMaker time limit stopped the job'}` : undefined
  const update: JobUpdate = {
    status: view.state,
    secondaryStatus: view.secondaryStatus ?? null,
    failureReason: view.failureReason ?? timeout ?? null,
    stateKey: stateKey(view),
    source,
    ...(last?.message !== undefined && { message: last.message }),
    ...(view.lastModifiedTime !== undefined && { lastModifiedAt: view.lastModifiedTime }),
    ...(view.trainingStartTime !== undefined && { startedAt: view.trainingStartTime }),
    ...(view.terminal && { endedAt: view.trainingEndTime ?? view.lastModifiedTime ?? Date.now() }),
    ...(view.finalMetrics.length > 0 && { finalMetrics: view.finalMetrics.map(m => ({ name: m.name, value: m.value })) })
  }
  if (view.billableSeconds !== undefined) {
    update.billableSeconds = view.billableSeconds
    update.trainingSeconds = view.trainingSeconds ?? view.billableSeconds
    const c = estimateCost({
      instanceType: spec.instanceType ?? '',
      instanceCount: spec.instanceCount ?? 1,
      billableSeconds: view.billableSeconds,
      trainingSeconds: update.trainingSeconds,
      spot: spec.spot !== undefined
    }, prices)
    update.cost = {
      currency: 'USD',
      pricePerInstanceHour: c.pricePerInstanceHour ?? null,
      instanceCount: c.instanceCount,
      cost: c.cost ?? null,
      onDemandCost: c.onDemandCost ?? null,
      savings: c.savings ?? null,
      savingsPercent: c.savingsPercent ?? null
    }
  }
  return update
}

/**
 * Follows SageMaker jobs to the end. EventBridge events (when configured) are the fast path;
 * DescribeTrainingJob polls reconcile, each job on its own adaptive, jittered interval (short
 * after a change, doubling while nothing changes, much longer while events arrive), all under
 * one token bucket. ThrottlingException halves the rate and pauses every poll for a while.
 * One tracker per database: with SQLite that is one gateway process.
 */
export class SageMakerTracker {
  readonly stats = { describes: 0, throttled: 0, events: 0, duplicateEvents: 0 }
  private readonly o: TrackerOptions
  private readonly tracked = new Map<string, Tracked>()
  private readonly random: () => number
  private rate: number
  private tokens: number
  private refilledAt = Date.now()
  private pausedUntil = 0
  private throttleBackoffMs = 0
  private lastEventAt = 0
  private timer: NodeJS.Timeout | undefined
  private readonly inFlight = new Set<Promise<void>>()

  constructor (o: TrackerOptions) {
    this.o = o
    this.random = o.random ?? Math.random
    this.rate = o.config.describePerSecond
    this.tokens = Math.max(1, this.rate)
  }

  get trackedCount (): number { return this.tracked.size }
  isTracked (jobId: string): boolean { return this.tracked.has(jobId) }

  start (): void {
    const tickMs = Math.min(1000, Math.max(10, Math.floor(this.o.config.pollMinMs / 4)))
    this.timer = setInterval(() => this.tick(), tickMs)
  }

  track (job: Job, delayMs = this.o.config.pollMinMs): void {
    if (job.sagemakerJobName === null || isTerminalJob(job.status)) return
    const existing = this.tracked.get(job.id)
    if (existing !== undefined) { existing.nextAt = Math.min(existing.nextAt, Date.now() + delayMs); return }
    this.tracked.set(job.id, { jobId: job.id, name: job.sagemakerJobName, nextAt: Date.now() + this.jitter(delayMs), interval: this.o.config.pollMinMs, busy: false })
  }

  pollSoon (jobId: string): void {
    const t = this.tracked.get(jobId)
    if (t !== undefined) t.nextAt = Date.now()
  }

  private ceiling (now: number): number {
    return now - this.lastEventAt < this.o.config.pollWithEventsMs ? this.o.config.pollWithEventsMs : this.o.config.pollMaxMs
  }

  private jitter (ms: number): number { return Math.round(ms * (0.8 + 0.4 * this.random())) }

  private tick (): void {
    const now = Date.now()
    const cap = Math.max(1, this.rate)
    this.tokens = Math.min(cap, this.tokens + (now - this.refilledAt) / 1000 * this.rate)
    this.refilledAt = now
    if (now < this.pausedUntil || this.tokens < 1) return
    const due = [...this.tracked.values()].filter(t => !t.busy && t.nextAt <= now).sort((a, b) => a.nextAt - b.nextAt)
    for (const t of due) {
      if (this.tokens < 1) break
      this.tokens -= 1
      const p = this.poll(t).finally(() => this.inFlight.delete(p))
      this.inFlight.add(p)
    }
  }

  private async poll (t: Tracked): Promise<void> {
    t.busy = true
    try {
      if (this.o.claim !== undefined && !await this.o.claim(t.jobId)) { this.tracked.delete(t.jobId); return }
      this.stats.describes++
      const view = fromDescribeTrainingJob(await this.o.api.describeTrainingJob(t.name))
      const changed = await this.applyView(t.jobId, view, 'poll') === 'applied'
      this.throttleBackoffMs = 0
      this.rate = Math.min(this.o.config.describePerSecond, this.rate * 1.1)
      if (view.terminal) { this.tracked.delete(t.jobId); return }
      t.interval = changed ? this.o.config.pollMinMs : Math.min(this.ceiling(Date.now()), t.interval * 2)
      t.nextAt = Date.now() + this.jitter(t.interval)
    } catch (err) {
      if (err instanceof ThrottlingError) {
        this.stats.throttled++
        // One shared budget: throttling anywhere slows everyone (AIMD), with a jittered pause.
        // Polls already in flight when the first throttle came back are one wave, not many.
        if (Date.now() >= this.pausedUntil) {
          this.rate = Math.max(this.o.config.describePerSecond / 64, this.rate / 2)
          const base = Math.min(1000, this.o.config.pollMinMs)
          this.throttleBackoffMs = Math.min(Math.min(60000, this.o.config.pollMaxMs), Math.max(base, this.throttleBackoffMs * 2))
          this.pausedUntil = Date.now() + this.jitter(this.throttleBackoffMs)
        }
        t.nextAt = this.pausedUntil + this.jitter(this.o.config.pollMinMs)
        if (this.stats.throttled % 50 === 1) this.o.log.warn({ rate: this.rate, pauseMs: this.throttleBackoffMs }, 'SageMaker throttled DescribeTrainingJob; slowing down')
      } else if (err instanceof JobNotFoundError) {
        this.tracked.delete(t.jobId)
        await this.o.service.apply(t.jobId, { status: 'FAILED', failureReason: `SageMaker has no training job named ${t.name} any more`, endedAt: Date.now(), source: 'poll' })
      } else {
        t.interval = Math.min(this.ceiling(Date.now()), t.interval * 2)
        t.nextAt = Date.now() + this.jitter(t.interval)
        this.o.log.warn({ jobId: t.jobId, code: (err as { code?: string }).code, msg: (err as Error).message }, 'DescribeTrainingJob failed; will retry')
      }
    } finally {
      t.busy = false
    }
  }

  /** Applies a view unless it is one we have (duplicate) or older than it (stale). */
  async applyView (jobId: string, view: TrainingJobView, source: string): Promise<EventOutcome> {
    const job = await this.o.jobs.get(jobId)
    if (job === undefined) return 'unknown'
    if (job.stateKey === stateKey(view)) return 'duplicate'
    if (isTerminalJob(job.status) && job.stateKey !== null) return 'stale'
    if (job.lastModifiedAt !== null && view.lastModifiedTime !== undefined && view.lastModifiedTime < job.lastModifiedAt) return 'stale'
    await this.o.service.apply(jobId, { ...updateFromView(view, job, this.o.config.priceTable, source), ...(source === 'event' && { lastEventAt: Date.now() }) })
    return 'applied'
  }

  /** An EventBridge "SageMaker Training Job State Change" event (already authenticated). */
  async onEvent (event: TrainingJobStateChangeEvent): Promise<EventOutcome> {
    let view: TrainingJobView
    try { view = fromTrainingJobEvent(event) } catch { return 'ignored' }
    this.stats.events++
    const now = Date.now()
    if (now - this.lastEventAt >= this.o.config.pollWithEventsMs) this.reconcileOnly(now)
    this.lastEventAt = now
    const job = await this.o.jobs.getBySageMakerName(view.jobName)
    if (job === undefined) return 'unknown'
    const outcome = await this.applyView(job.id, view, 'event')
    if (outcome === 'duplicate') this.stats.duplicateEvents++
    const t = this.tracked.get(job.id)
    if (view.terminal && outcome !== 'stale') this.tracked.delete(job.id)
    else if (t !== undefined && outcome === 'applied') {
      // Events are the fast path now: the poll only reconciles, at the slow interval.
      t.interval = this.ceiling(Date.now())
      t.nextAt = Date.now() + this.jitter(t.interval)
    }
    return outcome
  }

  /**
   * Events started flowing: every job drops to the slow reconciliation poll at once (spread over
   * the interval), instead of each waiting for its own next poll to learn it.
   */
  private reconcileOnly (now: number): void {
    const slow = this.o.config.pollWithEventsMs
    for (const t of this.tracked.values()) {
      t.interval = Math.max(t.interval, slow)
      t.nextAt = Math.max(t.nextAt, now + Math.round(this.random() * slow))
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.tracked.clear()
    await Promise.allSettled([...this.inFlight])
  }
}
