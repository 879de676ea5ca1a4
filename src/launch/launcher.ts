import { KeyedLock } from '../util/keyed-lock.js'
import { jobRunParams } from './job-params.js'
import { EventEmitter } from 'node:events'
import createError from '@fastify/error'
import type { FastifyBaseLogger } from 'fastify'
import type { JobSpec } from './job-spec.js'
import type { JobProblem } from './sagemaker/validate-job.js'
import type { Store } from '../store/store.js'
import { isTerminalJob, type Job, type JobBackend, type JobEvent, type JobPatch, type JobStatus, type JobStore, type TrialLink } from '../store/job-store.js'
import type { TerminalStatus } from '../domain/records.js'
import { hashSecret, newId, newSecret } from '../util/ids.js'

// Job errors (TG_ codes, same body as every other error). They live here rather than in
// src/errors.ts so the launch side stays one folder; move them there when that file is free.
export const InvalidJob = createError('TG_INVALID_JOB', '%s', 400)
export const IdempotencyConflict = createError('TG_IDEMPOTENCY_CONFLICT', '%s', 409)

/** What a backend gets to start one job. The token goes to the trainer's environment only. */
export interface LaunchContext { job: Job, spec: JobSpec, token: string, gatewayUrl: string }

/** A status report from a backend (launch, poll, EventBridge, process exit). */
export type JobUpdate = JobPatch & { source: string, message?: string }

/**
 * One backend. Launchers report every change through `JobService.apply`, so the job row, its
 * events, the run's status and the SSE streams stay one story whoever saw the change.
 */
export interface Launcher {
  readonly backend: JobBackend
  /** Every problem with the spec for this backend, before anything is created. */
  validate (spec: JobSpec): JobProblem[]
  /** The backend's own job name, fixed when the job is recorded (retries reuse it), or null. */
  externalName (spec: JobSpec, now: Date): string | null
  launch (ctx: LaunchContext): Promise<void>
  stop (job: Job): Promise<void>
  /** After a restart: re-attach to (or settle) the jobs this backend left active. */
  resume (jobs: Job[]): Promise<void>
  /** Stops timers and watchers; never kills training (a restarted gateway re-attaches). */
  close (): Promise<void>
}

export const runStatusForJob = (s: JobStatus): TerminalStatus | undefined =>
  s === 'COMPLETED' ? 'FINISHED' : s === 'STOPPED' ? 'KILLED' : s === 'FAILED' || s === 'TIMED_OUT' ? 'FAILED' : undefined

/** The spec as stored and shown: environment values may be secrets, so only their keys are kept. */
export function redactSpec (spec: JobSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec }
  if (spec.environment !== undefined) out['environment'] = Object.fromEntries(Object.keys(spec.environment).map(k => [k, '[redacted]']))
  return out
}

export interface CreateJobInput {
  projectId: string
  spec: JobSpec
  sinks: string[]
  idempotencyKey: string | null
  requestHash: string | null
  /** A tuning trial: its link, and its run's parent (the search's run) and group. */
  trial?: TrialLink & { parentRunId: string, group: string }
}

/** A training job some backend started on its own (a SageMaker tuning job's trial), recorded as ours. */
export interface AdoptJobInput {
  projectId: string
  spec: JobSpec
  sinks: string[]
  sagemakerJobName: string
  sagemakerJobArn: string | null
  region: string | null
  createdAt: number
  trial: TrialLink & { parentRunId: string, group: string }
}

export interface JobServiceOptions {
  jobs: JobStore
  store: Store
  /** Wakes the dispatcher for a run whose log changed. */
  notifyRun: (runId: string) => void
  gatewayUrl: () => string
  log: FastifyBaseLogger
  /** Backend of a job that names none (TRACKGATE_DEFAULT_BACKEND; local, so a laptop needs no AWS). */
  defaultBackend: JobBackend
  /**
   * Replicas on one store: the new job's lease, taken before its launch so no other replica takes
   * a create in flight for an orphan; SageMaker jobs are then resumed by the lease adopter, not at start.
   */
  claim?: (jobId: string) => Promise<boolean>
}

/**
 * Creates jobs (job row → run + token → launch) and applies every status change. Emits
 * `job:<id>` with `(job, event)` for SSE streams, and `close` when the gateway shuts down.
 */
export class JobService extends EventEmitter {
  readonly launchers = new Map<JobBackend, Launcher>()
  private readonly o: JobServiceOptions
  private readonly launching = new Map<string, Promise<void>>()
  private readonly locks = new KeyedLock()

  constructor (o: JobServiceOptions) {
    super()
    this.setMaxListeners(0)
    this.o = o
  }

  get jobs (): JobStore { return this.o.jobs }

  launcher (backend: JobBackend): Launcher {
    const l = this.launchers.get(backend)
    if (l === undefined) throw new InvalidJob(`backend ${backend} is not available on this gateway`)
    return l
  }

  async create (input: CreateJobInput): Promise<{ job: Job, created: boolean }> {
    const spec = input.spec
    const launcher = this.launcher(spec.backend ?? this.o.defaultBackend)
    const problems = launcher.validate(spec).filter(p => p.severity === 'error')
    if (problems.length > 0) {
      throw new InvalidJob(`invalid job (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.map(p => `${p.field}: ${p.message}`).join('; ')}`)
    }
    const now = Date.now()
    const external = launcher.externalName(spec, new Date(now))
    const { created, job } = await this.o.jobs.insert({
      id: newId(),
      projectId: input.projectId,
      runId: newId(),
      backend: launcher.backend,
      name: spec.name,
      spec: redactSpec(spec),
      sagemakerJobName: external,
      region: launcher.backend === 'sagemaker' ? (spec.region ?? null) : null,
      idempotencyKey: input.idempotencyKey,
      requestHash: input.requestHash,
      createdAt: now,
      ...(input.trial !== undefined && { trial: trialLink(input.trial) })
    }, { at: now, status: 'SUBMITTING', secondaryStatus: null, message: 'job recorded', source: input.trial !== undefined ? 'tuning' : 'api' })
    if (!created) {
      if (job.requestHash !== input.requestHash) {
        throw new IdempotencyConflict(`Idempotency-Key ${input.idempotencyKey ?? ''} was used for a different request (job ${job.id})`)
      }
      // A retry while the first request is still launching waits for it: both answer the same job.
      await this.launching.get(job.id)
      return { job: await this.get(job.id), created: false }
    }
    await this.o.claim?.(job.id)
    const token = newSecret('tgr')
    await this.createJobRun(job, spec, input.sinks, hashSecret(token), external ?? spec.name, input.trial)
    this.o.notifyRun(job.runId)
    const launch = launcher.launch({ job, spec, token, gatewayUrl: this.o.gatewayUrl() })
      .catch(async (err: unknown) => {
        this.o.log.error({ err, jobId: job.id }, 'launch failed')
        await this.apply(job.id, { status: 'FAILED', failureReason: `launch failed: ${(err as Error).message}`, endedAt: Date.now(), source: 'launch' })
      })
      .finally(() => this.launching.delete(job.id))
    this.launching.set(job.id, launch)
    await launch
    return { job: await this.get(job.id), created: true }
  }

  /**
   * Records a job a backend started by itself (a SageMaker tuning trial) with its own run, once:
   * whoever sees the trial first (the tuning tracker, the trial's container claiming its run) adopts
   * it, the others get the same job. Its run's token is minted when the container claims the run.
   */
  async adopt (input: AdoptJobInput): Promise<{ job: Job, created: boolean }> {
    const { created, job } = await this.o.jobs.insert({
      id: newId(),
      projectId: input.projectId,
      runId: newId(),
      backend: 'sagemaker',
      name: input.spec.name,
      spec: redactSpec(input.spec),
      sagemakerJobName: input.sagemakerJobName,
      region: input.region,
      idempotencyKey: null,
      requestHash: null,
      createdAt: input.createdAt,
      trial: trialLink(input.trial)
    }, { at: input.createdAt, status: 'PENDING', secondaryStatus: null, message: 'trial started by the tuning job', source: 'tuning' })
    if (!created) return { job, created }
    if (input.sagemakerJobArn !== null) await this.o.jobs.update(job.id, { sagemakerJobArn: input.sagemakerJobArn })
    await this.createJobRun(job, input.spec, input.sinks, hashSecret(newSecret('tgr')), input.sagemakerJobName, input.trial)
    this.o.notifyRun(job.runId)
    return { job: await this.get(job.id), created }
  }

  private async createJobRun (job: Job, spec: JobSpec, sinks: string[], tokenHash: string, jobName: string, trial?: CreateJobInput['trial']): Promise<void> {
    await this.o.store.createRun({
      id: job.runId,
      projectId: job.projectId,
      name: trial === undefined ? spec.name : job.name,
      experiment: spec.experiment ?? 'default',
      tags: { 'trackgate.job': job.id, 'trackgate.backend': job.backend, ...(trial !== undefined && { 'trackgate.tuning_job': trial.tuningJobId }) },
      params: { ...jobRunParams(spec), ...trial?.hyperparameters },
      tokenHash,
      sinks,
      jobName,
      parentRunId: trial?.parentRunId ?? null,
      group: trial?.group ?? null,
      createdAt: job.createdAt
    })
  }

  async get (id: string): Promise<Job> {
    const job = await this.o.jobs.get(id)
    if (job === undefined) throw new Error(`job ${id} missing`)
    return job
  }

  async stop (job: Job): Promise<Job> {
    await this.launching.get(job.id)
    const current = await this.get(job.id)
    if (isTerminalJob(current.status)) return current
    await this.apply(job.id, { stopRequested: true, source: 'api' })
    await this.launcher(current.backend).stop(await this.get(job.id))
    return await this.get(job.id)
  }

  /**
   * Applies a change, one at a time per job. A terminal job keeps its status (late polls or
   * events cannot revive it); reaching a terminal status finishes the run once.
   */
  async apply (jobId: string, update: JobUpdate): Promise<Job> {
    return await this.locks.run(jobId, async () => await this.applyNow(jobId, update))
  }

  private async applyNow (jobId: string, update: JobUpdate): Promise<Job> {
    const { source, message, ...patch } = update
    const before = await this.get(jobId)
    if (isTerminalJob(before.status)) {
      delete patch.status
      delete patch.secondaryStatus
      delete patch.failureReason
    }
    const { job, event } = await this.o.jobs.update(jobId, patch, { at: Date.now(), source, message: message ?? null })
    if (event !== null) this.announce(job, event)
    const runStatus = runStatusForJob(job.status)
    // A crash between recording the job and creating its run leaves no run to finish.
    if (runStatus !== undefined && !isTerminalJob(before.status) && await this.o.store.getRun(job.runId) !== undefined) {
      const { changed } = await this.o.store.finishRun(job.runId, runStatus, Date.now())
      if (changed) this.o.notifyRun(job.runId)
    }
    return job
  }

  private announce (job: Job, event: JobEvent): void {
    this.o.log.info({ jobId: job.id, runId: job.runId, status: job.status, secondaryStatus: job.secondaryStatus, source: event.source }, 'job status changed')
    this.emit(`job:${job.id}`, job, event)
    this.emit('job', job, event)
  }

  /** Re-attach every backend to its active jobs (gateway start). */
  async resume (): Promise<void> {
    for (const l of this.launchers.values()) {
      if (this.o.claim !== undefined && l.backend === 'sagemaker') continue // the lease adopter's
      try {
        await l.resume(await this.o.jobs.active(l.backend))
      } catch (err) {
        // A backend that cannot settle its jobs now must not keep the gateway from starting.
        this.o.log.error({ err, backend: l.backend }, 'resuming jobs failed')
      }
    }
  }

  async close (): Promise<void> {
    this.emit('close')
    await Promise.allSettled([...this.launching.values()])
    for (const l of this.launchers.values()) await l.close()
  }
}

const trialLink = (t: TrialLink): TrialLink => ({ tuningJobId: t.tuningJobId, index: t.index, hyperparameters: t.hyperparameters })
