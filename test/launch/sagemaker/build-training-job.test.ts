import t from 'tap'
import { buildCreateTrainingJob } from '../../../src/launch/sagemaker/build-training-job.js'
import { InvalidJobSpecError } from '../../../src/launch/sagemaker/validate-job.js'
import { nameFromBase, shortNameFromBase } from '../../../src/launch/sagemaker/job-name.js'
import { BUILDER_FIXTURES, baseSpec, fixtureContext, loadFixture } from './fixtures.js'

for (const name of BUILDER_FIXTURES) {
  t.test(`fixture ${name}`, async t => {
    const fx = loadFixture(name)
    const built = buildCreateTrainingJob(fx.spec, fixtureContext())
    // JSON round trip: the request must be exactly what goes on the wire, no undefined members.
    t.strictSame(JSON.parse(JSON.stringify(built)), fx.request, fx.about)
    t.strictSame(Object.keys(built).sort(), Object.keys(fx.request).sort(), 'no extra or missing members')
  })
}

t.test('reserved hyperparameters follow user keys, distribution keys come last', async t => {
  const keys = Object.keys(buildCreateTrainingJob(baseSpec(), fixtureContext()).HyperParameters ?? {})
  t.strictSame(keys, ['epochs', 'lr', 'roi_size', 'model', 'strategy', 'sagemaker_program', 'sagemaker_submit_directory',
    'sagemaker_container_log_level', 'sagemaker_job_name', 'sagemaker_region', 'sagemaker_torch_distributed_enabled', 'sagemaker_instance_type'])
})

t.test('own image vs AWS PyTorch image', async t => {
  const ctx = fixtureContext()
  const aws = buildCreateTrainingJob(baseSpec(), ctx)
  const own = buildCreateTrainingJob(baseSpec({ image: '111122223333.dkr.ecr.us-east-1.amazonaws.com/trackgate-trainer:1', framework: undefined }), ctx)
  t.equal(aws.AlgorithmSpecification?.TrainingImage, '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5.1-gpu-py311')
  t.equal(own.AlgorithmSpecification?.TrainingImage, '111122223333.dkr.ecr.us-east-1.amazonaws.com/trackgate-trainer:1')
  t.equal(own.HyperParameters?.['sagemaker_program'], undefined, 'own image carries its code')
  t.equal(own.HyperParameters?.['sagemaker_torch_distributed_enabled'], 'true', 'still launched by torchrun')
  const both = buildCreateTrainingJob(baseSpec({ image: 'my/image:2' }), ctx)
  t.equal(both.AlgorithmSpecification?.TrainingImage, 'my/image:2', 'image wins like image_uri')
  t.equal(both.HyperParameters?.['sagemaker_program'], '"train.py"', 'tarball still used with an image')
  const cpu = buildCreateTrainingJob(baseSpec({ strategy: 'single', instanceType: 'ml.c5.xlarge', instanceCount: 1, framework: { version: '2.5', pythonVersion: 'py311', sourceS3Uri: 's3://b/s.tar.gz', entryPoint: 'train.py' } }), ctx)
  t.equal(cpu.AlgorithmSpecification?.TrainingImage, '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.5-cpu-py311', 'alias kept in the tag, cpu processor')
  const cn = buildCreateTrainingJob(baseSpec({ region: 'cn-north-1' }), ctx)
  t.equal(cn.AlgorithmSpecification?.TrainingImage, '727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-training:2.5.1-gpu-py311')
})

t.test('job names as the SDK builds them', async t => {
  const now = new Date('2024-08-15T10:00:30.123Z')
  t.equal(nameFromBase('pytorch-training', now), 'pytorch-training-2024-08-15-10-00-30-123')
  t.equal(nameFromBase('a'.repeat(60), now), `${'a'.repeat(39)}-2024-08-15-10-00-30-123`)
  t.equal(nameFromBase('x', new Date('2024-01-02T03:04:05.007Z')), 'x-2024-01-02-03-04-05-007', 'zero-padded fields')
  t.equal(shortNameFromBase('monai-hpo', now), 'monai-hpo-240815-1000')
})

t.test('the builder refuses an invalid spec with every problem', async t => {
  const err = t.throws(() => buildCreateTrainingJob(baseSpec({ instanceType: 'ml.c5.xlarge', roleArn: 'nope' }), fixtureContext())) as InvalidJobSpecError
  t.type(err, InvalidJobSpecError)
  t.ok(err.problems.some(p => p.field === 'instanceType'))
  t.ok(err.problems.some(p => p.field === 'roleArn'))
})

t.test('pure: same input, same output; the spec is not mutated', async t => {
  const spec = baseSpec()
  const copy = structuredClone(spec)
  t.strictSame(buildCreateTrainingJob(spec, fixtureContext()), buildCreateTrainingJob(spec, fixtureContext()))
  t.strictSame(spec, copy)
})
