import { Type, type TSchema } from '@sinclair/typebox'
import { JobSpecSchema } from '../../launch/job-spec.js'
import { JOB_STATUSES } from '../../store/job-store.js'
import { Uuid } from './common.js'

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])
const { outputS3Uri, data: _data, ...specRest } = JobSpecSchema.properties

/**
 * `POST /v1/jobs` body: the shared job spec, with two widenings for the local backend — no
 * `outputS3Uri` (the sagemaker backend still requires it, with a clear message) and channels that
 * may be local paths (the sagemaker backend still requires s3://).
 */
export const JobSpecBody = Type.Object({
  ...specRest,
  backend: Type.Optional(Type.Union([Type.Literal('sagemaker'), Type.Literal('local')], { description: 'Where the trainer runs; default: the gateway\'s TRACKGATE_DEFAULT_BACKEND (local).' })),
  outputS3Uri: Type.Optional(outputS3Uri),
  data: Type.Optional(Type.Record(
    Type.String({ pattern: '^[A-Za-z0-9.\\-_]{1,64}$' }),
    Type.String({ pattern: '^(s3://[^/]+(/.*)?|file:///.*|/.*)$', maxLength: 1024 }),
    { description: 'Input channels, name → s3:// prefix (sagemaker) or file:///path | /path (local); SM_CHANNEL_<NAME> in the trainer.' }
  ))
}, { additionalProperties: false, $id: 'JobSpec', title: 'JobSpec' })

export const JobStatusSchema = Type.Union(JOB_STATUSES.map(s => Type.Literal(s)), {
  description: 'SUBMITTING → PENDING → RUNNING → (STOPPING) → COMPLETED | FAILED | STOPPED | TIMED_OUT (stopped by MaxRuntime/MaxWait; its run is FAILED)'
})

const Time = Type.String({ format: 'date-time' })

export const JobSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  backend: Type.Union([Type.Literal('sagemaker'), Type.Literal('local')]),
  status: JobStatusSchema,
  secondaryStatus: Nullable(Type.String({ description: 'SageMaker SecondaryStatus (Starting, Downloading, Training, Interrupted, MaxRuntimeExceeded, …)' })),
  failureReason: Nullable(Type.String()),
  runId: Uuid,
  sagemaker: Nullable(Type.Object({
    trainingJobName: Type.String(),
    trainingJobArn: Nullable(Type.String({ description: 'null until SageMaker accepted the job' })),
    region: Nullable(Type.String())
  })),
  local: Nullable(Type.Object({
    pid: Nullable(Type.Integer()),
    exitCode: Nullable(Type.Integer()),
    logs: Type.String({ description: 'Path of the log endpoint' })
  })),
  billableSeconds: Nullable(Type.Integer({ description: 'Per instance, as SageMaker reports it' })),
  trainingSeconds: Nullable(Type.Integer()),
  cost: Nullable(Type.Object({
    currency: Type.Literal('USD'),
    pricePerInstanceHour: Nullable(Type.Number()),
    instanceCount: Type.Integer(),
    cost: Nullable(Type.Number({ description: 'Estimated: billable instance-seconds at the price table rate' })),
    onDemandCost: Nullable(Type.Number()),
    savings: Nullable(Type.Number()),
    savingsPercent: Nullable(Type.Number({ description: 'Managed spot savings, as the SageMaker SDK prints them' }))
  })),
  finalMetrics: Type.Array(Type.Object({ name: Type.String(), value: Type.Number() })),
  stopRequested: Type.Boolean(),
  spec: Type.Record(Type.String(), Type.Unknown(), { description: 'The job spec as accepted; environment values are write-only' }),
  createdAt: Time,
  updatedAt: Time,
  startedAt: Nullable(Time),
  endedAt: Nullable(Time)
}, { $id: 'Job', title: 'Job' })

export const JobEventSchema = Type.Object({
  id: Type.Integer(),
  at: Time,
  status: JobStatusSchema,
  secondaryStatus: Nullable(Type.String()),
  message: Nullable(Type.String()),
  source: Type.String({ description: 'api, launch, poll, event (EventBridge), process (local exit), recovery' })
})

export const CreateJobHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'A retried request with the same key returns the same job and never launches a second one' }))
})

export const ListJobsQuery = Type.Object({
  status: Type.Optional(JobStatusSchema),
  backend: Type.Optional(Type.Union([Type.Literal('sagemaker'), Type.Literal('local')])),
  runId: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 }))
}, { additionalProperties: false })

export const JobEventsQuery = Type.Object({
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'Send the run\'s metrics logged after this run-log position (0: all)' }))
}, { additionalProperties: false })

export const JobLogsQuery = Type.Object({
  follow: Type.Optional(Type.Boolean({ default: false, description: 'Keep streaming until the job ends' })),
  tail: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'Only the last N lines' }))
}, { additionalProperties: false })

export const SageMakerEventHeaders = Type.Object({
  'x-trackgate-eventbridge-secret': Type.Optional(Type.String({ description: 'TRACKGATE_EVENTS_SECRET (an EventBridge API destination header)' }))
})

export const SageMakerEventBody = Type.Object({
  source: Type.Optional(Type.String()),
  'detail-type': Type.Optional(Type.String()),
  detail: Type.Optional(Type.Object({}, { additionalProperties: true }))
}, { additionalProperties: true, description: 'An EventBridge "SageMaker Training Job State Change" event' })

export const SageMakerEventAnswer = Type.Object({
  outcome: Type.Union(['applied', 'duplicate', 'stale', 'unknown', 'ignored'].map(s => Type.Literal(s)), {
    description: 'applied; duplicate (same state seen); stale (older than what we have); unknown (not a job of this gateway); ignored (not a training job state change)'
  })
})
