import { Type, type Static } from '@sinclair/typebox'
import { JobSpecBody } from '../routes/schemas/jobs.js'
import type { JobSpec } from '../launch/job-spec.js'
import type { Range, Ranges, Scaling, Strategy } from './ranges.js'

/** Our names and SageMaker's both work ("log" or "Logarithmic"). */
const SCALING_NAMES: Record<string, Scaling> = {
  linear: 'linear', Linear: 'linear', log: 'log', Logarithmic: 'log', reverseLog: 'reverseLog', ReverseLogarithmic: 'reverseLog', auto: 'auto', Auto: 'auto'
}
const ScalingSchema = Type.Union(Object.keys(SCALING_NAMES).map(s => Type.Literal(s)), {
  description: 'How the search walks the range: linear, log (Logarithmic: min > 0), reverseLog (ReverseLogarithmic: 0 ≤ min, max < 1) or auto (SageMaker decides; locally: log for a continuous range spanning ≥ 10× with min > 0). Default auto.'
})

const RangeSchema = Type.Union([
  Type.Object({ type: Type.Literal('continuous'), min: Type.Number(), max: Type.Number(), scaling: Type.Optional(ScalingSchema) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('integer'), min: Type.Integer(), max: Type.Integer(), scaling: Type.Optional(ScalingSchema) }, { additionalProperties: false }),
  Type.Object({
    type: Type.Literal('categorical'),
    values: Type.Array(Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]), { minItems: 1, maxItems: 30 })
  }, { additionalProperties: false })
], { description: 'A hyperparameter range: continuous, integer or categorical' })

export const TuningSpecBody = Type.Object({
  name: Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9])*$',
    description: 'Base name. The SageMaker tuning job is `<name[:19]>-yymmdd-HHMM` (32 characters at most, UTC), as the SageMaker SDK builds it; trials are `<name>-001`, … locally.',
    examples: ['monai-hpo']
  }),
  backend: Type.Optional(Type.Union([Type.Literal('sagemaker'), Type.Literal('local')], { description: 'Where trials run; default: the gateway\'s TRACKGATE_DEFAULT_BACKEND.' })),
  job: JobSpecBody,
  ranges: Type.Record(Type.String({ minLength: 1, maxLength: 256 }), RangeSchema, {
    minProperties: 1,
    description: 'What the search varies, by hyperparameter name (≤ 30 of each type). `model` may be tuned as a categorical; `strategy` and `sagemaker_*` may not.',
    examples: [{ lr: { type: 'continuous', min: 1e-5, max: 1e-2, scaling: 'log' }, batch_size: { type: 'integer', min: 1, max: 8 }, model: { type: 'categorical', values: ['UNet', 'SegResNet'] } }]
  }),
  objective: Type.Object({
    metric: Type.String({ minLength: 1, maxLength: 255, description: 'One of the job\'s metric definitions (default ones: train:loss, train:lr, val:loss, val:dice, epoch). Locally it is read from the trial run\'s metric of the same name with ":" as "_" (val:dice → val_dice).' }),
    type: Type.Union([Type.Literal('Maximize'), Type.Literal('Minimize')])
  }, { additionalProperties: false }),
  strategy: Type.Optional(Type.Union([Type.Literal('Bayesian'), Type.Literal('Random'), Type.Literal('Grid'), Type.Literal('Hyperband')], {
    default: 'Bayesian', description: 'Bayesian (a Gaussian process locally), Random, Grid (integer and categorical ranges only) or Hyperband (SageMaker only).'
  })),
  maxJobs: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 10, description: 'Trials in all (Grid: at most the grid size, which is the default).' })),
  maxParallelJobs: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'Trials running at once.' })),
  earlyStopping: Type.Optional(Type.Union([Type.Literal('Off'), Type.Literal('Auto')], {
    default: 'Off', description: 'Auto: stop a trial whose objective so far is worse than the median of the finished trials at the same step (SageMaker\'s rule; locally the same median stopping rule).'
  })),
  maxRuntimeSeconds: Type.Optional(Type.Integer({ minimum: 120, maximum: 15768000, description: 'Limit for the whole search.' })),
  randomSeed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, description: 'Makes the search repeatable.' }))
}, { additionalProperties: false, $id: 'TuningSpec', title: 'TuningSpec' })

export type TuningSpecInput = Static<typeof TuningSpecBody>

/** A tuning request with its defaults filled in and scaling names normalised. */
export interface TuningSpec {
  name: string
  backend: 'sagemaker' | 'local'
  job: JobSpec
  ranges: Ranges
  objective: { metric: string, type: 'Maximize' | 'Minimize' }
  strategy: Strategy
  maxJobs: number
  maxParallelJobs: number
  earlyStopping: 'Off' | 'Auto'
  maxRuntimeSeconds?: number
  randomSeed?: number
}

export function normaliseTuningSpec (input: TuningSpecInput, defaultBackend: 'sagemaker' | 'local', gridSize: (r: Ranges) => number): TuningSpec {
  const ranges: Ranges = {}
  for (const [name, r] of Object.entries(input.ranges)) {
    ranges[name] = r.type === 'categorical'
      ? { type: 'categorical', values: r.values }
      : { type: r.type, min: r.min, max: r.max, ...(r.scaling !== undefined && { scaling: SCALING_NAMES[r.scaling] as Scaling }) } as Range
  }
  const strategy = input.strategy ?? 'Bayesian'
  const backend = input.backend ?? (input.job.backend as 'sagemaker' | 'local' | undefined) ?? defaultBackend
  return {
    name: input.name,
    backend,
    job: { ...input.job, backend } as unknown as JobSpec,
    ranges,
    objective: input.objective,
    strategy,
    maxJobs: input.maxJobs ?? (strategy === 'Grid' ? Math.min(500, gridSize(ranges)) : 10),
    maxParallelJobs: input.maxParallelJobs ?? 1,
    earlyStopping: input.earlyStopping ?? 'Off',
    ...(input.maxRuntimeSeconds !== undefined && { maxRuntimeSeconds: input.maxRuntimeSeconds }),
    ...(input.randomSeed !== undefined && { randomSeed: input.randomSeed })
  }
}

/** The run metric a trial's objective is read from locally: metric-definition names use ":" where run keys use "_". */
export const objectiveKey = (metric: string): string => metric.replace(/:/g, '_')
