import { Type, type Static } from '@sinclair/typebox'

/**
 * The body of `POST /v1/jobs`. The schema checks shapes and formats; SageMaker's own limits and
 * service rules (instance types, spot vs warm pool, distributed needs GPUs, …) are checked by
 * `validateJob` in `sagemaker/validate-job.ts`, which reads them from the API model and can
 * name the offending field with a clear message.
 */

/** `s3://bucket/key…`: SageMaker's S3Uri also allows https://, but our launcher only writes s3://. */
const S3Uri = (description: string) => Type.String({
  pattern: '^s3://[^/]+(/.*)?$', maxLength: 1024, description, examples: ['s3://my-bucket/prefix']
})

export const Strategy = Type.Union([Type.Literal('single'), Type.Literal('ddp'), Type.Literal('fsdp')], {
  default: 'single',
  description: 'single: one process per job; ddp: DistributedDataParallel via torchrun (SageMaker ' +
    '`torch_distributed`) on every GPU of every instance; fsdp: the same launcher, the trainer wraps the model in FSDP.'
})

export const ModelName = Type.Union([Type.Literal('SegResNet'), Type.Literal('SwinUNETR'), Type.Literal('UNet')], {
  description: 'MONAI network the trainer builds (`--model`).'
})

export const Framework = Type.Object({
  version: Type.String({ pattern: '^\\d+\\.\\d+(\\.\\d+)?$', description: 'PyTorch version of the AWS PyTorch training image, e.g. 2.5.1 (or the alias 2.5).', examples: ['2.5.1'] }),
  pythonVersion: Type.String({ pattern: '^py3\\d+$', description: 'Python of that image, e.g. py311 (2.3–2.5) or py312 (2.6–2.8).', examples: ['py311'] }),
  sourceS3Uri: S3Uri('The code tarball (`sourcedir.tar.gz`) the image downloads and runs; becomes `sagemaker_submit_directory`.'),
  entryPoint: Type.String({ pattern: '^[^/].*\\.py$', maxLength: 256, default: 'train.py', description: 'Script inside the tarball; becomes `sagemaker_program`. torchrun needs a .py file.' })
}, { additionalProperties: false, description: 'Run on the AWS PyTorch training image with our code tarball (instead of, or together with, `image`).' })

export const MetricDefinitionSpec = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  regex: Type.String({ minLength: 1, maxLength: 500, description: 'First capture group is the value.' })
}, { additionalProperties: false })

export const SinkName = Type.Union([Type.Literal('tensorboard'), Type.Literal('mlflow'), Type.Literal('wandb')])

export const JobSpecSchema = Type.Object({
  name: Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9])*$',
    description: 'Base name. The SageMaker job name is `<name[:39]>-YYYY-MM-DD-HH-MM-SS-mmm` (UTC), as the SageMaker SDK builds it. Letters, digits, hyphens.',
    examples: ['monai-seg']
  }),
  backend: Type.Optional(Type.Union([Type.Literal('sagemaker'), Type.Literal('local')], { default: 'sagemaker' })),
  model: ModelName,
  strategy: Type.Optional(Strategy),
  instanceType: Type.Optional(Type.String({ pattern: '^ml\\.[a-z0-9-]+\\.[a-z0-9]+$', description: 'SageMaker training instance type (required for sagemaker), e.g. ml.g5.12xlarge.', examples: ['ml.g5.12xlarge'] })),
  instanceCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, default: 1, description: 'Instances; ddp/fsdp run torchrun on each.' })),
  volumeSizeGb: Type.Optional(Type.Integer({ minimum: 1, maximum: 16384, default: 30, description: 'EBS volume per instance in GB (SDK default 30).' })),
  image: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Our own training image (registry/repository[:tag] or @digest). Wins over framework’s AWS image.' })),
  framework: Type.Optional(Framework),
  hyperparameters: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.Unknown(), {
    description: 'Passed to the trainer as `--key value`; each value is JSON-encoded the Python way (`1e-05`, `[96, 96, 96]`, strings keep their quotes). Keys `model`, `strategy` and `sagemaker_*` are reserved.'
  })),
  data: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9.\\-_]{1,64}$' }), S3Uri('channel prefix'), {
    description: 'Input channels, name → S3 prefix, mounted at /opt/ml/input/data/<name>. 1–20 channels.'
  })),
  outputS3Uri: S3Uri('Where SageMaker writes `<job>/output/model.tar.gz`.'),
  checkpointS3Uri: Type.Optional(S3Uri('Synced with /opt/ml/checkpoints; needed to resume after a spot interruption.')),
  tensorboardS3Uri: Type.Optional(S3Uri('Synced from /opt/ml/output/tensorboard.')),
  spot: Type.Optional(Type.Object({
    maxWaitSeconds: Type.Integer({ minimum: 1, description: 'Total time including waiting for spot capacity; ≥ maxRuntimeSeconds.' })
  }, { additionalProperties: false, description: 'Managed spot training; omit for on-demand.' })),
  maxRuntimeSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 2419200, default: 86400, description: 'Training time limit (SDK default 1 day, SageMaker max 28 days).' })),
  keepAliveSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 21600, description: 'Warm pool keep-alive; not with spot.' })),
  roleArn: Type.Optional(Type.String({ minLength: 20, maxLength: 2048, description: 'IAM role SageMaker assumes; the gateway’s configured default when omitted.' })),
  region: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$', description: 'AWS region; the gateway’s configured region when omitted.', examples: ['us-east-1'] })),
  metricDefinitions: Type.Optional(Type.Array(MetricDefinitionSpec, { maxItems: 40, description: 'SageMaker metric regexes; defaults match the trainer’s log lines (src/launch/metric-lines.ts).' })),
  environment: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', maxLength: 512 }), Type.String({ maxLength: 512 }), {
    description: 'Container environment. TRACKGATE_URL, TRACKGATE_RUN_ID and TRACKGATE_TOKEN are set by the gateway and reserved. The trainer runs under trackgate_run.py, which uploads the event files a SummaryWriter writes to TRACKGATE_TENSORBOARD_DIR (default /opt/ml/output/tensorboard, locally the job\'s output/tensorboard) or ./runs; set TRACKGATE_TAIL_TENSORBOARD=0 to turn that off.'
  })),
  tags: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 256 }), { description: 'AWS tags (≤ 50 with ours).' })),
  experiment: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  sinks: Type.Optional(Type.Array(SinkName, { uniqueItems: true }))
}, { additionalProperties: false, $id: 'JobSpec' })

export type JobSpec = Static<typeof JobSpecSchema>
export type StrategyName = Static<typeof Strategy>

/** Defaults applied by the builder when a spec did not pass through the route's schema. */
export const JOB_SPEC_DEFAULTS = {
  strategy: 'single',
  instanceCount: 1,
  volumeSizeGb: 30,
  maxRuntimeSeconds: 86400,
  entryPoint: 'train.py'
} as const
