import { KeyedLock } from '../util/keyed-lock.js'
import { EventEmitter } from 'node:events'
import createError from '@fastify/error'
import type { FastifyBaseLogger } from 'fastify'
import { batchBody } from '../domain/log-entry.js'
import type { TerminalStatus } from '../domain/records.js'
import { redactSpec, type JobService } from '../launch/launcher.js'
import type { JobProblem } from '../launch/sagemaker/validate-job.js'
import { isTerminalJob, type Job, type JobBackend, type JobStore } from '../store/job-store.js'
import type { Store } from '../store/store.js'
import { isTerminalTuning, type TuningJob, type TuningPatch, type TuningStatus, type TuningStore } from '../store/tuning-store.js'
import { hashSecret, newId, newSecret } from '../util/ids.js'
import { bestTrial } from './best.js'
import { gridSize } from './grid.js'
import { normaliseTuningSpec, objectiveKey, type TuningSpec, type TuningSpecInput } from './tuning-spec.js'
import { hparamTypes, searchParams } from './search-run.js'
import { tuningProblems } from './validate-tuning.js'
import { HPARAM_TYPES_TAG, OBJECTIVE_TAG } from '../sinks/tensorboard/encode-events.js'

export const InvalidTuning = createError('TG_INVALID_TUNING_JOB', '%s', 400)
export const TuningIdempotencyConflict = createError('TG_IDEMPOTENCY_CONFLICT', '%s', 409)

/** One backend of the search: SageMaker runs it (and its trials) itself; locally the gateway does. */
export interface TuningBackend {
  readonly backend: JobBackend
  /** The backend's own rules (the job spec, the request it would send). */
  validate (spec: TuningSpec): JobProblem[]
  /** The backend's own name for the search, fixed when it is recorded, or null. */
  externalName (spec: TuningSpec, now: Date): string | null
  start (t: TuningJob, spec: TuningSpec, token: string): Promise<void>
  stop (t: TuningJob): Promise<void>
  /** A trial ended (its job row and objective are final): the local search launches the next. */
  trialEnded? (t: TuningJob): void
  /** After a restart: pick up the searches left running. */
  resume (ts: TuningJob[]): Promise<void>
  close (): Promise<void>
}

export interface TuningServiceOptions {
  tunings: TuningStore
  jobs: JobStore
  store: Store
  jobService: JobService
  notifyRun: (runId: string) => void
  /** The latest value of a run's metric (the objective of a local trial), null when it has none. */
  latestMetric: (runId: string, key: string) => Promise<number | null>
  log: FastifyBaseLogger
  defaultBackend: JobBackend
  /** Replicas on one store: the tuning job's lease (taken at create; a local search resumes only where it can be claimed). */
  claim?: (tuningJobId: string) => Promise<boolean>
}

export type TuningEvent =
  | { type: 'status', tuning: TuningJob }
  | { type: 'trial-started', trial: Job }
  | { type: 'trial-ended', trial: Job }
  | { type: 'best', trial: Job }

const TERMINAL_RUN: Record<'COMPLETED' | 'FAILED' | 'STOPPED', TerminalStatus> = { COMPLETED: 'FINISHED', FAILED: 'FAILED', STOPPED: 'KILLED' }

/**
 * Hyperparameter tuning over any backend: records the search and its run (the trials' parent),
 * keeps trials, objectives, the best trial and the counters one story, and emits
 * `tuning:<id>` events (TuningEvent) for SSE streams. Trials are jobs (JobService) with their own
 * runs, so tracking, cost and sinks work for them as for any job.
 */
export class TuningService extends EventEmitter {
  readonly backends = new Map<JobBackend, TuningBackend>()
  readonly o: TuningServiceOptions
  private readonly locks = new KeyedLock()

  constructor (o: TuningServiceOptions) {
    super()
    this.setMaxListeners(0)
    this.o = o
    o.jobService.on('job', (job: Job) => {
      if (job.tuningJobId === null || !isTerminalJob(job.status)) return
      this.trialEnded(job).catch(err => this.o.log.error({ err, jobId: job.id, tuningJobId: job.tuningJobId }, 'recording a trial\'s end failed'))
    })
  }

  backend (name: JobBackend): TuningBackend {
    const b = this.backends.get(name)
    if (b === undefined) throw new InvalidTuning(`backend ${name} is not available on this gateway`)
    return b
  }

  /** The spec as the search runs it (defaults filled in), from what was stored. */
  specOf (t: TuningJob): TuningSpec { return t.spec as unknown as TuningSpec }

  async create (input: { projectId: string, body: TuningSpecInput, sinks: string[], idempotencyKey: string | null, requestHash: string }): Promise<{ tuning: TuningJob, created: boolean }> {
    const spec = normaliseTuningSpec(input.body, this.o.defaultBackend, gridSize)
    const backend = this.backend(spec.backend)
    const problems = [...tuningProblems(spec, input.body), ...backend.validate(spec)].filter(p => p.severity === 'error')
    if (problems.length > 0) {
      throw new InvalidTuning(`invalid tuning job (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.map(p => `${p.field}: ${p.message}`).join('; ')}`)
    }
    const now = Date.now()
    const id = newId()
    const token = newSecret('tgt')
    // Environment values may be secrets: only their keys are stored (the backend gets them in memory).
    spec.job = { ...spec.job, sinks: input.sinks } as typeof spec.job
    const stored = { ...spec, job: redactSpec(spec.job) }
    const { created, tuning } = await this.o.tunings.insert({
      id,
      projectId: input.projectId,
      runId: newId(),
      backend: spec.backend,
      name: spec.name,
      spec: stored as unknown as Record<string, unknown>,
      sagemakerName: backend.externalName(spec, new Date(now)),
      tokenHash: hashSecret(token),
      idempotencyKey: input.idempotencyKey,
      requestHash: input.requestHash,
      createdAt: now
    })
    if (!created) {
      if (tuning.requestHash !== input.requestHash) {
        throw new TuningIdempotencyConflict(`Idempotency-Key ${input.idempotencyKey ?? ''} was used for a different request (tuning job ${tuning.id})`)
      }
      return { tuning, created }
    }
    await this.o.claim?.(tuning.id)
    await this.o.store.createRun({
      id: tuning.runId,
      projectId: tuning.projectId,
      name: spec.name,
      experiment: spec.job.experiment ?? 'default',
      tags: {
        'trackgate.tuning_job': tuning.id,
        'trackgate.backend': spec.backend,
        [HPARAM_TYPES_TAG]: JSON.stringify(hparamTypes(spec)),
        [OBJECTIVE_TAG]: objectiveKey(spec.objective.metric)
      },
      params: searchParams(spec),
      tokenHash: hashSecret(newSecret('tgr')),
      sinks: input.sinks,
      jobName: tuning.sagemakerName,
      parentRunId: null,
      group: this.groupOf(tuning),
      createdAt: now
    })
    this.o.notifyRun(tuning.runId)
    this.o.log.info({ tuningJobId: tuning.id, runId: tuning.runId, backend: spec.backend, strategy: spec.strategy, maxJobs: spec.maxJobs }, 'tuning job created')
    try {
      await backend.start(tuning, spec, token)
    } catch (err) {
      this.o.log.error({ err, tuningJobId: tuning.id }, 'starting the tuning job failed')
      await this.finish(tuning.id, 'FAILED', `start failed: ${(err as Error).message}`)
    }
    return { tuning: await this.get(tuning.id), created }
  }

  /** Trials share the search's group: its name and id, so two searches of one name never mix. */
  groupOf (t: TuningJob): string { return `${t.name}-${t.id.slice(0, 8)}` }

  async get (id: string): Promise<TuningJob> {
    const t = await this.o.tunings.get(id)
    if (t === undefined) throw new Error(`tuning job ${id} missing`)
    return t
  }

  async stop (t: TuningJob): Promise<TuningJob> {
    if (isTerminalTuning(t.status)) return t
    await this.update(t.id, { stopRequested: true, ...(t.status !== 'SUBMITTING' && { status: 'STOPPING' }) })
    await this.backend(t.backend).stop(await this.get(t.id))
    return await this.get(t.id)
  }

  /** Applies a change one at a time per tuning job; a terminal search keeps its status. */
  async update (id: string, patch: TuningPatch): Promise<TuningJob> {
    return await this.serial(id, async () => {
      const before = await this.get(id)
      if (isTerminalTuning(before.status)) { delete patch.status; delete patch.failureReason }
      const after = await this.o.tunings.update(id, patch)
      if (after.status !== before.status) {
        this.o.log.info({ tuningJobId: id, runId: after.runId, status: after.status }, 'tuning job status changed')
        this.emit(`tuning:${id}`, { type: 'status', tuning: after } satisfies TuningEvent)
      }
      return after
    })
  }

  /** Ends the search once: its status, and its run (FINISHED, FAILED or KILLED). */
  async finish (id: string, status: 'COMPLETED' | 'FAILED' | 'STOPPED', reason: string | null = null): Promise<TuningJob> {
    const before = await this.get(id)
    if (isTerminalTuning(before.status)) return before
    const t = await this.update(id, { status, failureReason: reason, endedAt: Date.now() })
    const { changed } = await this.o.store.finishRun(t.runId, TERMINAL_RUN[status], Date.now())
    if (changed) this.o.notifyRun(t.runId)
    return t
  }

  /** A trial started (launched locally, or found on SageMaker). */
  trialStarted (t: TuningJob, trial: Job): void {
    this.o.log.info({ tuningJobId: t.id, jobId: trial.id, runId: trial.runId, trial: trial.trialIndex }, 'tuning trial started')
    this.emit(`tuning:${t.id}`, { type: 'trial-started', trial } satisfies TuningEvent)
  }

  /**
   * A trial's job ended: its objective (SageMaker's final metric, or the last value of the
   * objective metric in its run), the search run's curves (`trial_objective`, `best_objective` at
   * step = trial index), the best trial, and the backend's next move.
   */
  private async trialEnded (ended: Job): Promise<void> {
    const t = await this.o.tunings.get(ended.tuningJobId ?? '')
    if (t === undefined) return
    const spec = this.specOf(t)
    const job = await this.o.jobs.get(ended.id) ?? ended
    const objective = await this.recordObjective(job, spec)
    const trial = { ...job, objective }
    this.emit(`tuning:${t.id}`, { type: 'trial-ended', trial } satisfies TuningEvent)
    // SageMaker names its best trial itself (the tuning tracker applies BestTrainingJob).
    if (t.backend === 'local') await this.refreshBest(t)
    if (objective !== null && trial.trialIndex !== null) {
      const best = await this.bestOf(t)
      const key = objectiveKey(spec.objective.metric)
      const metrics = [{ key: 'trial_objective', value: objective, step: trial.trialIndex, timestamp: Date.now() }]
      if (best?.objective != null) metrics.push({ key: `best_${key}`, value: best.objective, step: trial.trialIndex, timestamp: Date.now() })
      await this.o.store.append([{ runId: t.runId, batchId: `trial-${trial.trialIndex}`, body: batchBody(metrics), records: metrics.length, params: {}, tags: {}, now: Date.now() }])
      this.o.notifyRun(t.runId)
    }
    this.backend(t.backend).trialEnded?.(await this.get(t.id))
  }

  /** A finished trial's objective, recorded on its job once found (idempotent). */
  async recordObjective (job: Job, spec: TuningSpec): Promise<number | null> {
    if (job.objective !== null) return job.objective
    const objective = await this.objectiveOf(job, spec)
    if (objective !== null) await this.o.jobs.update(job.id, { objective })
    return objective
  }

  private async objectiveOf (job: Job, spec: TuningSpec): Promise<number | null> {
    const final = job.finalMetrics.find(m => m.name === spec.objective.metric)
    if (final !== undefined && Number.isFinite(final.value)) return final.value
    return await this.o.latestMetric(job.runId, objectiveKey(spec.objective.metric))
  }

  async bestOf (t: TuningJob): Promise<Job | undefined> {
    if (t.bestJobId !== null) return await this.o.jobs.get(t.bestJobId)
    const trials = await this.o.jobs.trials(t.id)
    return bestTrial(trials.filter(j => isTerminalJob(j.status)), this.specOf(t).objective.type)
  }

  /** SageMaker names the best trial itself (BestTrainingJob); locally the same rule is applied here. */
  async refreshBest (t: TuningJob, sagemakerBest?: Job): Promise<void> {
    const trials = await this.o.jobs.trials(t.id)
    const best = sagemakerBest ?? bestTrial(trials.filter(j => isTerminalJob(j.status)), this.specOf(t).objective.type)
    if (best === undefined || best.id === t.bestJobId) return
    await this.update(t.id, { bestJobId: best.id })
    this.o.log.info({ tuningJobId: t.id, jobId: best.id, objective: best.objective }, 'new best trial')
    this.emit(`tuning:${t.id}`, { type: 'best', trial: best } satisfies TuningEvent)
  }

  async resume (): Promise<void> {
    const active = await this.o.tunings.active()
    const claim = this.o.claim
    for (const b of this.backends.values()) {
      if (claim !== undefined && b.backend === 'sagemaker') continue // the lease adopter's
      try {
        const mine = []
        for (const t of active.filter(t => t.backend === b.backend)) if (claim === undefined || await claim(t.id)) mine.push(t)
        await b.resume(mine)
      } catch (err) {
        this.o.log.error({ err, backend: b.backend }, 'resuming tuning jobs failed')
      }
    }
  }

  async close (): Promise<void> {
    for (const b of this.backends.values()) await b.close()
  }

  private async serial<T> (id: string, fn: () => Promise<T>): Promise<T> {
    return await this.locks.run(id, fn)
  }
}

export type { TuningStatus }
