import type { CreateHyperParameterTuningJobRequest, HyperParameterTrainingJobDefinition, ParameterRanges } from '@aws-sdk/client-sagemaker'
import { pyJsonDumps, pyNumber } from '../../codecs/python/py-json.js'
import { toSageMakerScaling } from '../../tuning/ranges.js'
import type { TuningSpec } from '../../tuning/tuning-spec.js'
import { shortNameFromBase } from './job-name.js'
import { assembleCreateTrainingJob, ENV_GATEWAY_URL, type BuildContext } from './training-job-request.js'

/** The container exchanges this token, with its TRAINING_JOB_NAME, for its trial's run and token. */
export const ENV_TUNING_JOB_ID = 'TRACKGATE_TUNING_JOB_ID'
export const ENV_TUNING_TOKEN = 'TRACKGATE_TUNING_TOKEN'

/** Static hyperparameters the tuner adds for a Framework estimator (tuner.py `_prepare_static_hyperparameters`). */
const ESTIMATOR_CLASS = 'sagemaker_estimator_class_name'
const ESTIMATOR_MODULE = 'sagemaker_estimator_module'

export interface TuningBuildContext extends Omit<BuildContext, 'runId' | 'token'> {
  /** The gateway's tuning job id and the tuning-scoped token (container environment only). */
  tuningJobId: string
  tuningToken: string
  /** The search's own run (tagged on the tuning job, as a training job carries its run). */
  runId: string
}

/**
 * The CreateHyperParameterTuningJob request SageMaker Python SDK v2 sends for
 * `HyperparameterTuner(estimator, objective_metric_name, hyperparameter_ranges, metric_definitions,
 * strategy, objective_type, max_jobs, max_parallel_jobs, early_stopping_type, base_tuning_job_name).fit(data)`
 * over the same PyTorch estimator `assembleCreateTrainingJob` describes (reference §2.5):
 * - name `name_from_base(base, max_length=32, short=True)`;
 * - the estimator's JSON-encoded hyperparameters become StaticHyperParameters, minus the tuned
 *   ones, plus `sagemaker_estimator_class_name` / `sagemaker_estimator_module`;
 * - ranges: Continuous, Categorical, Integer lists (always all three), min/max as `str()`,
 *   categorical values JSON-quoted the Python way (`"UNet"` → `"\"UNet\""`);
 * - `HyperParameterTuningResourceConfig` instead of `ResourceConfig`, no keep-alive, no
 *   Debugger/Profiler/TensorBoard configs (the definition shape has none), spot flag and
 *   MaxWaitTimeInSeconds copied (the SDK bug #1011 left them out; we do not).
 * The training job's per-run environment (run id, token) is replaced by the tuning job's, since
 * every trial shares this one definition.
 */
export function assembleCreateTuningJob (t: TuningSpec, ctx: TuningBuildContext): CreateHyperParameterTuningJobRequest {
  const name = shortNameFromBase(t.name, ctx.now)
  // The training request the estimator would send: the tuner prepares the estimator first
  // (`_prepare_estimator_for_tuning` → `_prepare_for_training`), so sagemaker_job_name is the
  // estimator's own `name_from_base(base_job_name)`, not the tuning job's name.
  const training = assembleCreateTrainingJob(t.job, { ...ctx, token: '' })
  const tuned = new Set(Object.keys(t.ranges))
  const statics: Record<string, string> = {}
  for (const [k, v] of Object.entries(training.HyperParameters ?? {})) if (!tuned.has(k)) statics[k] = v
  statics[ESTIMATOR_CLASS] = pyJsonDumps('PyTorch')
  statics[ESTIMATOR_MODULE] = pyJsonDumps('sagemaker.pytorch.estimator')

  const ranges: ParameterRanges = { ContinuousParameterRanges: [], CategoricalParameterRanges: [], IntegerParameterRanges: [] }
  for (const [rangeName, r] of Object.entries(t.ranges)) {
    if (r.type === 'categorical') {
      ranges.CategoricalParameterRanges?.push({ Name: rangeName, Values: r.values.map(v => pyJsonDumps(v)) })
    } else {
      const range = { Name: rangeName, MinValue: pyNumber(r.min), MaxValue: pyNumber(r.max), ScalingType: toSageMakerScaling(r.scaling) }
      if (r.type === 'continuous') ranges.ContinuousParameterRanges?.push(range)
      else ranges.IntegerParameterRanges?.push(range)
    }
  }

  const { [ENV_GATEWAY_URL]: _url, ...userEnv } = Object.fromEntries(
    Object.entries(training.Environment ?? {}).filter(([k]) => !k.startsWith('TRACKGATE_')))
  const spec = training.AlgorithmSpecification
  const resource = training.ResourceConfig
  const definition: HyperParameterTrainingJobDefinition = {
    StaticHyperParameters: statics,
    RoleArn: training.RoleArn ?? '',
    OutputDataConfig: training.OutputDataConfig ?? { S3OutputPath: '' },
    StoppingCondition: training.StoppingCondition ?? {},
    AlgorithmSpecification: {
      TrainingInputMode: spec?.TrainingInputMode ?? 'File',
      ...(spec?.MetricDefinitions !== undefined && { MetricDefinitions: spec.MetricDefinitions }),
      TrainingImage: spec?.TrainingImage ?? ''
    },
    ...(training.InputDataConfig !== undefined && { InputDataConfig: training.InputDataConfig }),
    Environment: { ...userEnv, [ENV_GATEWAY_URL]: ctx.gatewayUrl, [ENV_TUNING_JOB_ID]: ctx.tuningJobId, [ENV_TUNING_TOKEN]: ctx.tuningToken },
    HyperParameterTuningResourceConfig: {
      InstanceType: resource?.InstanceType,
      InstanceCount: resource?.InstanceCount,
      VolumeSizeInGB: resource?.VolumeSizeInGB
    },
    ...(training.EnableManagedSpotTraining === true && { EnableManagedSpotTraining: true }),
    ...(training.CheckpointConfig !== undefined && { CheckpointConfig: training.CheckpointConfig })
  }

  return {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      Strategy: t.strategy,
      ResourceLimits: {
        MaxNumberOfTrainingJobs: t.maxJobs,
        MaxParallelTrainingJobs: t.maxParallelJobs,
        ...(t.maxRuntimeSeconds !== undefined && { MaxRuntimeInSeconds: t.maxRuntimeSeconds })
      },
      TrainingJobEarlyStoppingType: t.earlyStopping,
      ...(t.randomSeed !== undefined && { RandomSeed: t.randomSeed }),
      HyperParameterTuningJobObjective: { Type: t.objective.type, MetricName: t.objective.metric },
      ParameterRanges: ranges
    },
    TrainingJobDefinition: definition,
    Tags: training.Tags
  }
}
