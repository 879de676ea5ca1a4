import { Type, type Static } from '@sinclair/typebox'
import { ParamMap, ParamValueSchema, StringMap, Uuid, WireValue } from './common.js'

export const RunStatusSchema = Type.Union(['RUNNING', 'FINISHED', 'FAILED', 'KILLED'].map(s => Type.Literal(s)))
export const TerminalStatusSchema = Type.Union(['FINISHED', 'FAILED', 'KILLED'].map(s => Type.Literal(s)))
/** Text the store keeps as text: no NUL characters (PostgreSQL refuses them). */
const NO_NUL = '^[^\\u0000]*$'

export const SinkName = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$', description: 'A configured sink: tensorboard, mlflow, wandb' })

export const RunSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  experiment: Type.String(),
  status: RunStatusSchema,
  tags: Type.Record(Type.String(), Type.String()),
  jobName: Type.Union([Type.String(), Type.Null()]),
  parentRunId: Type.Union([Uuid, Type.Null()], { description: 'The run this one belongs to: a tuning trial\'s search run' }),
  group: Type.Union([Type.String(), Type.Null()], { description: 'Sibling runs share a group (a tuning job\'s name)' }),
  headSeq: Type.Integer({ description: 'Number of entries in the run log' }),
  createdAt: Type.String({ format: 'date-time' }),
  endedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
}, { $id: 'Run', title: 'Run' })

export const CreateRunBodySchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 250, pattern: NO_NUL })),
  experiment: Type.Optional(Type.String({ minLength: 1, maxLength: 250, pattern: NO_NUL })),
  tags: Type.Optional(StringMap(100, 'Run tags (mutable)')),
  params: Type.Optional(ParamMap(100, 'Run params, typed (immutable once set)')),
  sinks: Type.Optional(Type.Array(SinkName, { maxItems: 8, uniqueItems: true, description: 'Sinks to fan out to; default: the gateway\'s TRACKGATE_DEFAULT_SINKS' }))
}, { additionalProperties: false })
export type CreateRunBody = Static<typeof CreateRunBodySchema>

export const RunDetailSchema = Type.Intersect([Type.Ref('Run'), Type.Object({
  params: Type.Record(Type.String(), ParamValueSchema, { description: 'Typed, as logged (immutable)' })
})])

export const CreatedRunSchema = Type.Intersect([Type.Ref('Run'), Type.Object({
  params: Type.Record(Type.String(), ParamValueSchema),
  token: Type.String({ description: 'Callback token for this run; shown only here' }),
  sinks: Type.Array(Type.String())
})])

export const FinishBody = Type.Object({ status: TerminalStatusSchema }, { additionalProperties: false })

export const ListRunsQuery = Type.Object({
  status: Type.Optional(RunStatusSchema),
  experiment: Type.Optional(Type.String({ maxLength: 250 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 }))
}, { additionalProperties: false })

export const MetricIn = Type.Object({
  key: Type.String({ maxLength: 1000 }),
  value: WireValue,
  step: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  timestamp: Type.Optional(Type.Number({ minimum: 0, description: 'ms since the epoch; default: time of receipt' }))
}, { additionalProperties: false })

export const LogBodySchema = Type.Object({
  batchId: Type.String({ minLength: 1, maxLength: 128, pattern: NO_NUL, description: 'Client-chosen id; a retried batch with the same id is stored once' }),
  metrics: Type.Optional(Type.Array(MetricIn)),
  params: Type.Optional(Type.Record(Type.String(), ParamValueSchema, { description: 'Typed params (immutable once set; the same value again is fine)' })),
  tags: Type.Optional(Type.Record(Type.String(), Type.String()))
}, { additionalProperties: false })
export type LogBody = Static<typeof LogBodySchema>

export const LogAccepted = Type.Object({
  accepted: Type.Integer({ description: 'Records stored for this batch id' }),
  duplicate: Type.Boolean({ description: 'True when this batch id was already stored (nothing new was written)' }),
  seq: Type.Integer({ description: 'Run-log entry holding the batch' })
})
