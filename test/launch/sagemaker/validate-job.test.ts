import t from 'tap'
import type { JobSpec } from '../../../src/launch/job-spec.js'
import { validateJob, type JobProblem } from '../../../src/launch/sagemaker/validate-job.js'
import { BUILDER_FIXTURES, baseSpec, fixtureContext, loadFixture } from './fixtures.js'

const ctx = fixtureContext()
const errors = (spec: JobSpec, c = ctx): JobProblem[] => validateJob(spec, c).filter(p => p.severity === 'error')

/** Exactly one error, on `field`, whose message matches. */
function rule (name: string, spec: JobSpec, field: string, message: RegExp, c = ctx): void {
  t.test(name, async t => {
    const found = errors(spec, c)
    t.strictSame(found.map(p => p.field), [field], JSON.stringify(found))
    t.match(found[0]?.message, message)
  })
}

t.test('every fixture is valid', async t => {
  for (const name of BUILDER_FIXTURES) t.strictSame(errors(loadFixture(name).spec), [], name)
})

rule('instance type required', baseSpec({ instanceType: undefined }), 'instanceType', /instanceType is required/)
rule('instance type from the API model enum', baseSpec({ instanceType: 'ml.g5.3xlarge' }), 'instanceType', /ml\.g5\.3xlarge is not a SageMaker training instance type/)
rule('image or framework', baseSpec({ framework: undefined }), 'image', /either image .* or framework/)
rule('unknown PyTorch version', baseSpec({ framework: { version: '2.4.1', pythonVersion: 'py311', sourceS3Uri: 's3://b/s.tar.gz', entryPoint: 'train.py' } }), 'framework.version', /Unsupported pytorch version: 2\.4\.1/)
rule('python version of the image', baseSpec({ framework: { version: '2.6.0', pythonVersion: 'py311', sourceS3Uri: 's3://b/s.tar.gz', entryPoint: 'train.py' } }), 'framework.pythonVersion', /Unsupported Python version: py311\. Supported Python version\(s\): py312/)
rule('torch_distributed needs an exact supported version', baseSpec({ framework: { version: '2.4.0', pythonVersion: 'py311', sourceS3Uri: 's3://b/s.tar.gz', entryPoint: 'train.py' } }), 'framework.version', /framework_version 2\.4\.0 is not supported by torch_distributed for instance ml\.g5\.12xlarge/)
rule('region without a PyTorch image', baseSpec({ region: 'xx-nowhere-1' }), 'region', /Unsupported region: xx-nowhere-1/)
rule('Trainium with the AWS GPU image', baseSpec({ strategy: 'single', instanceCount: 1, instanceType: 'ml.trn1.2xlarge' }), 'instanceType', /Trainium/)
rule('p2 refused for PyTorch ≥ 1.13', baseSpec({ strategy: 'single', instanceCount: 1, instanceType: 'ml.p2.xlarge' }), 'instanceType', /ml\.p2/)
rule('distributed needs a GPU instance', baseSpec({ instanceType: 'ml.c5.xlarge' }), 'instanceType', /strategy ddp needs a GPU instance/)
rule('ddp needs at least 2 GPUs in total', baseSpec({ instanceType: 'ml.g5.2xlarge', instanceCount: 1 }), 'instanceCount', /at least 2 GPUs in total; 1 × ml\.g5\.2xlarge has 1/)
rule('fsdp needs at least 2 GPUs too', baseSpec({ strategy: 'fsdp', instanceType: 'ml.p3.2xlarge', instanceCount: 1 }), 'instanceCount', /strategy fsdp needs at least 2 GPUs/)
rule('single strategy on several instances', baseSpec({ strategy: 'single', instanceCount: 2 }), 'instanceCount', /strategy single runs one training process/)
rule('warm pool not with spot', baseSpec({ spot: { maxWaitSeconds: 172800 }, keepAliveSeconds: 600 }), 'keepAliveSeconds', /warm pools cannot be used with spot instances/)
rule('max wait ≥ max runtime', baseSpec({ spot: { maxWaitSeconds: 3600 }, maxRuntimeSeconds: 7200 }), 'spot.maxWaitSeconds', /MaxWaitTimeInSeconds \(3600\) must be equal to or greater than MaxRuntimeInSeconds \(7200\)/)
rule('max runtime ≤ 28 days', baseSpec({ maxRuntimeSeconds: 2419201 }), 'maxRuntimeSeconds', /exceeds SageMaker's maximum of 28 days/)
rule('max runtime ≥ 1 (API model)', baseSpec({ maxRuntimeSeconds: 0 }), 'maxRuntimeSeconds', /MaxRuntimeInSeconds 0: must have value greater than or equal to 1/)
rule('keep-alive ≤ 21600 (API model)', baseSpec({ keepAliveSeconds: 21601 }), 'keepAliveSeconds', /less than or equal to 21600/)
rule('role required', baseSpec({ roleArn: undefined }), 'roleArn', /roleArn is required/, { ...ctx, defaultRoleArn: undefined })
rule('role ARN pattern (API model)', baseSpec({ roleArn: 'arn:aws:iam::123:role/too-short-account' }), 'roleArn', /RoleArn .*must satisfy regular expression pattern: arn:aws/)
rule('job name pattern (API model)', baseSpec({ name: 'monai_seg' }), 'name', /TrainingJobName 'monai_seg-2024-08-15-10-00-30-123': must satisfy regular expression pattern/)
rule('S3 URI pattern (API model)', baseSpec({ outputS3Uri: 'gs://bucket/out' }), 'outputS3Uri', /S3OutputPath 'gs:\/\/bucket\/out': must satisfy regular expression pattern/)
rule('channel S3 URI pattern (API model)', baseSpec({ data: { train: 'ftp://x' } }), 'data.train', /S3Uri 'ftp:\/\/x'/)
rule('channel name pattern (API model)', baseSpec({ data: { 'tr ain': 's3://b/t' } }), 'data.tr ain', /ChannelName 'tr ain': must satisfy regular expression pattern/)
rule('at most 20 channels (API model)', baseSpec({ data: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`c${i}`, 's3://b/x'])) }), 'data', /InputDataConfig: must have length less than or equal to 20/)
rule('hyperparameter value ≤ 2500 after encoding (API model)', baseSpec({ hyperparameters: { big: 'x'.repeat(2499) } }), 'hyperparameters.big', /less than or equal to 2500/)
rule('at most 100 hyperparameters with ours (API model)', baseSpec({ hyperparameters: Object.fromEntries(Array.from({ length: 92 }, (_, i) => [`k${i}`, i])) }), 'hyperparameters', /HyperParameters: must have length less than or equal to 100/)
rule('reserved hyperparameter', baseSpec({ hyperparameters: { sagemaker_program: 'x.py' } }), 'hyperparameters.sagemaker_program', /reserved/)
rule('reserved trainer flag', baseSpec({ hyperparameters: { strategy: 'ddp' } }), 'hyperparameters.strategy', /reserved/)
rule('reserved environment variable', baseSpec({ environment: { TRACKGATE_TOKEN: 'x' } }), 'environment.TRACKGATE_TOKEN', /reserved: the gateway sets it/)
rule('environment key pattern (API model)', baseSpec({ environment: { '1X': 'y' } }), 'environment.1X', /key of Environment\.1X: key must satisfy regular expression pattern/)
rule('environment value ≤ 512 (API model)', baseSpec({ environment: { X: 'y'.repeat(513) } }), 'environment.X', /less than or equal to 512/)
rule('at most 50 tags with ours (API model)', baseSpec({ tags: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) }), 'tags', /Tags: must have length less than or equal to 50/)
rule('tag characters (API model)', baseSpec({ tags: { team: 'a;b' } }), 'tags.team', /Value 'a;b': must satisfy regular expression pattern/)
rule('aws: tag prefix reserved', baseSpec({ tags: { 'aws:x': 'v' } }), 'tags.aws:x', /reserved by AWS/)
rule('our tag keys reserved', baseSpec({ tags: { 'trackgate:run-id': 'v' } }), 'tags.trackgate:run-id', /reserved: the gateway sets it/)
rule('experiment must fit a tag value (API model)', baseSpec({ experiment: 'seg;1' }), 'experiment', /must satisfy regular expression pattern/)
rule('metric regex compiles', baseSpec({ metricDefinitions: [{ name: 'x', regex: 'x=([0-9' }] }), 'metricDefinitions.0.regex', /does not compile/)
rule('metric regex has a capture group', baseSpec({ metricDefinitions: [{ name: 'x', regex: 'x=[0-9]+' }] }), 'metricDefinitions.0.regex', /needs a capture group/)
rule('at most 40 metric definitions (API model)', baseSpec({ metricDefinitions: Array.from({ length: 41 }, (_, i) => ({ name: `m${i}`, regex: 'x=(1)' })) }), 'metricDefinitions', /MetricDefinitions: must have length less than or equal to 40/)
rule('image URI ≤ 255 (API model)', baseSpec({ image: 'r/'.repeat(128) }), 'image', /TrainingImage .*less than or equal to 255/)

t.test('spot without checkpoints is a warning, not an error', async t => {
  const problems = validateJob(baseSpec({ spot: { maxWaitSeconds: 172800 }, checkpointS3Uri: undefined }), ctx)
  t.strictSame(problems.map(p => [p.field, p.severity]), [['checkpointS3Uri', 'warning']])
  t.match(problems[0]?.message, /restarts from scratch/)
})

t.test('problems are all reported at once', async t => {
  const found = errors(baseSpec({ instanceType: 'ml.c5.xlarge', roleArn: 'bad', outputS3Uri: 'x', hyperparameters: { model: 1 } }))
  t.strictSame(found.map(p => p.field).sort(), ['hyperparameters.model', 'instanceType', 'outputS3Uri', 'roleArn'])
})
