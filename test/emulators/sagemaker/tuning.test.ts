import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { validateShape } from '../../../src/launch/sagemaker/api-model/index.js'
import { DEFAULT_METRIC_DEFINITIONS } from '../../../src/launch/metric-lines.js'
import { loadFixture } from '../../launch/sagemaker/fixtures.js'
import { tunedMetrics } from './container.js'
import { startSageMakerEmulator, type SageMakerEmulator } from './index.js'
import { isTerminal } from './jobs.js'
import { loadApiModel } from './model.js'
import { rawCall } from './raw-call.js'
import { decimalString, gridPoint, gridSize } from './tuning-sampling.js'

const { model } = loadApiModel()
const training = loadFixture('ddp-2x-g5-12xlarge').request as Record<string, any>
const { lr: _lr, model: _model, ...statics } = training['HyperParameters'] as Record<string, string>
const MODELS = ['"UNet"', '"SegResNet"']

type Req = Record<string, any>
type Summary = { TrainingJobName: string, TrainingJobStatus: string, TunedHyperParameters: Record<string, string>, FinalHyperParameterTuningJobObjectiveMetric?: { Value: number } }

/** A request shaped like the gateway's: SDK-style static hyperparameters, categoricals JSON-quoted. */
function tuningRequest (name: string, gateway = 'http://127.0.0.1:9', edit: (r: Req) => void = () => {}): Req {
  const r: Req = {
    HyperParameterTuningJobName: name,
    HyperParameterTuningJobConfig: {
      Strategy: 'Random',
      ResourceLimits: { MaxNumberOfTrainingJobs: 5, MaxParallelTrainingJobs: 2 },
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'val:dice' },
      ParameterRanges: {
        ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0.0001', MaxValue: '0.01', ScalingType: 'Logarithmic' }],
        IntegerParameterRanges: [{ Name: 'batch_size', MinValue: '2', MaxValue: '8' }],
        CategoricalParameterRanges: [{ Name: 'model', Values: MODELS }]
      },
      RandomSeed: 7
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: {
        TrainingImage: training['AlgorithmSpecification'].TrainingImage,
        TrainingInputMode: 'File',
        MetricDefinitions: DEFAULT_METRIC_DEFINITIONS.map(m => ({ Name: m.name, Regex: m.regex }))
      },
      RoleArn: training['RoleArn'],
      InputDataConfig: training['InputDataConfig'],
      OutputDataConfig: training['OutputDataConfig'],
      HyperParameterTuningResourceConfig: { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30, AllocationStrategy: 'Prioritized' },
      StoppingCondition: { MaxRuntimeInSeconds: 86400 },
      StaticHyperParameters: { ...statics, sagemaker_estimator_class_name: '"PyTorch"' },
      CheckpointConfig: { S3Uri: 's3://my-bucket/ckpt' },
      Environment: { TRACKGATE_URL: gateway, TRACKGATE_TUNING_JOB_ID: 'tune-0001', TRACKGATE_TUNING_TOKEN: 'tgt_tuning-secret' }
    },
    Tags: [{ Key: 'trackgate:tuning-job-id', Value: 'tune-0001' }]
  }
  edit(r)
  return r
}

const trialsOf = (emu: SageMakerEmulator, name: string): string[] => emu.tuningJobs.get(name)?.children ?? []

async function until (cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** A tiny gateway: answers claims (the first one with 503, as if it did not know the tuning job yet) and records log posts. */
async function startGateway (t: Test): Promise<{ url: string, claims: Req[], posts: Req[] }> {
  const claims: Req[] = []
  const posts: Req[] = []
  const runs = new Map<string, { runId: string, token: string }>()
  const server = createServer((req, res) => {
    let data = ''
    req.on('data', c => { data += String(c) })
    req.on('end', () => {
      const body = JSON.parse(data === '' ? '{}' : data)
      const record = { url: req.url, authorization: req.headers.authorization, body }
      if (req.url?.endsWith('/claim') === true) {
        claims.push(record)
        if (claims.length === 1) { res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"TG_UNAVAILABLE"}'); return }
        const known = runs.get(body.trainingJobName)
        const run = known ?? { runId: `run-${runs.size + 1}`, token: `tgr_${runs.size + 1}` }
        runs.set(body.trainingJobName, run)
        res.writeHead(known === undefined ? 201 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(run))
      } else {
        posts.push(record)
        res.writeHead(202, { 'content-type': 'application/json' }).end('{}')
      }
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, claims, posts }
}

t.test('a tuning job runs its trials in waves, claims runs, ranks and lists them', async t => {
  const gw = await startGateway(t)
  const emu = await startSageMakerEmulator({ container: { epochs: 2, stepsPerEpoch: 5 } })
  t.teardown(emu.close)
  let mostInProgress = 0
  t.teardown(emu.onChange(() => {
    const n = [...emu.jobs.values()].filter(j => j.tuning?.name === 'hpo-seg' && !isTerminal(j.primary)).length
    mostInProgress = Math.max(mostInProgress, n)
  }))
  // Trial 2 fails, trial 3 loses its spot instance once (and so starts its container twice).
  emu.queueOutcomes({ kind: 'complete' }, { kind: 'fail' }, { kind: 'spotInterrupt' })
  const created = await rawCall(emu.url, 'CreateHyperParameterTuningJob', tuningRequest('hpo-seg', gw.url))
  t.strictSame(created.body, { HyperParameterTuningJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/hpo-seg' })
  const early = await rawCall(emu.url, 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-seg' })
  t.equal(early.body['HyperParameterTuningJobStatus'], 'InProgress')

  await emu.waitForTuning('hpo-seg')
  t.equal(mostInProgress, 2, 'never more than MaxParallelTrainingJobs in progress, and that many at once')
  const names = trialsOf(emu, 'hpo-seg')
  t.equal(names.length, 5)
  t.ok(names.every((n, i) => new RegExp(`^hpo-seg-00${i + 1}-[0-9a-f]{8}$`).test(n)), names.join(' '))

  const d = (await rawCall(emu.url, 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-seg' })).body
  t.strictSame(validateShape(model, 'DescribeHyperParameterTuningJobResponse', d), [], 'Describe fits the model')
  t.equal(d['HyperParameterTuningJobStatus'], 'Completed')
  t.strictSame(d['TrainingJobStatusCounters'], { Completed: 4, InProgress: 0, RetryableError: 0, NonRetryableError: 1, Stopped: 0 })
  t.strictSame(d['ObjectiveStatusCounters'], { Succeeded: 4, Pending: 0, Failed: 1 })
  t.ok((d['HyperParameterTuningEndTime'] as number) >= (d['CreationTime'] as number))
  t.equal(d['LastModifiedTime'], d['HyperParameterTuningEndTime'])
  t.strictSame(d['TrainingJobDefinition'], tuningRequest('hpo-seg', gw.url)['TrainingJobDefinition'])

  const objectives = new Map<string, number>()
  for (const name of names) {
    const job = (await rawCall(emu.url, 'DescribeTrainingJob', { TrainingJobName: name })).body
    t.equal(job['TuningJobArn'], created.body['HyperParameterTuningJobArn'])
    const hp = job['HyperParameters'] as Record<string, string>
    const tuned = emu.jobs.get(name)?.tuning?.tuned ?? {}
    t.strictSame(hp, { ...statics, sagemaker_estimator_class_name: '"PyTorch"', ...tuned, _tuning_objective_metric: 'val:dice' })
    t.ok(MODELS.includes(String(tuned['model'])), `categorical passed verbatim: ${String(tuned['model'])}`)
    const lr = String(tuned['lr'])
    t.match(lr, /^\d+\.\d+$/, 'a decimal string')
    t.ok(Number(lr) >= 0.0001 && Number(lr) <= 0.01, `lr ${lr} in range`)
    t.ok(/^[2-8]$/.test(String(tuned['batch_size'])), `batch_size ${String(tuned['batch_size'])} in range`)
    t.strictSame(job['ResourceConfig'], { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 })
    const dice = (job['FinalMetricDataList'] as Array<{ MetricName: string, Value: number }> | undefined)?.find(m => m.MetricName === 'val:dice')?.Value
    t.equal(dice, tunedMetrics(hp, 1, 2).val['val_dice'], 'the objective follows the tuned lr and model')
    if (job['TrainingJobStatus'] === 'Completed' && dice !== undefined) objectives.set(name, dice)
  }
  const bestValue = Math.max(...objectives.values())
  const best = d['BestTrainingJob'] as Summary & Req
  t.equal(best.TrainingJobName, names.find(n => objectives.get(n) === bestValue), 'best by objective, earliest on a tie')
  t.strictSame(best.FinalHyperParameterTuningJobObjectiveMetric, { Type: 'Maximize', MetricName: 'val:dice', Value: bestValue })
  t.equal(best['TuningJobName'], 'hpo-seg')
  t.equal(best['ObjectiveStatus'], 'Succeeded')

  t.test('claims: one per container start, retried past a 503, then metrics with the run token', async t => {
    await until(() => emu.claims.length === 6 && emu.claims.every(c => c.runId !== undefined) && gw.posts.length === 12)
    t.strictSame(emu.claims.map(c => c.body.trainingJobName).sort(), [...names, names[2]].sort(),
      'every trial claims (the failed one too), the interrupted one on each start')
    t.equal(emu.claims.filter(c => c.attempts === 2).length, 1, 'the 503 was retried')
    t.ok(gw.claims.every(c => c.authorization === 'Bearer tgt_tuning-secret' && c.url === '/v1/tuning-jobs/tune-0001/claim'))
    const interrupted = names[2] ?? ''
    t.equal(emu.claims.filter(c => c.body.trainingJobName === interrupted).length, 2, 'a spot restart claims again (same run)')
    t.equal(new Set(emu.claims.filter(c => c.body.trainingJobName === interrupted).map(c => c.runId)).size, 1)
    for (const post of gw.posts) {
      const n = /^\/v1\/runs\/run-(\d+)\/log$/.exec(String(post.url))?.[1]
      t.equal(post.authorization, `Bearer tgr_${String(n)}`, 'posted with the claimed run token')
    }
    const last = gw.posts.find(p => p.body.batchId === `${names[0] ?? ''}-e1`)?.body.metrics.find((m: Req) => m.key === 'val_dice')?.value
    t.equal(last, objectives.get(names[0] ?? ''), 'the gateway sees the value SageMaker scrapes')
  })

  t.test('ListTrainingJobsForHyperParameterTuningJob', async t => {
    const list = async (body: Req): Promise<Req> => (await rawCall(emu.url, 'ListTrainingJobsForHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-seg', ...body })).body
    const seen: string[] = []
    let token: string | undefined
    let pages = 0
    do {
      const page = await list({ MaxResults: 2, ...(token !== undefined && { NextToken: token }) })
      t.strictSame(validateShape(model, 'ListTrainingJobsForHyperParameterTuningJobResponse', page), [])
      seen.push(...(page['TrainingJobSummaries'] as Summary[]).map(s => s.TrainingJobName))
      token = page['NextToken'] as string | undefined
      pages++
    } while (token !== undefined)
    t.equal(pages, 3)
    t.strictSame(seen, [...names].sort(), 'every trial once, by Name ascending (the documented default)')
    t.strictSame(((await list({}))['TrainingJobSummaries'] as Summary[]).length, 5, 'MaxResults defaults to 10')
    const failed = (await list({ StatusEquals: 'Failed' }))['TrainingJobSummaries'] as Array<Summary & Req>
    t.strictSame(failed.map(s => [s.TrainingJobName, s['ObjectiveStatus']]), [[names[1], 'Failed']])
    t.match(failed[0]?.['FailureReason'], /^AlgorithmError/)
    const ranked = (await list({ SortBy: 'FinalObjectiveMetricValue', SortOrder: 'Descending' }))['TrainingJobSummaries'] as Summary[]
    t.equal(ranked.length, 4, 'trials without an objective are left out')
    t.equal(ranked[0]?.TrainingJobName, best.TrainingJobName)
    t.ok(ranked.every((s, i) => i === 0 || (s.FinalHyperParameterTuningJobObjectiveMetric?.Value ?? 0) <= (ranked[i - 1]?.FinalHyperParameterTuningJobObjectiveMetric?.Value ?? 0)))
    const bad = await rawCall(emu.url, 'ListTrainingJobsForHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-seg', NextToken: 'nope' })
    t.equal(bad.body['__type'], 'ValidationException')
    const missing = await rawCall(emu.url, 'ListTrainingJobsForHyperParameterTuningJob', { HyperParameterTuningJobName: 'other' })
    t.strictSame(missing.body, { __type: 'ResourceNotFound', Message: "Amazon SageMaker can't find a tuning job called other. Type another name." })
    emu.throttle(1, ['ListTrainingJobsForHyperParameterTuningJob'])
    t.strictSame((await list({})), { __type: 'ThrottlingException', message: 'Rate exceeded' })
    const all = (await rawCall(emu.url, 'ListTrainingJobs', { MaxResults: 100 })).body['TrainingJobSummaries'] as Summary[]
    t.equal(all.length, 5, 'trials are ordinary training jobs too')
  })
})

t.test('stop: Stopping, every running trial stopped, then Stopped; no new trials', async t => {
  // A long Stopping phase: the Describe right after the Stop must see it, however loaded the machine.
  const emu = await startSageMakerEmulator({ outcome: () => ({ kind: 'hang' }), timings: { launchMs: 150, stoppingMs: 3000 } })
  t.teardown(emu.close)
  await rawCall(emu.url, 'CreateHyperParameterTuningJob', tuningRequest('hpo-stop', undefined, r => { r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 4 }))
  await until(() => trialsOf(emu, 'hpo-stop').length === 2)
  await Promise.all(trialsOf(emu, 'hpo-stop').map(async n => await emu.waitFor(n, 'Training')))
  t.strictSame((await rawCall(emu.url, 'StopHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-stop' })).body, {})
  const stopping = (await rawCall(emu.url, 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-stop' })).body
  t.equal(stopping['HyperParameterTuningJobStatus'], 'Stopping')
  t.equal((stopping['TrainingJobStatusCounters'] as Req)['InProgress'], 2, 'Stopping trials count as in progress')
  await emu.waitForTuning('hpo-stop')
  const d = (await rawCall(emu.url, 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-stop' })).body
  t.equal(d['HyperParameterTuningJobStatus'], 'Stopped')
  t.strictSame(d['TrainingJobStatusCounters'], { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 2 })
  t.equal(d['BestTrainingJob'], undefined)
  t.strictSame(trialsOf(emu, 'hpo-stop').map(n => emu.jobs.get(n)?.transitions.map(x => x.Status).slice(-2)), [['Stopping', 'Stopped'], ['Stopping', 'Stopped']])
  await new Promise(resolve => setTimeout(resolve, 170))
  t.equal(trialsOf(emu, 'hpo-stop').length, 2, 'no trial launched after the stop')
  const again = await rawCall(emu.url, 'StopHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-stop' })
  t.strictSame(again.body, { __type: 'ValidationException', message: 'The request was rejected because the hyperparameter tuning job is in status Stopped.' })
  t.equal((await rawCall(emu.url, 'StopHyperParameterTuningJob', { HyperParameterTuningJobName: 'nope' })).body['__type'], 'ResourceNotFound')

  await rawCall(emu.url, 'CreateHyperParameterTuningJob', tuningRequest('hpo-stop-now'))
  await rawCall(emu.url, 'StopHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-stop-now' })
  t.equal(emu.tuningJobs.get('hpo-stop-now')?.status, 'Stopping', 'Stopping even with no trial yet')
  t.equal((await emu.waitForTuning('hpo-stop-now')).status, 'Stopped')
  t.equal(trialsOf(emu, 'hpo-stop-now').length, 0)
})

t.test('Failed when every trial fails, or when a trial cannot be launched', async t => {
  const emu = await startSageMakerEmulator({ instanceLimits: { 'ml.g5.2xlarge': 1 }, outcome: r => (r['ResourceConfig'] as Req)['InstanceType'] === 'ml.g5.xlarge' ? { kind: 'fail' } : { kind: 'complete' } })
  t.teardown(emu.close)
  await rawCall(emu.url, 'CreateHyperParameterTuningJob', tuningRequest('hpo-fails', undefined, r => { r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = 2 }))
  const failed = await emu.waitForTuning('hpo-fails')
  t.strictSame([failed.status, failed.children.length], ['Failed', 2])
  const d = (await rawCall(emu.url, 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: 'hpo-fails' })).body
  t.match(d['FailureReason'], /All training jobs .* failed/)
  t.equal((d['TrainingJobStatusCounters'] as Req)['NonRetryableError'], 2)

  await rawCall(emu.url, 'CreateHyperParameterTuningJob', tuningRequest('hpo-quota', undefined, r => { r.TrainingJobDefinition.HyperParameterTuningResourceConfig.InstanceType = 'ml.g5.2xlarge' }))
  const quota = await emu.waitForTuning('hpo-quota')
  t.equal(quota.status, 'Failed')
  t.equal(quota.children.length, 1, 'the second trial of the wave was refused')
  t.match(quota.failureReason, /^ResourceLimitExceeded: The account-level service limit 'ml.g5.2xlarge for training job usage' is 1 Instances/)
})

t.test('Grid enumerates; a RandomSeed repeats the same trials', async t => {
  t.equal(gridSize({ CategoricalParameterRanges: [{ Name: 'm', Values: ['a', 'b'] }], IntegerParameterRanges: [{ Name: 'n', MinValue: '1', MaxValue: '3' }] }), 6)
  t.strictSame(gridPoint({ CategoricalParameterRanges: [{ Name: 'm', Values: ['a', 'b'] }], IntegerParameterRanges: [{ Name: 'n', MinValue: '1', MaxValue: '3' }] }, 4), { m: 'b', n: '2' })
  t.strictSame([decimalString(0.000312457891), decimalString(3e-7), decimalString(12.5)], ['0.000312458', '0.0000003', '12.5'])
  const emu = await startSageMakerEmulator()
  t.teardown(emu.close)
  const grid = tuningRequest('hpo-grid', undefined, r => {
    r.HyperParameterTuningJobConfig.Strategy = 'Grid'
    delete r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs
    delete r.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges
    r.HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MaxValue = '3'
  })
  t.equal((await rawCall(emu.url, 'CreateHyperParameterTuningJob', grid)).status, 200)
  const seeded = (name: string): Req => tuningRequest(name, undefined, r => { r.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 3 } })
  await rawCall(emu.url, 'CreateHyperParameterTuningJob', seeded('hpo-seed-a'))
  await rawCall(emu.url, 'CreateHyperParameterTuningJob', seeded('hpo-seed-b'))
  const tunedOf = async (name: string): Promise<Array<Record<string, string>>> =>
    (await emu.waitForTuning(name)).children.map(n => emu.jobs.get(n)?.tuning?.tuned ?? {})
  t.strictSame((await tunedOf('hpo-grid')).map(x => `${x['model'] ?? ''} ${x['batch_size'] ?? ''}`),
    ['"UNet" 2', '"UNet" 3', '"SegResNet" 2', '"SegResNet" 3'], 'every combination once')
  t.strictSame(await tunedOf('hpo-seed-a'), await tunedOf('hpo-seed-b'))
})

t.test('create-time rules, ResourceInUse and ResourceNotFound', async t => {
  const emu = await startSageMakerEmulator()
  t.teardown(emu.close)
  const cases: Array<[string, (r: Req) => void, RegExp]> = [
    ['MaxWait without spot', r => { r.TrainingJobDefinition.StoppingCondition.MaxWaitTimeInSeconds = 90000 }, /^Invalid MaxWaitTimeInSeconds\. It is only supported when EnableManagedSpotTraining is set to true$/],
    ['MaxWait below MaxRuntime', r => { r.TrainingJobDefinition.EnableManagedSpotTraining = true; r.TrainingJobDefinition.StoppingCondition.MaxWaitTimeInSeconds = 3600 }, /^Invalid MaxWaitTimeInSeconds 3600\. It must be equal to or greater than MaxRuntimeInSeconds 86400$/],
    ['range named like a static hyperparameter', r => { r.TrainingJobDefinition.StaticHyperParameters.lr = '0.001' }, /^The hyperparameter 'lr' is both in StaticHyperParameters and in ParameterRanges/],
    ['min equal to max', r => { r.HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MinValue = '8' }, /^The MinValue \(8\) of the IntegerParameterRange 'batch_size' must be less than its MaxValue \(8\)\.$/],
    ['min above max', r => { r.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue = '0.1' }, /^The MinValue \(0\.1\) of the ContinuousParameterRange 'lr' must be less than its MaxValue \(0\.01\)\.$/],
    ['bound not a number', r => { r.HyperParameterTuningJobConfig.ParameterRanges.IntegerParameterRanges[0].MaxValue = '8.5' }, /IntegerParameterRange 'batch_size' must be integers\.$/],
    ['Logarithmic with min 0', r => { r.HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0].MinValue = '0' }, /^Logarithmic scaling needs a MinValue greater than 0, but the ContinuousParameterRange 'lr' has MinValue 0\.$/],
    ['Grid with a continuous range', r => { r.HyperParameterTuningJobConfig.Strategy = 'Grid' }, /^The Grid strategy cannot search ContinuousParameterRanges/],
    ['objective not a metric definition', r => { r.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName = 'val:iou' }, /^The objective metric 'val:iou' is not one of the MetricDefinitions of the AlgorithmSpecification \[epoch, train:loss, train:lr, val:loss, val:dice\]/],
    ['both resource configs', r => { r.TrainingJobDefinition.ResourceConfig = { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 } }, /^Specify either ResourceConfig or HyperParameterTuningResourceConfig in the TrainingJobDefinition, not both\.$/],
    ['keep-alive in a tuning job', r => {
      delete r.TrainingJobDefinition.HyperParameterTuningResourceConfig
      r.TrainingJobDefinition.ResourceConfig = { InstanceType: 'ml.g5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30, KeepAlivePeriodInSeconds: 600 }
    }, /^KeepAlivePeriodInSeconds is not supported for hyperparameter tuning jobs/],
    ['Random without MaxNumberOfTrainingJobs', r => { delete r.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs }, /^ResourceLimits\.MaxNumberOfTrainingJobs is required for the Random strategy\.$/],
    ['name over 32 characters (model)', r => { r.HyperParameterTuningJobName = 'h'.repeat(33) }, /at 'hyperParameterTuningJobName' .*less than or equal to 32/]
  ]
  for (const [label, edit, message] of cases) {
    const res = await rawCall(emu.url, 'CreateHyperParameterTuningJob', tuningRequest('hpo-rule', undefined, edit))
    t.match([res.status, res.body['__type'], res.body['message']], [400, 'ValidationException', message], label)
  }
  t.equal(emu.tuningJobs.size, 0, 'nothing rejected was created')

  t.equal((await rawCall(emu.url, 'CreateHyperParameterTuningJob', tuningRequest('hpo-dup'))).status, 200)
  const dup = await rawCall(emu.url, 'CreateHyperParameterTuningJob', tuningRequest('hpo-dup'))
  t.strictSame(dup.body, { __type: 'ResourceInUse', Message: 'A hyperparameter tuning job with the name, hpo-dup, already exists. Choose a different name.' })
  const missing = await rawCall(emu.url, 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: 'DEMO-hpo-mxnet' })
  t.strictSame([missing.status, missing.body], [400, { __type: 'ResourceNotFound', Message: "Amazon SageMaker can't find a tuning job called DEMO-hpo-mxnet. Type another name." }])
})
