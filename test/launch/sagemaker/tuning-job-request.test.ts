import t from 'tap'
import { assembleCreateTuningJob } from '../../../src/launch/sagemaker/tuning-job-request.js'
import { DEFAULT_METRIC_DEFINITIONS } from '../../../src/launch/metric-lines.js'
import { normaliseTuningSpec, type TuningSpecInput } from '../../../src/tuning/tuning-spec.js'
import { gridSize } from '../../../src/tuning/grid.js'
import { requestModel, validateShape } from '../../../src/launch/sagemaker/api-model/index.js'

const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole'
const NOW = new Date(Date.UTC(2024, 7, 15, 10, 0, 30, 123))
const ctx = { now: NOW, gatewayUrl: 'https://trackgate.example.com', region: 'us-east-1', tuningJobId: 'tj-1', tuningToken: 'tgt_secret', runId: 'run-1' }

/**
 * HyperparameterTuner(PyTorch(entry_point="train.py", source_dir="s3://b/code/sourcedir.tar.gz",
 *   framework_version="2.5.1", py_version="py311", instance_type="ml.g5.2xlarge", instance_count=1,
 *   use_spot_instances=True, max_run=86400, max_wait=172800, checkpoint_s3_uri="s3://b/ckpt",
 *   output_path="s3://b/out", base_job_name="monai-seg", hyperparameters={"epochs": 20, "roi_size": [96, 96, 96],
 *   "model": "SegResNet", "strategy": "single"}, metric_definitions=<the trainer's>),
 *   objective_metric_name="val:dice", objective_type="Maximize", strategy="Bayesian", max_jobs=8,
 *   max_parallel_jobs=2, base_tuning_job_name="monai-hpo", hyperparameter_ranges={
 *   "lr": ContinuousParameter(1e-05, 0.01, "Logarithmic"), "batch_size": IntegerParameter(1, 8),
 *   "model": CategoricalParameter(["UNet", "SegResNet"])}).fit({"train": "s3://b/data/train"})
 * — the request written out by hand from the SDK v2 rules (reference §1.3, §2.5).
 */
const EXPECTED = {
  HyperParameterTuningJobName: 'monai-hpo-240815-1000',
  HyperParameterTuningJobConfig: {
    Strategy: 'Bayesian',
    ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2 },
    TrainingJobEarlyStoppingType: 'Off',
    HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'val:dice' },
    ParameterRanges: {
      ContinuousParameterRanges: [{ Name: 'lr', MinValue: '1e-05', MaxValue: '0.01', ScalingType: 'Logarithmic' }],
      CategoricalParameterRanges: [{ Name: 'model', Values: ['"UNet"', '"SegResNet"'] }],
      IntegerParameterRanges: [{ Name: 'batch_size', MinValue: '1', MaxValue: '8', ScalingType: 'Auto' }]
    }
  },
  TrainingJobDefinition: {
    StaticHyperParameters: {
      epochs: '20',
      roi_size: '[96, 96, 96]',
      strategy: '"single"',
      sagemaker_program: '"train.py"',
      sagemaker_submit_directory: '"s3://b/code/sourcedir.tar.gz"',
      sagemaker_container_log_level: '20',
      sagemaker_job_name: '"monai-seg-2024-08-15-10-00-30-123"',
      sagemaker_region: '"us-east-1"',
      sagemaker_estimator_class_name: '"PyTorch"',
      sagemaker_estimator_module: '"sagemaker.pytorch.estimator"'
    },
    RoleArn: ROLE,
    OutputDataConfig: { S3OutputPath: 's3://b/out' },
    StoppingCondition: { MaxRuntimeInSeconds: 86400, MaxWaitTimeInSeconds: 172800 },
    AlgorithmSpecification: {
      TrainingInputMode: 'File',
      MetricDefinitions: DEFAULT_METRIC_DEFINITIONS.map(d => ({ Name: d.name, Regex: d.regex })),
      TrainingImage: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311'
    },
    InputDataConfig: [{ DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/data/train', S3DataDistributionType: 'FullyReplicated' } }, ChannelName: 'train' }],
    Environment: { TRACKGATE_URL: 'https://trackgate.example.com', TRACKGATE_TUNING_JOB_ID: 'tj-1', TRACKGATE_TUNING_TOKEN: 'tgt_secret' },
    HyperParameterTuningResourceConfig: { InstanceType: 'ml.g5.2xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
    EnableManagedSpotTraining: true,
    CheckpointConfig: { S3Uri: 's3://b/ckpt' }
  },
  Tags: [{ Key: 'trackgate:run-id', Value: 'run-1' }]
}

const input = (over: Partial<TuningSpecInput> = {}): TuningSpecInput => ({
  name: 'monai-hpo',
  backend: 'sagemaker',
  job: {
    name: 'monai-seg',
    model: 'SegResNet',
    instanceType: 'ml.g5.2xlarge',
    framework: { version: '2.5.1', pythonVersion: 'py311', sourceS3Uri: 's3://b/code/sourcedir.tar.gz', entryPoint: 'train.py' },
    hyperparameters: { epochs: 20, roi_size: [96, 96, 96] },
    data: { train: 's3://b/data/train' },
    outputS3Uri: 's3://b/out',
    checkpointS3Uri: 's3://b/ckpt',
    spot: { maxWaitSeconds: 172800 },
    roleArn: ROLE
  },
  ranges: {
    lr: { type: 'continuous', min: 1e-5, max: 1e-2, scaling: 'log' },
    batch_size: { type: 'integer', min: 1, max: 8 },
    model: { type: 'categorical', values: ['UNet', 'SegResNet'] }
  },
  objective: { metric: 'val:dice', type: 'Maximize' },
  strategy: 'Bayesian',
  maxJobs: 8,
  maxParallelJobs: 2,
  ...over
} as TuningSpecInput)

t.test('a Bayesian tuner over a spot estimator: the request SDK v2 sends', async t => {
  const request = assembleCreateTuningJob(normaliseTuningSpec(input(), 'local', gridSize), ctx)
  t.same(request, EXPECTED)
  t.same(validateShape(requestModel, 'CreateHyperParameterTuningJobRequest', request), [], 'valid against the API model')
  t.notOk('ResourceConfig' in (request.TrainingJobDefinition ?? {}), 'HyperParameterTuningResourceConfig, not ResourceConfig')
  t.notOk(JSON.stringify(request).includes('TRACKGATE_TOKEN"'), 'no per-run token in the shared definition')
})

t.test('variants: Random with early stopping, a runtime limit and a seed; SageMaker scaling names; no spot', async t => {
  const { spot: _spot, checkpointS3Uri: _ckpt, ...job } = input().job
  const request = assembleCreateTuningJob(normaliseTuningSpec(input({
    job: { ...job, hyperparameters: { epochs: 5 } },
    strategy: 'Random',
    earlyStopping: 'Auto',
    maxRuntimeSeconds: 7200,
    randomSeed: 42,
    ranges: { wd: { type: 'continuous', min: 0.9, max: 0.999, scaling: 'ReverseLogarithmic' }, model: { type: 'categorical', values: ['UNet'] } }
  }), 'local', gridSize), ctx)
  t.same(request.HyperParameterTuningJobConfig, {
    Strategy: 'Random',
    ResourceLimits: { MaxNumberOfTrainingJobs: 8, MaxParallelTrainingJobs: 2, MaxRuntimeInSeconds: 7200 },
    TrainingJobEarlyStoppingType: 'Auto',
    RandomSeed: 42,
    HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'val:dice' },
    ParameterRanges: {
      ContinuousParameterRanges: [{ Name: 'wd', MinValue: '0.9', MaxValue: '0.999', ScalingType: 'ReverseLogarithmic' }],
      CategoricalParameterRanges: [{ Name: 'model', Values: ['"UNet"'] }],
      IntegerParameterRanges: []
    }
  })
  t.notOk('EnableManagedSpotTraining' in (request.TrainingJobDefinition ?? {}))
  t.same(request.TrainingJobDefinition?.StoppingCondition, { MaxRuntimeInSeconds: 86400 })
})
