import type { FastifyBaseLogger } from 'fastify'
import type { JobSpec } from '../launch/job-spec.js'
import type { JobProblem } from '../launch/sagemaker/validate-job.js'
import { isTerminalJob, type Job } from '../store/job-store.js'
import type { TuningJob } from '../store/tuning-store.js'
import type { ParamValue } from '../domain/param-value.js'
import type { CurvePoint } from './early-stopping.js'
import { stoppingDecision } from './early-stopping.js'
import type { Assignment } from './ranges.js'
import { suggest, type Observation } from './strategy.js'
import { objectiveKey, type TuningSpec } from './tuning-spec.js'
import type { TuningBackend, TuningService } from './tuning-service.js'

/** How long a completed trial without an objective may hold the end of its search. */
const OBJECTIVE_GRACE_MS = 15_000

export interface LocalSearchOptions {
  service: TuningService
  /** A run's metric history (the objective curve of a running trial, for early stopping). */
  curve: (runId: string, key: string) => Promise<CurvePoint[]>
  log: FastifyBaseLogger
  /** How often running searches look at their trials (early stopping, runtime limit). */
  intervalMs?: number
}

/**
 * The search the gateway runs itself (no AWS): `maxParallelJobs` trials at a time through the
 * local launcher, each proposed by the strategy from every finished trial's objective (read from
 * the trial run's metrics), early stopping by the median rule. Every step is derived from the
 * trial rows, so a restarted gateway goes on where it was: the strategies are deterministic for
 * a seed and a history, and a trial index is recorded once.
 */
export class LocalTuningBackend implements TuningBackend {
  readonly backend = 'local' as const
  private readonly o: LocalSearchOptions
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly ticks = new Map<string, Promise<void>>()
  private readonly again = new Set<string>()
  /** Environment values of searches started by this process (never stored: they may be secrets). */
  private readonly environments = new Map<string, Record<string, string>>()
  private closed = false

  constructor (o: LocalSearchOptions) { this.o = o }

  validate (spec: TuningSpec): JobProblem[] {
    return this.o.service.o.jobService.launcher('local').validate(trialSpec(spec, 0, {})).map(p => ({ ...p, field: `job.${p.field}` }))
  }

  externalName (): null { return null }

  async start (t: TuningJob, spec: TuningSpec): Promise<void> {
    if (spec.job.environment !== undefined) this.environments.set(t.id, spec.job.environment)
    await this.o.service.update(t.id, { status: 'RUNNING' })
    this.watch(t.id)
    this.kick(t.id)
  }

  async stop (t: TuningJob): Promise<void> { this.kick(t.id) }

  trialEnded (t: TuningJob): void { this.kick(t.id) }

  async resume (ts: TuningJob[]): Promise<void> {
    for (const t of ts) {
      const env = (this.o.service.specOf(t).job.environment ?? {})
      if (Object.keys(env).length > 0) this.o.log.warn({ tuningJobId: t.id }, 'resuming a local search: its environment values were not kept across the restart, later trials run without them')
      if (t.status === 'SUBMITTING') await this.o.service.update(t.id, { status: 'RUNNING' })
      this.watch(t.id)
      this.kick(t.id)
    }
  }

  async close (): Promise<void> {
    this.closed = true
    for (const timer of this.timers.values()) clearInterval(timer)
    this.timers.clear()
    await Promise.allSettled([...this.ticks.values()])
  }

  private watch (id: string): void {
    if (this.timers.has(id)) return
    const timer = setInterval(() => this.kick(id), this.o.intervalMs ?? 1000)
    timer.unref()
    this.timers.set(id, timer)
  }

  /** One step at a time per search; a kick during a step runs one more step after it. */
  private kick (id: string): void {
    if (this.closed) return
    if (this.ticks.has(id)) { this.again.add(id); return }
    const run = this.step(id)
      .catch(err => this.o.log.error({ err, tuningJobId: id }, 'local search step failed'))
      .finally(() => {
        this.ticks.delete(id)
        if (this.again.delete(id)) this.kick(id)
      })
    this.ticks.set(id, run)
  }

  private async step (id: string): Promise<void> {
    const service = this.o.service
    const t = await service.get(id)
    if (t.status === 'COMPLETED' || t.status === 'FAILED' || t.status === 'STOPPED') { this.forget(id); return }
    const spec = service.specOf(t)
    const trials = await service.o.jobs.trials(id)
    // A trial that just ended may not have its objective recorded yet: read it now, the same way.
    for (const j of trials) if (isTerminalJob(j.status) && j.objective === null) j.objective = await service.recordObjective(j, spec)
    const running = trials.filter(j => !isTerminalJob(j.status))
    const overTime = spec.maxRuntimeSeconds !== undefined && Date.now() - t.createdAt > spec.maxRuntimeSeconds * 1000
    if (t.stopRequested || overTime) {
      for (const j of running) if (!j.stopRequested) await service.o.jobService.stop(j)
      if (running.length === 0) this.environments.delete(id)
      if (running.length === 0) await service.finish(id, 'STOPPED', overTime && !t.stopRequested ? `the search ran past maxRuntimeSeconds (${spec.maxRuntimeSeconds ?? 0} s)` : null)
      return
    }
    if (spec.earlyStopping === 'Auto') await this.earlyStop(t, spec, trials, running)

    let suggestions: Assignment[] = []
    const free = Math.min(spec.maxParallelJobs - running.length, spec.maxJobs - trials.length)
    if (free > 0) {
      const observations: Observation[] = trials.filter(j => isTerminalJob(j.status)).map(j => ({ assignment: assignmentOf(j), objective: j.objective }))
      suggestions = suggest(spec.strategy === 'Grid' ? 'Grid' : spec.strategy === 'Random' ? 'Random' : 'Bayesian', {
        ranges: spec.ranges,
        direction: spec.objective.type,
        observations,
        pending: running.map(assignmentOf),
        count: free,
        seed: spec.randomSeed ?? seedOf(t.id),
        trialIndex: trials.length
      })
      for (const [i, a] of suggestions.entries()) await this.launchTrial(t, spec, trials.length + i + 1, a)
    }
    const launched = trials.length + suggestions.length
    const exhausted = launched >= spec.maxJobs || (free > 0 && suggestions.length < free)
    // A trainer's last metrics may still be on their way (its client flushes at exit, or replays a
    // spool): a trial without its objective holds the end of the search for a while.
    const awaiting = trials.some(j => j.objective === null && j.status === 'COMPLETED' && Date.now() - (j.endedAt ?? 0) < OBJECTIVE_GRACE_MS)
    if (running.length === 0 && suggestions.length === 0 && exhausted && !awaiting) {
      this.environments.delete(id)
      const failedAll = trials.length > 0 && trials.every(j => j.status === 'FAILED')
      await service.finish(id, failedAll ? 'FAILED' : 'COMPLETED', failedAll ? 'every trial failed' : null)
    }
  }

  private async launchTrial (t: TuningJob, spec: TuningSpec, index: number, a: Assignment): Promise<void> {
    const service = this.o.service
    const job = trialSpec(spec, index, a)
    const env = this.environments.get(t.id)
    if (env !== undefined) job.environment = env
    else delete job.environment
    const { job: trial, created } = await service.o.jobService.create({
      projectId: t.projectId,
      spec: job,
      sinks: (spec.job as { sinks?: string[] }).sinks ?? [],
      idempotencyKey: null,
      requestHash: null,
      trial: { tuningJobId: t.id, index, hyperparameters: a as Record<string, ParamValue>, parentRunId: t.runId, group: service.groupOf(t) }
    })
    if (created) service.trialStarted(t, trial)
  }

  /** The median stopping rule over the objective's curve; a stopped trial ends STOPPED and keeps its objective. */
  private async earlyStop (t: TuningJob, spec: TuningSpec, trials: Job[], running: Job[]): Promise<void> {
    const done = trials.filter(j => j.status === 'COMPLETED')
    if (done.length < 3 || running.length === 0) return
    const key = objectiveKey(spec.objective.metric)
    const others = await Promise.all(done.map(async j => await this.o.curve(j.runId, key)))
    for (const j of running) {
      if (j.stopRequested) continue
      const decision = stoppingDecision({ direction: spec.objective.type, curve: await this.o.curve(j.runId, key), others })
      if (!decision.stop) continue
      this.o.log.info({ tuningJobId: t.id, jobId: j.id, reason: decision.reason }, 'trial stopped early')
      await this.o.service.o.jobService.stop(j)
    }
  }

  private forget (id: string): void {
    const timer = this.timers.get(id)
    if (timer !== undefined) clearInterval(timer)
    this.timers.delete(id)
  }
}

/** A trial's job: the search's job with the sampled values (a tuned `model` is the job's model). */
export function trialSpec (spec: TuningSpec, index: number, a: Assignment): JobSpec {
  const { model, ...rest } = a
  return {
    ...spec.job,
    name: `${spec.name}-${String(index).padStart(3, '0')}`,
    backend: 'local',
    ...(typeof model === 'string' && { model: model as JobSpec['model'] }),
    hyperparameters: { ...spec.job.hyperparameters, ...rest }
  }
}

const assignmentOf = (j: Job): Assignment => (j.hyperparameters ?? {}) as Assignment

/** A stable seed per search when none was given, so a restart proposes the same trials. */
function seedOf (id: string): number {
  let h = 2166136261
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619)
  return h >>> 0
}
