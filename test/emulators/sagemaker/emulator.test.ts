import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { validateShape } from '../../../src/launch/sagemaker/api-model/index.js'
import { assembleCreateTrainingJob } from '../../../src/launch/sagemaker/build-training-job.js'
import { DEFAULT_METRIC_DEFINITIONS } from '../../../src/launch/metric-lines.js'
import { fromTrainingJobEvent } from '../../../src/launch/sagemaker/job-status.js'
import { BUILDER_FIXTURES, baseSpec, fixtureContext, loadFixture } from '../../launch/sagemaker/fixtures.js'
import { startSageMakerEmulator } from './index.js'
import { loadApiModel } from './model.js'
import { rawCall } from './raw-call.js'

const { model, full } = loadApiModel()
t.ok(full, 'the emulator reads the full reference model')

t.test('accepts every builder output and walks the lifecycle', async t => {
  for (const name of BUILDER_FIXTURES) {
    const emu = await startSageMakerEmulator()
    t.teardown(emu.close)
    const request = loadFixture(name).request
    const created = await rawCall(emu.url, 'CreateTrainingJob', request)
    t.equal(created.status, 200, `${name}: ${JSON.stringify(created.body)}`)
    const jobName = String(request['TrainingJobName'])
    await emu.waitFor(jobName)
    const d = await rawCall(emu.url, 'DescribeTrainingJob', { TrainingJobName: jobName })
    t.strictSame(validateShape(model, 'DescribeTrainingJobResponse', d.body), [], `${name}: Describe output fits the model`)
    t.equal(d.body['TrainingJobStatus'], 'Completed')
    t.strictSame((d.body['SecondaryStatusTransitions'] as Array<{ Status: string }>).map(x => x.Status), ['Starting', 'Downloading', 'Training', 'Uploading', 'Completed'])
    t.equal(d.body['Tags'], undefined, 'Describe returns no tags')
    const training = d.body['TrainingTimeInSeconds'] as number
    const billable = d.body['BillableTimeInSeconds'] as number
    if (request['EnableManagedSpotTraining'] === true) t.ok(billable < training, `spot bills less (${billable} < ${training})`)
    else t.equal(billable, training)
    await rawCall(emu.url, 'CreateTrainingJob', request).then(r => {
      t.equal(r.body['__type'], 'ResourceInUse')
      t.match(r.body['Message'], /a training job with this name already exists \(arn:aws:sagemaker:us-east-1:123456789012:training-job\//)
    })
    const list = await rawCall(emu.url, 'ListTrainingJobs', {})
    t.strictSame(validateShape(model, 'ListTrainingJobsResponse', list.body), [])
  }
})

t.test('rejects malformed requests the way the model says', async t => {
  const emu = await startSageMakerEmulator()
  t.teardown(emu.close)
  const good = assembleCreateTrainingJob(baseSpec(), fixtureContext()) as Record<string, any>
  const cases: Array<[string, (r: any) => void, RegExp]> = [
    ['missing RoleArn', r => { delete r.RoleArn }, /Value null at 'roleArn' failed to satisfy constraint: Member must not be null/],
    ['name with underscore', r => { r.TrainingJobName = 'monai_seg-2024' }, /Value 'monai_seg-2024' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern/],
    ['name too long', r => { r.TrainingJobName = 'a'.repeat(64) }, /at 'trainingJobName' failed to satisfy constraint: Member must have length less than or equal to 63/],
    ['hyperparameter value over 2500', r => { r.HyperParameters.big = 'x'.repeat(2501) }, /at 'hyperParameters.big' .*less than or equal to 2500/],
    ['101 hyperparameters', r => { for (let i = 0; i < 101; i++) r.HyperParameters[`k${i}`] = '1' }, /at 'hyperParameters' .*less than or equal to 100/],
    ['51 tags', r => { r.Tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }, /at 'tags' .*less than or equal to 50/],
    ['tag value with a bad character', r => { r.Tags = [{ Key: 'k', Value: 'a;b' }] }, /at 'tags.1.member.value' .*regular expression pattern/],
    ['environment key pattern', r => { r.Environment['1BAD'] = 'x' }, /Map keys must satisfy constraint: Member must satisfy regular expression pattern: \[a-zA-Z_\]/],
    ['instance type not in enum', r => { r.ResourceConfig.InstanceType = 'ml.g5.3xlarge' }, /at 'resourceConfig.instanceType' failed to satisfy constraint: Member must satisfy enum value set: \[ml.m4.xlarge/],
    ['keep-alive above 21600', r => { r.ResourceConfig.KeepAlivePeriodInSeconds = 21601 }, /Value '21601' at 'resourceConfig.keepAlivePeriodInSeconds' .*less than or equal to 21600/],
    ['runtime below 1', r => { r.StoppingCondition.MaxRuntimeInSeconds = 0 }, /greater than or equal to 1/],
    ['21 channels', r => { r.InputDataConfig = Array.from({ length: 21 }, (_, i) => ({ ...r.InputDataConfig[0], ChannelName: `c${i}` })) }, /at 'inputDataConfig' .*less than or equal to 20/],
    ['bad S3 URI', r => { r.OutputDataConfig.S3OutputPath = 'gs://bucket/x' }, /at 'outputDataConfig.s3OutputPath' .*regular expression pattern: \(https\|s3\)/],
    ['bad role ARN', r => { r.RoleArn = 'arn:aws:iam::12345:role/x-role-name' }, /at 'roleArn' .*regular expression pattern/],
    ['41 metric definitions', r => { r.AlgorithmSpecification.MetricDefinitions = Array.from({ length: 41 }, (_, i) => ({ Name: `m${i}`, Regex: 'x=(\\d)' })) }, /at 'algorithmSpecification.metricDefinitions' .*less than or equal to 40/],
    ['wrong type', r => { r.ResourceConfig.InstanceCount = '2' }, /Member must be an integer/],
    ['unknown member (typo)', r => { r.ResourceConfig.KeepAlivePeriodInSecond = 60 }, /Member is not defined in the API model/],
    ['MaxWait without spot', r => { r.StoppingCondition.MaxWaitTimeInSeconds = 90000 }, /^Invalid MaxWaitTimeInSeconds\. It is only supported when EnableManagedSpotTraining is set to true$/],
    ['MaxWait below MaxRuntime', r => { r.EnableManagedSpotTraining = true; r.StoppingCondition.MaxWaitTimeInSeconds = 10 }, /must be equal to or greater than MaxRuntimeInSeconds/],
    ['warm pool with spot', r => { r.EnableManagedSpotTraining = true; r.StoppingCondition.MaxWaitTimeInSeconds = 172800; r.ResourceConfig.KeepAlivePeriodInSeconds = 60 }, /Warm Pools cannot be used with spot instances/],
    ['runtime above 28 days', r => { r.StoppingCondition.MaxRuntimeInSeconds = 2419201 }, /maximum is 2419200 seconds/],
    ['no AlgorithmSpecification', r => { delete r.AlgorithmSpecification }, /Value null at 'algorithmSpecification'/],
    ['image and algorithm', r => { r.AlgorithmSpecification.AlgorithmName = 'xgboost' }, /Exactly one of TrainingImage or AlgorithmName/]
  ]
  for (const [label, mutate, message] of cases) {
    const r = structuredClone(good)
    mutate(r)
    const res = await rawCall(emu.url, 'CreateTrainingJob', r)
    t.equal(res.status, 400, label)
    t.equal(res.body['__type'], 'ValidationException', label)
    t.match(res.body['message'], message, label)
  }
  t.equal(emu.jobs.size, 0, 'nothing rejected was created')
  const two = await rawCall(emu.url, 'CreateTrainingJob', { ...good, TrainingJobName: 'bad_name', RoleArn: undefined })
  t.match(two.body['message'], /^2 validation errors detected: .*; /)

  const missing = await rawCall(emu.url, 'DescribeTrainingJob', { TrainingJobName: 'nope' })
  t.strictSame([missing.status, missing.body], [400, { __type: 'ValidationException', message: 'Requested resource not found.' }])
  t.equal((await rawCall(emu.url, 'DescribeTrainingJob', {}, { authorization: '' })).body['__type'], 'MissingAuthenticationTokenException')
  t.equal((await rawCall(emu.url, 'DescribeTrainingJob', '{nope')).body['__type'], 'SerializationException')
  t.equal((await rawCall(emu.url, 'DeleteTrainingJob', {})).body['__type'], 'UnknownOperationException')
  t.equal((await rawCall(emu.url, 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: 'x' })).body['__type'], 'ResourceNotFound')
})

t.test('failure, stop, timeout and spot interruption', async t => {
  const emu = await startSageMakerEmulator()
  t.teardown(emu.close)
  const create = async (name: string, spot = false): Promise<void> => {
    const r = assembleCreateTrainingJob(baseSpec({ name, ...(spot && { spot: { maxWaitSeconds: 172800 } }) }), fixtureContext())
    t.equal((await rawCall(emu.url, 'CreateTrainingJob', r)).status, 200)
  }
  const jobName = (base: string): string => `${base}-2024-08-15-10-00-30-123`
  emu.queueOutcomes({ kind: 'fail', reason: 'CapacityError: Unable to provision requested ML compute capacity.' }, { kind: 'hang' }, { kind: 'maxRuntime' }, { kind: 'spotInterrupt', interruptions: 1 }, { kind: 'spotInterrupt', then: 'maxWait' })
  await create('failing'); await create('stopped'); await create('timeout'); await create('interrupted', true); await create('gaveup', true)
  const failed = await emu.waitFor(jobName('failing'))
  t.strictSame([failed.primary, failed.secondary, failed.failureReason], ['Failed', 'Failed', 'CapacityError: Unable to provision requested ML compute capacity.'])
  await emu.waitFor(jobName('stopped'), 'Training')
  t.strictSame((await rawCall(emu.url, 'StopTrainingJob', { TrainingJobName: jobName('stopped') })).body, {})
  const stopped = await emu.waitFor(jobName('stopped'))
  t.strictSame(stopped.transitions.map(x => x.Status), ['Starting', 'Downloading', 'Training', 'Stopping', 'Stopped'])
  const again = await rawCall(emu.url, 'StopTrainingJob', { TrainingJobName: jobName('stopped') })
  t.equal(again.body['message'], 'The request was rejected because the training job is in status Stopped.')
  t.equal((await emu.waitFor(jobName('timeout'))).secondary, 'MaxRuntimeExceeded')
  const interrupted = await emu.waitFor(jobName('interrupted'))
  t.strictSame(interrupted.transitions.map(x => x.Status), ['Starting', 'Downloading', 'Training', 'Interrupted', 'Starting', 'Training', 'Uploading', 'Completed'])
  t.strictSame([(await emu.waitFor(jobName('gaveup'))).primary, emu.jobs.get(jobName('gaveup'))?.secondary], ['Stopped', 'MaxWaitTimeExceeded'])
})

t.test('throttling, rate limits, instance quota, list paging', async t => {
  const emu = await startSageMakerEmulator({ rateLimits: { ListTrainingJobs: 2 }, instanceLimits: { 'ml.g5.12xlarge': 2 }, outcome: () => ({ kind: 'hang' }) })
  t.teardown(emu.close)
  emu.throttle(1, ['DescribeTrainingJob'])
  t.strictSame((await rawCall(emu.url, 'DescribeTrainingJob', { TrainingJobName: 'x' })).body, { __type: 'ThrottlingException', message: 'Rate exceeded' })
  const r = assembleCreateTrainingJob(baseSpec(), fixtureContext())
  t.equal((await rawCall(emu.url, 'CreateTrainingJob', r)).status, 200)
  const over = await rawCall(emu.url, 'CreateTrainingJob', { ...r, TrainingJobName: 'second' })
  t.equal(over.body['__type'], 'ResourceLimitExceeded')
  t.match(over.body['Message'], "The account-level service limit 'ml.g5.12xlarge for training job usage' is 2 Instances, with current utilization of 2 Instances and a request delta of 2 Instances.")
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await rawCall(emu.url, 'ListTrainingJobs', {})).body['__type'] ?? 'ok')
  t.strictSame(statuses, ['ok', 'ok', 'ThrottlingException'], '2 requests per second')
})

t.test('ListTrainingJobs pages, then filters by status (documented quirk)', async t => {
  const emu = await startSageMakerEmulator({ outcome: r => String(r['TrainingJobName']).startsWith('a') ? { kind: 'hang' } : { kind: 'complete' } })
  t.teardown(emu.close)
  const r = assembleCreateTrainingJob(baseSpec(), fixtureContext())
  for (const name of ['b1', 'b2', 'a1']) await rawCall(emu.url, 'CreateTrainingJob', { ...r, TrainingJobName: name })
  await emu.waitFor('b2')
  const page1 = await rawCall(emu.url, 'ListTrainingJobs', { MaxResults: 2, StatusEquals: 'InProgress' })
  t.strictSame(page1.body['TrainingJobSummaries'], [], 'empty page')
  t.type(page1.body['NextToken'], 'string', 'but a NextToken')
  const page2 = await rawCall(emu.url, 'ListTrainingJobs', { MaxResults: 2, StatusEquals: 'InProgress', NextToken: page1.body['NextToken'] })
  t.strictSame((page2.body['TrainingJobSummaries'] as Array<{ TrainingJobName: string }>).map(s => s.TrainingJobName), ['a1'])
  t.equal(page2.body['NextToken'], undefined)
  const byName = await rawCall(emu.url, 'ListTrainingJobs', { SortBy: 'Name', SortOrder: 'Descending', NameContains: 'B' })
  t.strictSame((byName.body['TrainingJobSummaries'] as Array<{ TrainingJobName: string }>).map(s => s.TrainingJobName), ['b2', 'b1'])
})

t.test('EventBridge events and the simulated container', async t => {
  const received: Array<{ url: string, headers: Record<string, unknown>, body: any }> = []
  const sink = createServer((req, res) => {
    let data = ''
    req.on('data', c => { data += String(c) })
    req.on('end', () => { received.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(data) }); res.writeHead(202).end('{}') })
  })
  await new Promise<void>(resolve => sink.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => sink.close(() => resolve())))
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`
  const emu = await startSageMakerEmulator({ eventBridge: { url: `${sinkUrl}/v1/hooks/eventbridge`, secret: 's3cret' }, container: { epochs: 3 } })
  t.teardown(emu.close)
  const r = assembleCreateTrainingJob(baseSpec({ tags: { team: 'imaging' } }), { ...fixtureContext(), gatewayUrl: sinkUrl })
  await rawCall(emu.url, 'CreateTrainingJob', r)
  const job = await emu.waitFor(String(r.TrainingJobName))
  await t.resolves(async () => { while (received.filter(x => x.url.startsWith('/v1/runs')).length < 3 || emu.events.some(e => e.status === 'error')) await new Promise(resolve => setTimeout(resolve, 5)) })
  const events = received.filter(x => x.url === '/v1/hooks/eventbridge')
  t.ok(events.every(e => e.headers['x-trackgate-eventbridge-secret'] === 's3cret'))
  const last = events.at(-1)?.body
  t.equal(last['detail-type'], 'SageMaker Training Job State Change')
  t.strictSame(last.detail.Tags, { team: 'imaging', 'trackgate:run-id': 'run-0001' }, 'tags as a map')
  t.ok(last.detail.CreationTime > 1e12, 'epoch milliseconds')
  t.equal(fromTrainingJobEvent(events.find(e => e.body.detail.TrainingJobStatus === 'Completed')?.body).runStatus, 'FINISHED')
  const posts = received.filter(x => x.url === '/v1/runs/run-0001/log')
  t.ok(posts.every(p => p.headers['authorization'] === 'Bearer tg_cb_secret-token'))
  t.strictSame(posts[0]?.body.metrics[0], { key: 'train_loss', value: 0.5, step: 10 })
  t.equal(posts[0]?.body.batchId, `${job.name}-e0`)
  const d = await rawCall(emu.url, 'DescribeTrainingJob', { TrainingJobName: job.name })
  const finals = d.body['FinalMetricDataList'] as Array<{ MetricName: string, Value: number }>
  t.strictSame(finals.map(f => f.MetricName), DEFAULT_METRIC_DEFINITIONS.map(m => m.name), 'every default definition matched the log')
  t.equal(finals.find(f => f.MetricName === 'val:dice')?.Value, 0.9)
  t.equal(finals.find(f => f.MetricName === 'epoch')?.Value, 2)
})
