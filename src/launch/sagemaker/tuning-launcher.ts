import type { FastifyBaseLogger } from 'fastify'
import type { LaunchConfig } from '../../config/launch-config.js'
import type { ParamValue } from '../../domain/param-value.js'
import type { Job } from '../../store/job-store.js'
import type { TuningJob } from '../../store/tuning-store.js'
import type { Ranges } from '../../tuning/ranges.js'
import type { TuningSpec } from '../../tuning/tuning-spec.js'
import type { TuningBackend, TuningService } from '../../tuning/tuning-service.js'
import type { JobSpec } from '../job-spec.js'
import type { SageMakerLauncher } from './launcher.js'
import { requestModel, validateShape } from './api-model/index.js'
import type { SageMakerApi } from './client.js'
import { ResourceInUseError, type SageMakerApiError } from './errors.js'
import { shortNameFromBase } from './job-name.js'
import type { SageMakerTracker } from './tracker.js'
import { assembleCreateTuningJob, ENV_TUNING_JOB_ID, type TuningBuildContext } from './tuning-job-request.js'
import type { SageMakerTuningTracker } from './tuning-tracker.js'
import { modelMessage, type JobProblem } from './validate-job.js'

export interface SageMakerTuningOptions {
  api: SageMakerApi
  service: TuningService
  jobs: SageMakerLauncher
  tracker: SageMakerTracker
  tuningTracker: SageMakerTuningTracker
  config: Pick<LaunchConfig, 'sagemakerRoleArn' | 'region'>
  gatewayUrl: () => string
  log: FastifyBaseLogger
}

const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000'
const PLACEHOLDER_TOKEN = `tgt_${'x'.repeat(43)}`

/**
 * SageMaker Automatic Model Tuning: CreateHyperParameterTuningJob from the pure builder, then the
 * tuning tracker follows the search and adopts its trials as jobs (tracked like any training
 * job). A trial's container claims its run with the tuning token (see `claim`).
 */
export class SageMakerTuningBackend implements TuningBackend {
  readonly backend = 'sagemaker' as const
  private readonly o: SageMakerTuningOptions

  constructor (o: SageMakerTuningOptions) { this.o = o }

  private context (now: Date, tuningJobId: string, token: string, runId: string): TuningBuildContext {
    return {
      now,
      gatewayUrl: this.o.gatewayUrl(),
      tuningJobId,
      tuningToken: token,
      runId,
      region: this.o.config.region,
      ...(this.o.config.sagemakerRoleArn !== undefined && { defaultRoleArn: this.o.config.sagemakerRoleArn })
    }
  }

  validate (spec: TuningSpec): JobProblem[] {
    const problems = this.o.jobs.validate(spec.job).map(p => ({ ...p, field: `job.${p.field}` }))
    if (spec.strategy === 'Grid') {
      for (const [name, r] of Object.entries(spec.ranges)) {
        if (r.type === 'integer') problems.push({ field: `ranges.${name}`, message: 'SageMaker\'s grid search takes categorical ranges only: list the values ({"type": "categorical", "values": [...]})', severity: 'error' })
      }
    }
    if (problems.some(p => p.severity === 'error')) return problems
    const request = assembleCreateTuningJob(spec, this.context(new Date(), PLACEHOLDER_ID, PLACEHOLDER_TOKEN, PLACEHOLDER_ID))
    for (const issue of validateShape(requestModel, 'CreateHyperParameterTuningJobRequest', request)) {
      problems.push({ field: tuningField(issue.path), message: modelMessage(issue), severity: 'error' })
    }
    return problems
  }

  externalName (spec: TuningSpec, now: Date): string { return shortNameFromBase(spec.name, now) }

  async start (t: TuningJob, spec: TuningSpec, token: string): Promise<void> {
    const request = assembleCreateTuningJob(spec, this.context(new Date(t.createdAt), t.id, token, t.runId))
    let arn: string
    try {
      arn = (await this.o.api.createTuningJob(request)).tuningJobArn
    } catch (err) {
      if (!(err instanceof ResourceInUseError)) {
        const e = err as SageMakerApiError
        await this.o.service.finish(t.id, 'FAILED', `SageMaker refused the tuning job: ${e.code ?? 'Error'}: ${e.message}`)
        return
      }
      // A create retried after a lost answer: ours if its definition names this tuning job.
      const d = await this.o.api.describeTuningJob(t.sagemakerName ?? '')
      if (d.TrainingJobDefinition?.Environment?.[ENV_TUNING_JOB_ID] !== t.id) {
        await this.o.service.finish(t.id, 'FAILED', `a SageMaker tuning job named ${t.sagemakerName ?? ''} already exists and belongs to someone else`)
        return
      }
      arn = d.HyperParameterTuningJobArn ?? ''
    }
    const running = await this.o.service.update(t.id, { status: 'RUNNING', sagemakerArn: arn })
    this.o.log.info({ tuningJobId: t.id, tuningJobName: t.sagemakerName }, 'SageMaker tuning job created')
    this.o.tuningTracker.track(running)
  }

  async stop (t: TuningJob): Promise<void> {
    if (t.sagemakerArn === null) {
      await this.o.service.finish(t.id, 'STOPPED', 'stopped before SageMaker accepted it')
      return
    }
    try {
      await this.o.api.stopTuningJob(t.sagemakerName ?? '')
    } catch (err) {
      // Already ended: the next Describe tells how.
      this.o.log.warn({ tuningJobId: t.id, code: (err as SageMakerApiError).code }, 'StopHyperParameterTuningJob refused')
    }
    this.o.tuningTracker.pollSoon(t.id)
  }

  async resume (ts: TuningJob[]): Promise<void> {
    for (const t of ts) {
      if (t.sagemakerArn === null) await this.o.service.finish(t.id, 'FAILED', 'the gateway restarted before SageMaker accepted the tuning job; start it again')
      else this.o.tuningTracker.track(t, 0)
    }
  }

  async close (): Promise<void> {}
}

/** Where a request-model problem came from in the tuning request. */
function tuningField (path: Array<string | number>): string {
  const p = path.join('.')
  if (p.startsWith('HyperParameterTuningJobName')) return 'name'
  if (p.startsWith('HyperParameterTuningJobConfig.ParameterRanges')) return 'ranges'
  if (p.startsWith('HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs')) return 'maxJobs'
  if (p.startsWith('HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs')) return 'maxParallelJobs'
  if (p.startsWith('HyperParameterTuningJobConfig.HyperParameterTuningJobObjective')) return 'objective.metric'
  if (p.startsWith('TrainingJobDefinition.StaticHyperParameters')) return 'job.hyperparameters'
  if (p.startsWith('TrainingJobDefinition.Environment')) return 'job.environment'
  return p
}

/**
 * A trial's values as the run keeps them, from the strings SageMaker passes (continuous and
 * integer as decimal text, categoricals as the JSON-quoted text we sent): typed again.
 */
export function decodeTuned (ranges: Ranges, tuned: Record<string, string>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {}
  for (const [name, raw] of Object.entries(tuned)) {
    const r = ranges[name]
    if (r === undefined) continue
    if (r.type === 'categorical') {
      let v: unknown = raw
      try { v = JSON.parse(raw) } catch {}
      const match = r.values.find(x => x === v || String(x) === String(v))
      out[name] = match ?? raw
    } else {
      const n = Number(raw)
      out[name] = Number.isFinite(n) ? (r.type === 'integer' ? Math.round(n) : n) : raw
    }
  }
  return out
}

/** SageMaker names a tuning job's trials `<tuning job>-<index>-<8 hex>`. */
export function trialIndexOf (tuningJobName: string, trainingJobName: string): number | undefined {
  if (!trainingJobName.startsWith(`${tuningJobName}-`)) return undefined
  const m = /^(\d{3})-[0-9a-f]{8}$/.exec(trainingJobName.slice(tuningJobName.length + 1))
  return m === null ? undefined : Number(m[1])
}

/** The job spec a SageMaker trial ran: the search's job with the sampled values. */
export function sagemakerTrialSpec (spec: TuningSpec, name: string, values: Record<string, ParamValue>): JobSpec {
  const { model, ...rest } = values
  return {
    ...spec.job,
    name,
    backend: 'sagemaker',
    ...(typeof model === 'string' && { model: model as JobSpec['model'] }),
    hyperparameters: { ...spec.job.hyperparameters, ...rest }
  }
}

export type { Job }
