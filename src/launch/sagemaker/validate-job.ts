import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker'
import { JOB_SPEC_DEFAULTS, type JobSpec } from '../job-spec.js'
import { requestModel, shapeEnum, validateShape, type PathSegment, type ShapeIssue } from './api-model/index.js'
import { isGpuInstance, isTrainiumInstance, TORCH_DISTRIBUTED_GPU_VERSIONS } from './image-uri.js'
import { gpusPerInstance } from './instance-types.js'
import {
  assembleCreateTrainingJob, effectiveRegion, RESERVED_ENV_KEYS, TAG_EXPERIMENT, TAG_RUN_ID, trainingImage, type BuildContext
} from './training-job-request.js'

export interface JobProblem {
  /** The job-spec field, dotted (`hyperparameters.lr`, `spot.maxWaitSeconds`, `data.train`). */
  field: string
  message: string
  /** Errors block the launch; warnings are worth showing but SageMaker would accept the job. */
  severity: 'error' | 'warning'
}

/** SageMaker's documented MaxRuntimeInSeconds ceiling (28 days); the model itself has no max. */
export const MAX_RUNTIME_SECONDS = 28 * 24 * 3600
const RESERVED_HYPERPARAMETERS = ['model', 'strategy']

/**
 * Everything SageMaker (or the SDK before it) would reject, found before AWS sees the job:
 * gateway/service rules on the spec, then the API model's constraints on the request we would
 * send, reported against the spec field that produced each value.
 */
export function validateJob (spec: JobSpec, ctx: BuildContext): JobProblem[] {
  const problems: JobProblem[] = []
  const err = (field: string, message: string): void => { problems.push({ field, message, severity: 'error' }) }
  const warn = (field: string, message: string): void => { problems.push({ field, message, severity: 'warning' }) }
  const region = effectiveRegion(spec, ctx)
  const strategy = spec.strategy ?? JOB_SPEC_DEFAULTS.strategy
  const count = spec.instanceCount ?? JOB_SPEC_DEFAULTS.instanceCount
  const maxRuntime = spec.maxRuntimeSeconds ?? JOB_SPEC_DEFAULTS.maxRuntimeSeconds
  const type = spec.instanceType

  if (type === undefined) {
    err('instanceType', 'instanceType is required for the sagemaker backend')
  } else if (!shapeEnum('TrainingInstanceType').includes(type)) {
    err('instanceType', `${type} is not a SageMaker training instance type (TrainingInstanceType in the API model), e.g. ml.g5.2xlarge`)
  }

  if (spec.image === undefined && spec.framework === undefined) {
    err('image', 'give either image (our training image) or framework (AWS PyTorch image + source tarball)')
  } else if (spec.image === undefined && spec.framework !== undefined && type !== undefined) {
    const image = trainingImage(spec, region)
    if (image instanceof Error) err(image.message.includes('Python') ? 'framework.pythonVersion' : image.message.includes('region') ? 'region' : 'framework.version', image.message)
    if (isTrainiumInstance(type)) err('instanceType', `${type} is a Trainium instance; the AWS PyTorch GPU/CPU image cannot run there, give a Neuron image in image`)
    if (type.startsWith('ml.p2.')) err('instanceType', `${type}: the SageMaker SDK refuses ml.p2 instances for PyTorch ≥ 1.13 (deprecated)`)
    if (strategy !== 'single' && isGpuInstance(type) && !TORCH_DISTRIBUTED_GPU_VERSIONS.includes(spec.framework.version)) {
      err('framework.version', `Provided framework_version ${spec.framework.version} is not supported by torch_distributed for instance ${type}. Supported: ${TORCH_DISTRIBUTED_GPU_VERSIONS.join(', ')} (exact version, not an alias)`)
    }
  }

  if (strategy !== 'single' && type !== undefined) {
    if (!isGpuInstance(type)) {
      err('instanceType', `strategy ${strategy} needs a GPU instance (ml.g* or ml.p*); ${type} has none`)
    } else {
      const gpus = gpusPerInstance(type, true) * count
      if (gpus < 2) err('instanceCount', `strategy ${strategy} needs at least 2 GPUs in total; ${count} × ${type} has ${gpus}. Use a multi-GPU instance or instanceCount ≥ 2, or strategy single`)
    }
  }
  if (strategy === 'single' && count > 1) {
    err('instanceCount', `strategy single runs one training process; with instanceCount ${count} every instance would train the same model alone. Use ddp or fsdp`)
  }

  if (spec.spot !== undefined) {
    if (spec.keepAliveSeconds !== undefined && spec.keepAliveSeconds > 0) {
      err('keepAliveSeconds', 'SageMaker managed warm pools cannot be used with spot instances: drop keepAliveSeconds or spot')
    }
    if (spec.spot.maxWaitSeconds < maxRuntime) {
      err('spot.maxWaitSeconds', `MaxWaitTimeInSeconds (${spec.spot.maxWaitSeconds}) must be equal to or greater than MaxRuntimeInSeconds (${maxRuntime})`)
    }
    if (spec.checkpointS3Uri === undefined) {
      warn('checkpointS3Uri', 'spot training without checkpointS3Uri restarts from scratch after every spot interruption')
    }
  }
  if (maxRuntime > MAX_RUNTIME_SECONDS) err('maxRuntimeSeconds', `maxRuntimeSeconds ${maxRuntime} exceeds SageMaker's maximum of 28 days (${MAX_RUNTIME_SECONDS})`)

  if (spec.roleArn === undefined && ctx.defaultRoleArn === undefined) {
    err('roleArn', 'roleArn is required: the spec has none and the gateway has no default role configured')
  }
  for (const key of Object.keys(spec.hyperparameters ?? {})) {
    if (RESERVED_HYPERPARAMETERS.includes(key) || key.startsWith('sagemaker_')) {
      err(`hyperparameters.${key}`, `hyperparameter ${key} is reserved (set by the gateway from model/strategy or by SageMaker)`)
    }
  }
  for (const key of Object.keys(spec.environment ?? {})) {
    if (RESERVED_ENV_KEYS.includes(key)) err(`environment.${key}`, `environment variable ${key} is reserved: the gateway sets it for the run`)
  }
  for (const key of Object.keys(spec.tags ?? {})) {
    if (key.toLowerCase().startsWith('aws:')) err(`tags.${key}`, `tag key ${key}: the aws: prefix is reserved by AWS`)
    if (key === TAG_RUN_ID || key === TAG_EXPERIMENT) err(`tags.${key}`, `tag key ${key} is reserved: the gateway sets it`)
  }
  ;(spec.metricDefinitions ?? []).forEach((d, i) => {
    let groups = -1
    try { groups = new RegExp(`${d.regex}|`).exec('')?.length ?? 0 } catch { }
    if (groups < 0) err(`metricDefinitions.${i}.regex`, `metric ${d.name}: regex ${d.regex} does not compile`)
    else if (groups < 2) err(`metricDefinitions.${i}.regex`, `metric ${d.name}: regex needs a capture group for the value`)
  })

  const request = assembleCreateTrainingJob(spec, ctx)
  const reported = new Set(problems.filter(p => p.severity === 'error').map(p => p.field))
  for (const issue of validateShape(requestModel, 'CreateTrainingJobRequest', request)) {
    const field = specField(issue.path, request)
    if (reported.has(field)) continue
    reported.add(field)
    err(field, modelMessage(issue))
  }
  return problems
}

export class InvalidJobSpecError extends Error {
  readonly problems: JobProblem[]
  constructor (problems: JobProblem[]) {
    super(`invalid job spec: ${problems.map(p => `${p.field}: ${p.message}`).join('; ')}`)
    this.name = 'InvalidJobSpecError'
    this.problems = problems
  }
}

export function modelMessage (issue: ShapeIssue): string {
  const where = issue.path.map(s => typeof s === 'number' ? `[${s}]` : s).join('.').replaceAll('.[', '[')
  const shown = typeof issue.value === 'string' ? ` '${issue.value.length > 80 ? issue.value.slice(0, 80) + '…' : issue.value}'` : typeof issue.value === 'number' ? ` ${issue.value}` : ''
  const subject = issue.mapKey === true ? `key of ${where}` : `${where}${shown}`
  return `SageMaker ${subject}: ${issue.constraint.replace(/^Member /, issue.mapKey === true ? 'key ' : '')}`
}

const TOP_FIELDS: Record<string, string> = {
  TrainingJobName: 'name',
  RoleArn: 'roleArn',
  'OutputDataConfig.S3OutputPath': 'outputS3Uri',
  'CheckpointConfig.S3Uri': 'checkpointS3Uri',
  'TensorBoardOutputConfig.S3OutputPath': 'tensorboardS3Uri',
  'ResourceConfig.InstanceType': 'instanceType',
  'ResourceConfig.InstanceCount': 'instanceCount',
  'ResourceConfig.VolumeSizeInGB': 'volumeSizeGb',
  'ResourceConfig.KeepAlivePeriodInSeconds': 'keepAliveSeconds',
  'StoppingCondition.MaxRuntimeInSeconds': 'maxRuntimeSeconds',
  'StoppingCondition.MaxWaitTimeInSeconds': 'spot.maxWaitSeconds',
  'AlgorithmSpecification.TrainingImage': 'image'
}

/** Which spec field produced the request value at `path`. */
function specField (path: PathSegment[], request: CreateTrainingJobRequest): string {
  const [head, second, third] = path
  const direct = TOP_FIELDS[path.slice(0, 2).join('.')] ?? TOP_FIELDS[String(head)]
  if (direct !== undefined) return direct
  switch (head) {
    case 'HyperParameters': return second === 'model' || second === 'strategy' ? String(second) : `hyperparameters${second === undefined ? '' : `.${second}`}`
    case 'Environment': return `environment${second === undefined ? '' : `.${second}`}`
    case 'Tags': {
      const key = typeof second === 'number' ? request.Tags?.[second]?.Key : undefined
      if (key === TAG_RUN_ID) return 'runId'
      if (key === TAG_EXPERIMENT) return 'experiment'
      return key === undefined ? 'tags' : `tags.${key}`
    }
    case 'InputDataConfig': {
      const name = typeof second === 'number' ? request.InputDataConfig?.[second]?.ChannelName : undefined
      return name === undefined ? 'data' : `data.${name}`
    }
    case 'AlgorithmSpecification':
      return second === 'MetricDefinitions' ? `metricDefinitions${third === undefined ? '' : `.${third}`}` : 'image'
    default: return String(head)
  }
}
