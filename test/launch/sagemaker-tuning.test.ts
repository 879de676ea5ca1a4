import t from 'tap'
import { eventually, startGateway, testConfig } from '../helper.js'
import { AWS_TEST_CREDENTIALS, launchConfig, readSse, ROLE, smSpec, startWithEmulator } from './jobs-helper.js'
import { rawCall } from '../emulators/sagemaker/raw-call.js'

const tuningBody = (over: Record<string, unknown> = {}) => {
  const { backend: _b, ...job } = smSpec({ strategy: 'single', instanceType: 'ml.g5.2xlarge', instanceCount: 1, spot: { maxWaitSeconds: 172800 }, hyperparameters: { epochs: 2 } })
  return {
    name: 'monai-hpo',
    backend: 'sagemaker',
    job,
    ranges: {
      lr: { type: 'continuous', min: 1e-5, max: 1e-2, scaling: 'log' },
      model: { type: 'categorical', values: ['UNet', 'SegResNet'] }
    },
    objective: { metric: 'val:dice', type: 'Maximize' },
    strategy: 'Bayesian',
    maxJobs: 5,
    maxParallelJobs: 2,
    ...over
  }
}

t.test('a SageMaker tuning job: trials discovered and claimed, each a run under the search run, objectives, best trial, cost', async t => {
  const { g, emu, p } = await startWithEmulator(t, { events: true })
  const created = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: tuningBody(), headers: { 'idempotency-key': 'sm-hpo' } })
  t.equal(created.status, 201, created.status === 201 ? 'created' : JSON.stringify(created.body))
  t.match(created.body, { backend: 'sagemaker', status: 'RUNNING', sagemaker: { tuningJobName: /^monai-hpo-\d{6}-\d{4}$/, arn: /hyper-parameter-tuning-job\/monai-hpo-/ } })
  const name = created.body.sagemaker.tuningJobName as string
  const sent = emu.requests.find(r => r.operation === 'CreateHyperParameterTuningJob')?.body as any
  t.notOk(JSON.stringify(sent).includes('"TRACKGATE_TOKEN"'), 'the shared definition carries no run token')
  t.match(sent.TrainingJobDefinition.Environment, { TRACKGATE_TUNING_JOB_ID: created.body.id, TRACKGATE_TUNING_TOKEN: /^tgt_/ })
  const sse = readSse(`${g.url}/v1/tuning-jobs/${created.body.id as string}/events`, p.keys.read, 60000)

  await emu.waitForTuning(name, 'Completed', 60000)
  const done = await eventually(async () => {
    const r = await g.call('GET', `/v1/tuning-jobs/${created.body.id as string}`, { auth: p.keys.read })
    return r.body.status === 'COMPLETED' ? r.body : undefined
  }, 30000, 'the gateway to see the search complete')
  t.equal(done.trials.length, 5)
  const emulated = emu.tuningJobs.get(name)
  t.same(done.trials.map((x: any) => x.trainingJobName).sort(), [...(emulated?.children ?? [])].sort(), 'every SageMaker trial is a gateway trial')
  t.equal(emu.claims.length, 5, 'each trial\'s container claimed its run')
  t.ok(emu.claims.every(c => c.status === 200), 'every claim answered')
  for (const trial of done.trials) {
    t.equal(trial.status, 'COMPLETED')
    t.type(trial.objective, 'number')
    t.ok(['UNet', 'SegResNet'].includes(trial.hyperparameters.model), 'categorical decoded to the value given')
    t.type(trial.hyperparameters.lr, 'number')
    const run = await g.call('GET', `/v1/runs/${trial.runId as string}/summary`, { auth: p.keys.read })
    t.equal(run.body.params.lr, trial.hyperparameters.lr, 'sampled values are the run\'s typed params')
    t.equal(run.body.metrics.val_dice?.value, trial.objective, 'the container\'s metrics landed in the trial\'s run')
  }
  const described = (await rawCall(emu.url, 'DescribeHyperParameterTuningJob', { HyperParameterTuningJobName: name })).body as any
  t.equal(done.best.trainingJobName, described.BestTrainingJob.TrainingJobName, 'the best trial is SageMaker\'s BestTrainingJob')
  const max = Math.max(...done.trials.map((x: any) => x.objective))
  t.equal(done.best.objective, max, 'which has the highest objective')
  t.match(done.counters, { completed: 5, inProgress: 0, objectiveSucceeded: 5 })
  t.ok(done.cost.cost > 0 && done.cost.savingsPercent > 0, `the search's cost with spot savings: ${JSON.stringify(done.cost)}`)
  const parent = await g.call('GET', `/v1/runs/${done.runId as string}`, { auth: p.keys.read })
  t.equal(parent.body.status, 'FINISHED')
  const kinds = (await sse).map(e => e.event)
  t.equal(kinds.filter(k => k === 'trial-ended').length, 5)
  t.equal(kinds.at(-1), 'end')
})

t.test('claims: a wrong token is 401, a training job of another tuning job is 403; stop ends the search STOPPED', async t => {
  const { g, emu, p } = await startWithEmulator(t, { emulator: { outcome: () => ({ kind: 'hang' }), container: { epochs: 1, stepsPerEpoch: 1 } } })
  const created = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: tuningBody({ maxJobs: 4, maxParallelJobs: 2 }) })
  t.equal(created.status, 201, created.status === 201 ? 'created' : JSON.stringify(created.body))
  const id = created.body.id as string
  const wrong = await g.call('POST', `/v1/tuning-jobs/${id}/claim`, { auth: 'tgt_wrong', body: { trainingJobName: 'x-001-deadbeef' } })
  t.equal(wrong.status, 401)
  const token = (emu.requests.find(r => r.operation === 'CreateHyperParameterTuningJob')?.body as any).TrainingJobDefinition.Environment.TRACKGATE_TUNING_TOKEN as string
  const foreign = await g.call('POST', `/v1/tuning-jobs/${id}/claim`, { auth: token, body: { trainingJobName: 'someone-else-001-deadbeef' } })
  t.equal(foreign.status, 403)
  t.match(foreign.body.message, /is not a training job of tuning job/)
  await eventually(async () => (await g.call('GET', `/v1/tuning-jobs/${id}`, { auth: p.keys.read })).body.trials.length === 2, 20000, 'two trials running')
  const stopped = await g.call('POST', `/v1/tuning-jobs/${id}/stop`, { auth: p.keys.write })
  t.equal(stopped.status, 200)
  const done = await eventually(async () => {
    const r = await g.call('GET', `/v1/tuning-jobs/${id}`, { auth: p.keys.read })
    return r.body.status === 'STOPPED' ? r.body : undefined
  }, 30000, 'the search stopped')
  t.ok(done.trials.every((x: any) => x.status === 'STOPPED'), 'its running trials stopped')
  t.equal((await g.call('POST', `/v1/tuning-jobs/${id}/stop`, { auth: p.keys.write })).status, 409)
})

t.test('SageMaker rules before AWS: Grid with an integer range, a bad job, warm pools', async t => {
  const { g, emu, p } = await startWithEmulator(t)
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ strategy: 'Grid', ranges: { batch_size: { type: 'integer', min: 1, max: 4 } } }, /ranges\.batch_size: SageMaker's grid search takes categorical ranges only/],
    [{ job: { ...tuningBody().job, instanceType: 'ml.nope.xlarge' } }, /job\.instanceType: .*not a SageMaker training instance type/],
    [{ job: { ...tuningBody().job, spot: undefined, keepAliveSeconds: 600 } }, /job\.keepAliveSeconds/]
  ]
  for (const [over, message] of cases) {
    const r = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: tuningBody(over) })
    t.equal(r.status, 400, JSON.stringify(over).slice(0, 100))
    t.match(r.body.message, message)
  }
  t.equal(emu.requests.filter(r => r.operation === 'CreateHyperParameterTuningJob').length, 0, 'SageMaker saw none of them')
})

t.test('a gateway restarted mid-search picks the tuning job up again: no trial twice, every run finished', async t => {
  const { g, emu, p } = await startWithEmulator(t, { emulator: { timings: { startingMs: 40, downloadingMs: 40, trainingMs: 400, uploadingMs: 40 } } })
  const created = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: tuningBody({ maxJobs: 4, maxParallelJobs: 2 }) })
  t.equal(created.status, 201)
  const id = created.body.id as string
  await eventually(async () => (await g.call('GET', `/v1/tuning-jobs/${id}`, { auth: p.keys.read })).body.trials.length >= 1, 20000, 'a first trial')
  await g.app.close()

  const config = launchConfig(testConfig(g.dataDir, { TRACKGATE_SAGEMAKER_ROLE_ARN: ROLE }).launch, { pollMinMs: 20, pollMaxMs: 100, describePerSecond: 200 })
  const g2 = await startGateway(t, { dataDir: g.dataDir, config, build: { launch: { sagemaker: { endpoint: emu.url, credentials: AWS_TEST_CREDENTIALS } } } })
  const done = await eventually(async () => {
    const r = await g2.call('GET', `/v1/tuning-jobs/${id}`, { auth: p.keys.read })
    return r.body.status === 'COMPLETED' ? r.body : undefined
  }, 60000, 'the search completed after the restart')
  t.equal(done.trials.length, 4)
  t.equal(new Set(done.trials.map((x: any) => x.trainingJobName)).size, 4, 'each SageMaker trial recorded once')
  for (const trial of done.trials) {
    t.equal((await g2.call('GET', `/v1/runs/${trial.runId as string}`, { auth: p.keys.read })).body.status, 'FINISHED', `trial ${trial.index as number} finished`)
  }
  t.equal(emu.requests.filter(q => q.operation === 'CreateHyperParameterTuningJob').length, 1, 'not created twice')
})
