import type { FastifyBaseLogger } from 'fastify'
import type { DescribeHyperParameterTuningJobResponse, HyperParameterTrainingJobSummary } from '@aws-sdk/client-sagemaker'
import type { TrackerConfig } from './tracker.js'
import type { SageMakerTracker } from './tracker.js'
import type { SageMakerApi } from './client.js'
import { ThrottlingError } from './errors.js'
import type { JobService } from '../launcher.js'
import { isTerminalJob, type Job, type JobStore } from '../../store/job-store.js'
import type { TuningCounters, TuningJob, TuningStatus } from '../../store/tuning-store.js'
import type { TuningService } from '../../tuning/tuning-service.js'
import { decodeTuned, sagemakerTrialSpec, trialIndexOf } from './tuning-launcher.js'

export interface TuningTrackerOptions {
  /** Without SDK retries: this tracker owns its back-off. */
  api: SageMakerApi
  service: TuningService
  jobService: JobService
  jobs: JobStore
  /** Follows each adopted trial like any training job (events, Describe polls, cost). */
  trainingTracker: SageMakerTracker
  config: Pick<TrackerConfig, 'pollMinMs' | 'pollMaxMs'>
  log: FastifyBaseLogger
  /** Replicas on one store: asked before each poll; false drops the tuning job (another replica has its lease). */
  claim?: (tuningJobId: string) => Promise<boolean>
}

interface Tracked { id: string, nextAt: number, interval: number, busy: boolean }

const STATUS: Record<string, TuningStatus> = { InProgress: 'RUNNING', Completed: 'COMPLETED', Failed: 'FAILED', Stopping: 'STOPPING', Stopped: 'STOPPED', Deleting: 'STOPPED', DeleteFailed: 'STOPPED' }

/**
 * Follows SageMaker tuning jobs: one DescribeHyperParameterTuningJob per poll (status, counters,
 * best trial) and ListTrainingJobsForHyperParameterTuningJob (100 a page, every page, empty pages
 * with a NextToken included) to find trials, which are adopted as jobs once and then tracked by
 * the training-job tracker. Polls back off while nothing changes and on throttling.
 */
export class SageMakerTuningTracker {
  readonly stats = { describes: 0, lists: 0, throttled: 0, describeTrials: 0 }
  private readonly o: TuningTrackerOptions
  private readonly tracked = new Map<string, Tracked>()
  private readonly adopting = new Map<string, Promise<unknown>>()
  private timer: NodeJS.Timeout | undefined
  private readonly inFlight = new Set<Promise<void>>()

  constructor (o: TuningTrackerOptions) { this.o = o }

  start (): void {
    const tickMs = Math.min(1000, Math.max(10, Math.floor(this.o.config.pollMinMs / 4)))
    this.timer = setInterval(() => this.tick(), tickMs)
  }

  track (t: TuningJob, delayMs = this.o.config.pollMinMs): void {
    const existing = this.tracked.get(t.id)
    if (existing !== undefined) { existing.nextAt = Math.min(existing.nextAt, Date.now() + delayMs); return }
    this.tracked.set(t.id, { id: t.id, nextAt: Date.now() + delayMs, interval: this.o.config.pollMinMs, busy: false })
  }

  isTracked (id: string): boolean { return this.tracked.has(id) }

  pollSoon (id: string): void {
    const t = this.tracked.get(id)
    if (t !== undefined) t.nextAt = Date.now()
  }

  private tick (): void {
    const now = Date.now()
    for (const t of this.tracked.values()) {
      if (t.busy || t.nextAt > now) continue
      const p = this.poll(t).finally(() => this.inFlight.delete(p))
      this.inFlight.add(p)
    }
  }

  private async poll (tr: Tracked): Promise<void> {
    tr.busy = true
    try {
      if (this.o.claim !== undefined && !await this.o.claim(tr.id)) { this.tracked.delete(tr.id); return }
      const t = await this.o.service.get(tr.id)
      const changed = await this.sync(t)
      const after = await this.o.service.get(tr.id)
      if (after.status === 'COMPLETED' || after.status === 'FAILED' || after.status === 'STOPPED') { this.tracked.delete(tr.id); return }
      tr.interval = changed ? this.o.config.pollMinMs : Math.min(this.o.config.pollMaxMs, tr.interval * 2)
      tr.nextAt = Date.now() + tr.interval
    } catch (err) {
      if (err instanceof ThrottlingError) this.stats.throttled++
      else this.o.log.warn({ tuningJobId: tr.id, code: (err as { code?: string }).code, msg: (err as Error).message }, 'following the SageMaker tuning job failed; will retry')
      tr.interval = Math.min(this.o.config.pollMaxMs, Math.max(1000, tr.interval * 2))
      tr.nextAt = Date.now() + tr.interval
    } finally {
      tr.busy = false
    }
  }

  /** One look at the tuning job; true when something changed. */
  private async sync (t: TuningJob): Promise<boolean> {
    const name = t.sagemakerName ?? ''
    this.stats.describes++
    const d = await this.o.api.describeTuningJob(name)
    let changed = false
    for (const s of await this.summaries(name)) {
      const { job, created } = await this.adoptSummary(t, s)
      changed ||= created
      const value = s.FinalHyperParameterTuningJobObjectiveMetric?.Value
      if (value !== undefined && Number.isFinite(value) && job.objective === null) {
        await this.o.jobs.update(job.id, { objective: value })
        changed = true
      }
    }
    const counters = countersOf(d)
    const status = STATUS[d.HyperParameterTuningJobStatus ?? ''] ?? 'RUNNING'
    if (JSON.stringify(counters) !== JSON.stringify(t.counters) || (status !== t.status && status !== 'COMPLETED' && status !== 'FAILED' && status !== 'STOPPED')) {
      await this.o.service.update(t.id, { counters, ...(status !== 'COMPLETED' && status !== 'FAILED' && status !== 'STOPPED' && { status }) })
      changed = true
    }
    const bestName = d.BestTrainingJob?.TrainingJobName
    if (bestName !== undefined) {
      const best = await this.o.jobs.getBySageMakerName(bestName)
      if (best !== undefined) await this.o.service.refreshBest(await this.o.service.get(t.id), best)
    }
    if (status === 'COMPLETED' || status === 'FAILED' || status === 'STOPPED') {
      // The search ended; it ends here once every trial's own tracking has seen its end too.
      const open = (await this.o.jobs.trials(t.id)).filter(j => !isTerminalJob(j.status))
      for (const j of open) this.o.trainingTracker.pollSoon(j.id)
      if (open.length === 0) {
        await this.o.service.finish(t.id, status, d.FailureReason ?? null)
        changed = true
      }
    }
    return changed
  }

  private async summaries (name: string): Promise<HyperParameterTrainingJobSummary[]> {
    const out: HyperParameterTrainingJobSummary[] = []
    let token: string | undefined
    do {
      this.stats.lists++
      const page = await this.o.api.listTuningJobTrainingJobs({ HyperParameterTuningJobName: name, MaxResults: 100, SortBy: 'CreationTime', SortOrder: 'Ascending', ...(token !== undefined && { NextToken: token }) })
      out.push(...(page.TrainingJobSummaries ?? []))
      token = page.NextToken ?? undefined
    } while (token !== undefined)
    return out
  }

  private async adoptSummary (t: TuningJob, s: HyperParameterTrainingJobSummary): Promise<{ job: Job, created: boolean }> {
    const created = s.CreationTime instanceof Date ? s.CreationTime.getTime() : typeof s.CreationTime === 'number' ? (s.CreationTime as number) * 1000 : Date.now()
    return await this.adopt(t, s.TrainingJobName ?? '', s.TrainingJobArn ?? null, created, s.TunedHyperParameters ?? {})
  }

  /**
   * A trial's container claims its run: the trial is adopted now if the tracker has not seen it
   * yet, from DescribeTrainingJob, which also proves it belongs to this tuning job.
   */
  async trialFor (t: TuningJob, trainingJobName: string): Promise<Job | undefined> {
    const known = await this.o.jobs.getBySageMakerName(trainingJobName)
    if (known !== undefined) return known.tuningJobId === t.id ? known : undefined
    if (trialIndexOf(t.sagemakerName ?? '', trainingJobName) === undefined) return undefined
    this.stats.describeTrials++
    const d = await this.o.api.describeTrainingJob(trainingJobName)
    if (d.TuningJobArn === undefined || t.sagemakerArn === null || d.TuningJobArn.toLowerCase() !== t.sagemakerArn.toLowerCase()) return undefined
    const ranges = this.o.service.specOf(t).ranges
    const tuned = Object.fromEntries(Object.entries(d.HyperParameters ?? {}).filter(([k]) => k in ranges))
    const createdAt = d.CreationTime instanceof Date ? d.CreationTime.getTime() : Date.now()
    return (await this.adopt(t, trainingJobName, d.TrainingJobArn ?? null, createdAt, tuned)).job
  }

  /** Records a trial once per tuning job, whoever saw it first. */
  private async adopt (t: TuningJob, name: string, arn: string | null, createdAt: number, tuned: Record<string, string>): Promise<{ job: Job, created: boolean }> {
    const prev = this.adopting.get(t.id) ?? Promise.resolve()
    const run = async (): Promise<{ job: Job, created: boolean }> => {
      const known = await this.o.jobs.getBySageMakerName(name)
      if (known !== undefined) return { job: known, created: false }
      const spec = this.o.service.specOf(t)
      const values = decodeTuned(spec.ranges, tuned)
      const index = trialIndexOf(t.sagemakerName ?? '', name) ?? (await this.o.jobs.trials(t.id)).length + 1
      const result = await this.o.jobService.adopt({
        projectId: t.projectId,
        spec: sagemakerTrialSpec(spec, name, values),
        sinks: (spec.job as { sinks?: string[] }).sinks ?? [],
        sagemakerJobName: name,
        sagemakerJobArn: arn,
        region: spec.job.region ?? null,
        createdAt,
        trial: { tuningJobId: t.id, index, hyperparameters: values, parentRunId: t.runId, group: this.o.service.groupOf(t) }
      })
      if (result.created) {
        this.o.service.trialStarted(t, result.job)
        this.o.trainingTracker.track(result.job, 0)
      }
      return result
    }
    const next = prev.then(run, run)
    this.adopting.set(t.id, next.catch(() => {}))
    return await next
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.tracked.clear()
    await Promise.allSettled([...this.inFlight])
  }
}

function countersOf (d: DescribeHyperParameterTuningJobResponse): TuningCounters {
  const c = d.TrainingJobStatusCounters ?? {}
  const o = d.ObjectiveStatusCounters ?? {}
  return {
    completed: c.Completed ?? 0,
    inProgress: c.InProgress ?? 0,
    retryableError: c.RetryableError ?? 0,
    nonRetryableError: c.NonRetryableError ?? 0,
    stopped: c.Stopped ?? 0,
    objectiveSucceeded: o.Succeeded ?? 0,
    objectivePending: o.Pending ?? 0,
    objectiveFailed: o.Failed ?? 0
  }
}
