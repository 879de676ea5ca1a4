import type { CreateTrainingJobRequest, TrainingInstanceType } from '@aws-sdk/client-sagemaker'
import { JOB_SPEC_DEFAULTS, type JobSpec } from '../job-spec.js'
import { DEFAULT_METRIC_DEFINITIONS } from '../metric-lines.js'
import { pytorchTrainingImageUri } from './image-uri.js'
import { nameFromBase } from './job-name.js'
import { pyJsonDumps } from '../../codecs/python/py-json.js'

/** What the builder needs besides the spec; `now` makes the job name deterministic in tests. */
export interface BuildContext {
  now: Date
  /** Base URL the container calls back, e.g. https://trackgate.example.com */
  gatewayUrl: string
  runId: string
  /** The run's callback token: goes into the container environment only. */
  token: string
  defaultRoleArn?: string
  /** The gateway's region; the spec's `region` wins. */
  region: string
}

export const ENV_GATEWAY_URL = 'TRACKGATE_URL'
export const ENV_RUN_ID = 'TRACKGATE_RUN_ID'
export const ENV_TOKEN = 'TRACKGATE_TOKEN'
export const RESERVED_ENV_KEYS: readonly string[] = [ENV_GATEWAY_URL, ENV_RUN_ID, ENV_TOKEN]
/** Tags we add so an EventBridge event (which carries tags) leads back to our run. */
export const TAG_RUN_ID = 'trackgate:run-id'
export const TAG_EXPERIMENT = 'trackgate:experiment'

/** Regions where SDK v2 leaves out profiler and debugger configs (fw_utils.py). */
const PROFILER_UNSUPPORTED_REGIONS = new Set([
  'us-iso-east-1', 'us-isob-east-1', 'ap-southeast-3', 'ap-southeast-4', 'eu-south-2', 'me-central-1', 'ap-south-2', 'eu-central-2', 'us-gov-east-1'
])

/** `logging.INFO`, the SDK's default `container_log_level`. */
const CONTAINER_LOG_LEVEL = 20

export function effectiveRegion (spec: JobSpec, ctx: BuildContext): string {
  return spec.region ?? ctx.region
}

/** The image the job runs: our own `image` wins, as `image_uri` does in the SDK. */
export function trainingImage (spec: JobSpec, region: string): string | Error {
  if (spec.image !== undefined) return spec.image
  if (spec.framework === undefined) return new Error('either image or framework is required')
  return pytorchTrainingImageUri({
    region,
    version: spec.framework.version,
    pythonVersion: spec.framework.pythonVersion,
    instanceType: spec.instanceType ?? ''
  })
}

/**
 * The CreateTrainingJob request SDK v2 sends for
 * `PyTorch(entry_point, source_dir=<tarball>, framework_version, py_version | image_uri,
 *   distribution={"torch_distributed": {"enabled": True}} for ddp/fsdp, enable_sagemaker_metrics=True,
 *   debugger_hook_config=False, disable_profiler=True, …).fit(data)`.
 * Never throws: fields it cannot fill come out empty, and `validateJob` reports them.
 */
export function assembleCreateTrainingJob (spec: JobSpec, ctx: BuildContext): CreateTrainingJobRequest {
  const region = effectiveRegion(spec, ctx)
  const jobName = nameFromBase(spec.name, ctx.now)
  const strategy = spec.strategy ?? JOB_SPEC_DEFAULTS.strategy
  const instanceType = spec.instanceType ?? ''
  const image = trainingImage(spec, region)

  const hyperParameters: Record<string, string> = {}
  for (const [k, v] of Object.entries(spec.hyperparameters ?? {})) hyperParameters[k] = pyJsonDumps(v)
  // The trainer's own flags; the toolkit passes hyperparameters as `--model … --strategy …`.
  hyperParameters['model'] = pyJsonDumps(spec.model)
  hyperParameters['strategy'] = pyJsonDumps(strategy)
  if (spec.framework !== undefined) {
    hyperParameters['sagemaker_program'] = pyJsonDumps(spec.framework.entryPoint ?? JOB_SPEC_DEFAULTS.entryPoint)
    hyperParameters['sagemaker_submit_directory'] = pyJsonDumps(spec.framework.sourceS3Uri)
  }
  // Without a tarball our image carries its code and sets SAGEMAKER_PROGRAM itself.
  hyperParameters['sagemaker_container_log_level'] = pyJsonDumps(CONTAINER_LOG_LEVEL)
  hyperParameters['sagemaker_job_name'] = pyJsonDumps(jobName)
  hyperParameters['sagemaker_region'] = pyJsonDumps(region)
  if (strategy !== 'single') {
    // FSDP has no SageMaker key of its own: torchrun launches it like DDP (reference §1.3).
    hyperParameters['sagemaker_torch_distributed_enabled'] = pyJsonDumps(true)
    hyperParameters['sagemaker_instance_type'] = pyJsonDumps(instanceType)
  }

  const request: CreateTrainingJobRequest = {
    TrainingJobName: jobName,
    AlgorithmSpecification: {
      TrainingImage: image instanceof Error ? '' : image,
      TrainingInputMode: 'File',
      MetricDefinitions: (spec.metricDefinitions ?? DEFAULT_METRIC_DEFINITIONS).map(d => ({ Name: d.name, Regex: d.regex })),
      EnableSageMakerMetricsTimeSeries: true
    },
    RoleArn: spec.roleArn ?? ctx.defaultRoleArn ?? '',
    OutputDataConfig: { S3OutputPath: spec.outputS3Uri },
    ResourceConfig: {
      VolumeSizeInGB: spec.volumeSizeGb ?? JOB_SPEC_DEFAULTS.volumeSizeGb,
      InstanceCount: spec.instanceCount ?? JOB_SPEC_DEFAULTS.instanceCount,
      InstanceType: instanceType as TrainingInstanceType,
      ...(spec.keepAliveSeconds !== undefined && { KeepAlivePeriodInSeconds: spec.keepAliveSeconds })
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: spec.maxRuntimeSeconds ?? JOB_SPEC_DEFAULTS.maxRuntimeSeconds,
      ...(spec.spot !== undefined && { MaxWaitTimeInSeconds: spec.spot.maxWaitSeconds })
    },
    HyperParameters: hyperParameters,
    Environment: {
      ...spec.environment,
      [ENV_GATEWAY_URL]: ctx.gatewayUrl,
      [ENV_RUN_ID]: ctx.runId,
      [ENV_TOKEN]: ctx.token
    },
    Tags: tags(spec, ctx)
  }
  const channels = Object.entries(spec.data ?? {})
  if (channels.length > 0) {
    request.InputDataConfig = channels.map(([name, uri]) => ({
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' } },
      ChannelName: name
    }))
  }
  if (spec.spot !== undefined) request.EnableManagedSpotTraining = true
  if (spec.checkpointS3Uri !== undefined) request.CheckpointConfig = { S3Uri: spec.checkpointS3Uri }
  if (spec.tensorboardS3Uri !== undefined) request.TensorBoardOutputConfig = { S3OutputPath: spec.tensorboardS3Uri }
  if (!PROFILER_UNSUPPORTED_REGIONS.has(region)) request.ProfilerConfig = { DisableProfiler: true }
  return request
}

function tags (spec: JobSpec, ctx: BuildContext): Array<{ Key: string, Value: string }> {
  const out = Object.entries(spec.tags ?? {}).map(([k, v]) => ({ Key: String(k), Value: String(v) }))
  out.push({ Key: TAG_RUN_ID, Value: ctx.runId })
  if (spec.experiment !== undefined) out.push({ Key: TAG_EXPERIMENT, Value: spec.experiment })
  return out
}
