import type { FastifyBaseLogger } from 'fastify'
import type { LaunchConfig } from '../../config/launch-config.js'
import type { Job } from '../../store/job-store.js'
import type { JobSpec } from '../job-spec.js'
import type { JobService, LaunchContext, Launcher } from '../launcher.js'
import { buildCreateTrainingJob, ENV_RUN_ID, type BuildContext } from './build-training-job.js'
import type { SageMakerApi } from './client.js'
import { JobNotFoundError, ResourceInUseError, ValidationError, type SageMakerApiError } from './errors.js'
import { fromDescribeTrainingJob } from './job-status.js'
import { nameFromBase } from './job-name.js'
import { updateFromView, type SageMakerTracker } from './tracker.js'
import { validateJob, type JobProblem } from './validate-job.js'

export interface SageMakerLauncherOptions {
  /** Client for create/stop/describe-on-create (SDK retries on). */
  api: SageMakerApi
  tracker: SageMakerTracker
  service: JobService
  config: Pick<LaunchConfig, 'sagemakerRoleArn' | 'region' | 'priceTable'>
  log: FastifyBaseLogger
  /** Re-submissions after a transient create failure: base delay and attempts. */
  retryBaseMs?: number
  retryAttempts?: number
}

/** Stand-ins with the real lengths, so validation sees the environment SageMaker will get. */
const PLACEHOLDER_RUN_ID = '00000000-0000-4000-8000-000000000000'
const PLACEHOLDER_TOKEN = `tgr_${'x'.repeat(43)}`

/**
 * CreateTrainingJob from the pure builder, then hands the job to the tracker. The job name is
 * fixed when the job is recorded, so a create retried after a timeout or a restart lands on
 * ResourceInUse, which is "already submitted" once the job's environment names our run.
 */
export class SageMakerLauncher implements Launcher {
  readonly backend = 'sagemaker' as const
  private readonly o: SageMakerLauncherOptions
  private readonly retries = new Map<string, NodeJS.Timeout>()

  constructor (o: SageMakerLauncherOptions) { this.o = o }

  private context (spec: JobSpec, now: Date, runId: string, token: string, gatewayUrl: string): BuildContext {
    return {
      now,
      gatewayUrl,
      runId,
      token,
      region: this.o.config.region,
      ...(this.o.config.sagemakerRoleArn !== undefined && { defaultRoleArn: this.o.config.sagemakerRoleArn })
    }
  }

  validate (spec: JobSpec): JobProblem[] {
    const problems: JobProblem[] = []
    if ((spec as { outputS3Uri?: string }).outputS3Uri === undefined) {
      problems.push({ field: 'outputS3Uri', message: 'outputS3Uri is required for the sagemaker backend (where SageMaker writes model.tar.gz)', severity: 'error' })
    }
    for (const [name, uri] of Object.entries(spec.data ?? {})) {
      if (!uri.startsWith('s3://')) problems.push({ field: `data.${name}`, message: `SageMaker reads channels from S3: ${uri} is not an s3:// URI`, severity: 'error' })
    }
    const reported = new Set(problems.map(p => p.field))
    const ctx = this.context(spec, new Date(), PLACEHOLDER_RUN_ID, PLACEHOLDER_TOKEN, 'https://trackgate.example.com')
    return [...problems, ...validateJob(spec, ctx).filter(p => !reported.has(p.field))]
  }

  externalName (spec: JobSpec, now: Date): string { return nameFromBase(spec.name, now) }

  async launch (ctx: LaunchContext, attempt = 0): Promise<void> {
    const { job, spec } = ctx
    const request = buildCreateTrainingJob(spec, this.context(spec, new Date(job.createdAt), job.runId, ctx.token, ctx.gatewayUrl))
    const name = request.TrainingJobName ?? ''
    let arn: string
    try {
      arn = (await this.o.api.createTrainingJob(request)).trainingJobArn
    } catch (err) {
      const e = err as SageMakerApiError
      if (err instanceof ResourceInUseError) {
        const mine = await this.ownedArn(name, job.runId)
        if (mine === undefined) {
          await this.fail(job, `a SageMaker training job named ${name} already exists and belongs to another run`)
          return
        }
        arn = mine
      } else if (e.retryable && attempt < (this.o.retryAttempts ?? 8)) {
        const delay = Math.min(60000, (this.o.retryBaseMs ?? 1000) * 2 ** attempt) * (0.5 + Math.random() / 2)
        this.o.log.warn({ jobId: job.id, code: e.code, attempt, delay }, 'CreateTrainingJob failed transiently; will resubmit under the same name')
        const t = setTimeout(() => {
          this.retries.delete(job.id)
          this.launch(ctx, attempt + 1).catch(async (err2: unknown) => { await this.fail(job, `launch failed: ${(err2 as Error).message}`) })
        }, delay)
        this.retries.set(job.id, t)
        return
      } else {
        await this.fail(job, `SageMaker refused the job: ${e.code ?? 'Error'}: ${e.message}`)
        return
      }
    }
    const updated = await this.o.service.apply(job.id, {
      status: 'PENDING', secondaryStatus: 'Starting', sagemakerJobArn: arn, source: 'launch', message: `CreateTrainingJob accepted ${name}`
    })
    this.o.log.info({ jobId: job.id, runId: job.runId, trainingJobName: name }, 'SageMaker training job created')
    this.o.tracker.track(updated)
  }

  /** The job's ARN if the SageMaker job of that name is ours (its environment names our run). */
  private async ownedArn (name: string, runId: string): Promise<string | undefined> {
    const d = await this.o.api.describeTrainingJob(name)
    // Only the run id is read from the Environment; the rest (the token) is never kept or logged.
    return d.Environment?.[ENV_RUN_ID] === runId ? d.TrainingJobArn : undefined
  }

  private async fail (job: Job, reason: string): Promise<void> {
    await this.o.service.apply(job.id, { status: 'FAILED', failureReason: reason, endedAt: Date.now(), source: 'launch' })
  }

  async stop (job: Job): Promise<void> {
    const pending = this.retries.get(job.id)
    if (job.status === 'SUBMITTING' && pending !== undefined) {
      clearTimeout(pending)
      this.retries.delete(job.id)
      await this.o.service.apply(job.id, { status: 'STOPPED', endedAt: Date.now(), source: 'api', message: 'stopped before SageMaker accepted it' })
      return
    }
    if (job.sagemakerJobName === null) return
    try {
      await this.o.api.stopTrainingJob(job.sagemakerJobName)
      await this.o.service.apply(job.id, { status: 'STOPPING', source: 'api', message: 'StopTrainingJob sent' })
    } catch (err) {
      // Already ended (ValidationException on a finished job): the next poll tells how.
      if (!(err instanceof ValidationError) && !(err instanceof JobNotFoundError)) throw err
    }
    this.o.tracker.track(job, 0)
    this.o.tracker.pollSoon(job.id)
  }

  async resume (jobs: Job[]): Promise<void> {
    for (const job of jobs) {
      if (job.status !== 'SUBMITTING') { this.o.tracker.track(job, 0); continue }
      // The token died with the old process: only a create that reached SageMaker can go on.
      try {
        const view = fromDescribeTrainingJob(await this.o.api.describeTrainingJob(job.sagemakerJobName ?? ''))
        await this.o.service.apply(job.id, updateFromView(view, job, this.o.config.priceTable, 'recovery'))
        this.o.tracker.track(await this.o.service.get(job.id), 0)
      } catch (err) {
        if (!(err instanceof JobNotFoundError)) { this.o.tracker.track(job, 0); continue }
        await this.fail(job, 'the gateway restarted before SageMaker accepted the job; launch it again')
      }
    }
  }

  async close (): Promise<void> {
    for (const t of this.retries.values()) clearTimeout(t)
    this.retries.clear()
  }
}
