import t from 'tap'
import { buildCreateTrainingJob } from '../../../src/launch/sagemaker/build-training-job.js'
import { createSageMakerApi } from '../../../src/launch/sagemaker/client.js'
import { JobNotFoundError, ResourceInUseError, ResourceLimitExceededError, SageMakerUnavailableError, ThrottlingError, ValidationError } from '../../../src/launch/sagemaker/errors.js'
import { fromDescribeTrainingJob } from '../../../src/launch/sagemaker/job-status.js'
import { startSageMakerEmulator } from '../../emulators/sagemaker/index.js'
import { baseSpec, fixtureContext } from './fixtures.js'

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }

t.test('create, describe, list, stop through the JS SDK against the emulator', async t => {
  const emu = await startSageMakerEmulator({ outcome: () => ({ kind: 'hang' }), instanceLimits: { 'ml.g5.12xlarge': 2 } })
  t.teardown(emu.close)
  const api = createSageMakerApi({ region: 'us-east-1', endpoint: emu.url, credentials, maxAttempts: 1 })
  t.teardown(() => api.close())
  const request = buildCreateTrainingJob(baseSpec(), fixtureContext())
  const { trainingJobArn } = await api.createTrainingJob(request)
  t.equal(trainingJobArn, 'arn:aws:sagemaker:us-east-1:123456789012:training-job/monai-seg-2024-08-15-10-00-30-123')
  t.equal(emu.requests[0]?.headers['x-amz-target'], 'SageMaker.CreateTrainingJob')
  t.strictSame(emu.requests[0]?.body, JSON.parse(JSON.stringify(request)), 'the SDK sent the builder output unchanged')

  await emu.waitFor(request.TrainingJobName ?? '', 'Training')
  const d = await api.describeTrainingJob(request.TrainingJobName ?? '')
  t.type(d.CreationTime, Date)
  t.match(fromDescribeTrainingJob(d), { state: 'RUNNING', runStatus: 'RUNNING', secondaryStatus: 'Training' })
  const list = await api.listTrainingJobs({ MaxResults: 5 })
  t.equal(list.TrainingJobSummaries?.[0]?.TrainingJobName, request.TrainingJobName)

  await t.rejects(api.createTrainingJob(request), ResourceInUseError)
  await t.rejects(api.createTrainingJob({ ...request, TrainingJobName: 'other' }), ResourceLimitExceededError)
  await t.rejects(api.describeTrainingJob('missing'), { name: 'JobNotFoundError', code: 'ValidationException', message: 'Requested resource not found.', status: 400 })
  emu.throttle(1, ['DescribeTrainingJob'])
  const throttled = await api.describeTrainingJob(request.TrainingJobName ?? '').catch((e: unknown) => e)
  t.type(throttled, ThrottlingError)
  t.match(throttled, { code: 'ThrottlingException', message: 'Rate exceeded', retryable: true })

  await api.stopTrainingJob(request.TrainingJobName ?? '')
  await emu.waitFor(request.TrainingJobName ?? '')
  await t.rejects(api.stopTrainingJob(request.TrainingJobName ?? ''), ValidationError)
  t.equal(fromDescribeTrainingJob(await api.describeTrainingJob(request.TrainingJobName ?? '')).runStatus, 'KILLED')
  await t.rejects(api.stopTrainingJob('missing'), JobNotFoundError)
})

t.test('the SDK retries a throttled call when allowed', async t => {
  const emu = await startSageMakerEmulator()
  t.teardown(emu.close)
  const api = createSageMakerApi({ region: 'us-east-1', endpoint: emu.url, credentials, maxAttempts: 3 })
  t.teardown(() => api.close())
  emu.throttle(1, ['ListTrainingJobs'])
  t.strictSame((await api.listTrainingJobs()).TrainingJobSummaries, [])
  t.strictSame(emu.requests.map(r => r.errorType ?? 'ok'), ['ThrottlingException', 'ok'])
})

t.test('connection refused is a retryable unavailable error', async t => {
  const emu = await startSageMakerEmulator()
  await emu.close()
  const api = createSageMakerApi({ region: 'us-east-1', endpoint: emu.url, credentials, maxAttempts: 1 })
  t.teardown(() => api.close())
  const err = await api.listTrainingJobs().catch((e: unknown) => e)
  t.type(err, SageMakerUnavailableError)
  t.equal((err as SageMakerUnavailableError).retryable, true)
})
