import { Type, type TSchema } from '@sinclair/typebox'
import { TUNING_STATUSES } from '../../store/tuning-store.js'
import { JobStatusSchema } from './jobs.js'
import { ParamValueSchema, Uuid } from './common.js'

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])
const Time = Type.String({ format: 'date-time' })
const Values = Type.Record(Type.String(), ParamValueSchema, { description: 'The sampled hyperparameters, typed' })

export const TuningStatusSchema = Type.Union(TUNING_STATUSES.map(s => Type.Literal(s)), {
  description: 'SUBMITTING → RUNNING → (STOPPING) → COMPLETED | FAILED | STOPPED'
})

const CostSchema = Type.Object({
  currency: Type.Literal('USD'),
  cost: Nullable(Type.Number({ description: 'Estimated, all trials together' })),
  onDemandCost: Nullable(Type.Number()),
  savings: Nullable(Type.Number({ description: 'Managed spot savings, all trials together' })),
  savingsPercent: Nullable(Type.Number()),
  billableSeconds: Type.Integer({ description: 'Per instance, summed over trials' })
})

export const TrialSchema = Type.Object({
  index: Type.Integer({ description: '1-based' }),
  jobId: Uuid,
  runId: Uuid,
  trainingJobName: Nullable(Type.String()),
  hyperparameters: Values,
  objective: Nullable(Type.Number({ description: 'Final objective value; null while running or when the trial reported none' })),
  status: JobStatusSchema,
  cost: Nullable(Type.Number()),
  startedAt: Nullable(Time),
  endedAt: Nullable(Time)
}, { $id: 'Trial', title: 'Trial' })

const CountersSchema = Type.Object({
  completed: Type.Integer(),
  inProgress: Type.Integer(),
  retryableError: Type.Integer(),
  nonRetryableError: Type.Integer(),
  stopped: Type.Integer(),
  objectiveSucceeded: Type.Integer(),
  objectivePending: Type.Integer(),
  objectiveFailed: Type.Integer()
}, { description: 'SageMaker\'s TrainingJobStatusCounters and ObjectiveStatusCounters (local: counted the same way)' })

const TuningFields = {
  id: Uuid,
  name: Type.String(),
  backend: Type.Union([Type.Literal('sagemaker'), Type.Literal('local')]),
  status: TuningStatusSchema,
  failureReason: Nullable(Type.String()),
  runId: Uuid,
  group: Type.String({ description: 'The trials\' group in every sink (W&B group, TensorBoard directory)' }),
  strategy: Type.String(),
  objective: Type.Object({ metric: Type.String(), type: Type.Union([Type.Literal('Maximize'), Type.Literal('Minimize')]) }),
  maxJobs: Type.Integer(),
  maxParallelJobs: Type.Integer(),
  earlyStopping: Type.Union([Type.Literal('Off'), Type.Literal('Auto')]),
  sagemaker: Nullable(Type.Object({ tuningJobName: Type.String(), arn: Nullable(Type.String({ description: 'null until SageMaker accepted it' })) })),
  counters: CountersSchema,
  best: Nullable(Type.Object({ jobId: Uuid, runId: Uuid, trainingJobName: Nullable(Type.String()), hyperparameters: Values, objective: Nullable(Type.Number()) })),
  cost: CostSchema,
  stopRequested: Type.Boolean(),
  createdAt: Time,
  updatedAt: Time,
  endedAt: Nullable(Time)
}

export const TuningSummarySchema = Type.Object(TuningFields, { $id: 'TuningJobSummary', title: 'TuningJobSummary' })
export const TuningJobSchema = Type.Object({
  ...TuningFields,
  trials: Type.Array(Type.Ref('Trial')),
  spec: Type.Record(Type.String(), Type.Unknown(), { description: 'The request as accepted (defaults filled in; environment values are write-only)' })
}, { $id: 'TuningJob', title: 'TuningJob' })

export const ClaimBody = Type.Object({
  trainingJobName: Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9])*$', description: 'The container\'s TRAINING_JOB_NAME' })
}, { additionalProperties: false })

export const ClaimAnswer = Type.Object({
  runId: Uuid,
  token: Type.String({ description: 'The trial run\'s callback token (a new one on every claim; the previous one stops working)' })
})
