import t from 'tap'
import { eventually } from '../helper.js'
import type { SageMakerApi } from '../../src/launch/sagemaker/client.js'
import { SageMakerUnavailableError } from '../../src/launch/sagemaker/errors.js'
import { smSpec, startWithEmulator, waitJob } from '../launch/jobs-helper.js'

t.test('launch → transitions → metrics from the container → COMPLETED, run FINISHED, cost and final metrics', async t => {
  const { g, emu, p } = await startWithEmulator(t)
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec() })
  t.equal(r.status, 201, JSON.stringify(r.body))
  t.match(r.body, { name: 'monai-seg', backend: 'sagemaker', status: 'PENDING', secondaryStatus: 'Starting', local: null })
  t.match(r.body.sagemaker.trainingJobName, /^monai-seg-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d{3}$/)
  t.equal(r.body.sagemaker.trainingJobArn, `arn:aws:sagemaker:us-east-1:123456789012:training-job/${String(r.body.sagemaker.trainingJobName).toLowerCase()}`)

  const create = emu.requests.find(q => q.operation === 'CreateTrainingJob')?.body as Record<string, any>
  t.equal(create.Environment.TRACKGATE_RUN_ID, r.body.runId)
  t.match(create.Environment.TRACKGATE_TOKEN, /^tgr_/, 'the container gets the run token')
  t.equal(create.Environment.TRACKGATE_URL, g.url)
  t.equal(create.RoleArn, 'arn:aws:iam::123456789012:role/SageMakerRole', 'the gateway default role')

  const done = await waitJob(g, p.keys.read, r.body.id)
  t.match(done, { status: 'COMPLETED', secondaryStatus: 'Completed', failureReason: null, billableSeconds: Number, trainingSeconds: Number })
  t.match(done.cost, { currency: 'USD', pricePerInstanceHour: 7.09, instanceCount: 2, cost: Number, savingsPercent: null })
  t.ok(done.finalMetrics.some((m: { name: string }) => m.name === 'val:dice'), 'FinalMetricDataList kept')
  const history = await g.call('GET', `/v1/jobs/${r.body.id}/history`, { auth: p.keys.read })
  const seen = history.body.items.map((e: { secondaryStatus: string | null }) => e.secondaryStatus)
  // Polling alone may miss a short phase (the EventBridge test sees every one); order is kept.
  t.same(seen.slice(0, 2), [null, 'Starting'])
  t.equal(seen.at(-1), 'Completed')
  t.ok(seen.includes('Training'))

  await eventually(async () => emu.containerPosts.length === 2 && emu.containerPosts.every(c => c.status === 202), 5000, 'container posts')
  const summary = await g.call('GET', `/v1/runs/${r.body.runId}/summary`, { auth: p.keys.read })
  t.match(summary.body, { status: 'FINISHED', metrics: { val_dice: { value: 0.9, step: 10 }, train_loss: {} } })
  const run = await g.call('GET', `/v1/runs/${r.body.runId}`, { auth: p.keys.read })
  t.equal(run.body.jobName, r.body.sagemaker.trainingJobName)

  const everything = JSON.stringify([r.body, done, history.body, (await g.call('GET', '/v1/jobs', { auth: p.keys.read })).body])
  t.notMatch(everything, /tgr_/, 'the token is in no API answer')
  t.notMatch(g.logs.join(''), /tgr_/, 'nor in the logs')
  t.notMatch(g.logs.join(''), /TRACKGATE_TOKEN/, 'no Describe output was logged')
})

t.test('failed with a reason; max-runtime timeout is TIMED_OUT and the run FAILED; spot savings', async t => {
  const { g, emu, p } = await startWithEmulator(t, { emulator: { container: undefined } })
  emu.queueOutcomes({ kind: 'fail', reason: 'AlgorithmError: out of memory' }, { kind: 'maxRuntime' }, { kind: 'complete' })
  const failed = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec({ name: 'fails' }) })
  const timeout = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec({ name: 'times-out' }) })
  const spot = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec({ name: 'spot', spot: { maxWaitSeconds: 172800 } }) })
  t.match(await waitJob(g, p.keys.read, failed.body.id), { status: 'FAILED', failureReason: 'AlgorithmError: out of memory' })
  t.match(await waitJob(g, p.keys.read, timeout.body.id), { status: 'TIMED_OUT', secondaryStatus: 'MaxRuntimeExceeded', failureReason: /^MaxRuntimeExceeded: Training job runtime exceeded/ })
  const s = await waitJob(g, p.keys.read, spot.body.id)
  t.match(s, { status: 'COMPLETED', cost: { savingsPercent: Number } })
  t.ok(s.cost.savingsPercent > 50 && s.cost.savings > 0, `spot savings ${s.cost.savingsPercent}%`)
  const status = async (runId: string): Promise<string> => (await g.call('GET', `/v1/runs/${runId}`, { auth: p.keys.read })).body.status
  t.equal(await status(failed.body.runId), 'FAILED')
  t.equal(await status(timeout.body.runId), 'FAILED', 'a timeout is a failure, not a stop by the user')
  t.equal(await status(spot.body.runId), 'FINISHED')
})

t.test('stopped by the user: StopTrainingJob, STOPPING, then STOPPED and the run KILLED', async t => {
  const { g, emu, p } = await startWithEmulator(t, { emulator: { outcome: () => ({ kind: 'hang' }), container: undefined } })
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec() })
  await waitJob(g, p.keys.read, r.body.id, 'RUNNING')
  const s = await g.call('POST', `/v1/jobs/${r.body.id}/stop`, { auth: p.keys.write })
  t.match(s, { status: 200, body: { status: 'STOPPING', stopRequested: true } })
  t.equal(emu.requests.filter(q => q.operation === 'StopTrainingJob').length, 1)
  t.match(await waitJob(g, p.keys.read, r.body.id), { status: 'STOPPED', secondaryStatus: 'Stopped' })
  t.equal((await g.call('GET', `/v1/runs/${r.body.runId}`, { auth: p.keys.read })).body.status, 'KILLED')
  t.match(await g.call('POST', `/v1/jobs/${r.body.id}/stop`, { auth: p.keys.write }), { status: 409 })
})

t.test('Idempotency-Key: a retry and a concurrent duplicate give one job and one CreateTrainingJob', async t => {
  const { g, emu, p } = await startWithEmulator(t, { emulator: { outcome: () => ({ kind: 'hang' }), container: undefined } })
  const post = async (key: string, body = smSpec()) => await g.call('POST', '/v1/jobs', { auth: p.keys.write, body, headers: { 'idempotency-key': key } })
  const [a, b, c] = await Promise.all([post('k-1'), post('k-1'), post('k-1')])
  t.equal(a.status, 201)
  t.ok(a.body.id === b.body.id && b.body.id === c.body.id, 'one job')
  t.equal([a, b, c].filter(x => x.headers.get('idempotent-replayed') === 'true').length, 2)
  t.ok([a, b, c].every(x => x.body.sagemaker.trainingJobArn !== null), 'every answer waited for the launch')
  const later = await post('k-1')
  t.equal(later.body.id, a.body.id)
  t.equal(emu.requests.filter(q => q.operation === 'CreateTrainingJob').length, 1, 'one CreateTrainingJob')
  const other = await post('k-1', smSpec({ name: 'different' }))
  t.match(other, { status: 409, body: { code: 'TG_IDEMPOTENCY_CONFLICT' } })
  t.equal((await g.call('GET', '/v1/jobs', { auth: p.keys.read })).body.items.length, 1)
  t.equal((await g.call('GET', '/v1/runs', { auth: p.keys.read })).body.items.length, 1, 'one run too')
})

t.test('a create whose answer was lost is resubmitted under the same name: ResourceInUse for our run is "already submitted"', async t => {
  let lose = 1
  const wrap = (api: SageMakerApi): SageMakerApi => ({
    ...api,
    createTrainingJob: async (req) => {
      const out = await api.createTrainingJob(req)
      if (lose-- > 0) throw new SageMakerUnavailableError('NetworkingError', 'socket hang up')
      return out
    }
  })
  const { g, emu, p } = await startWithEmulator(t, { emulator: { outcome: () => ({ kind: 'hang' }), container: undefined }, wrapApi: wrap })
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec() })
  t.equal(r.body.status, 'SUBMITTING', 'the create answer was lost')
  const job = await waitJob(g, p.keys.read, r.body.id, 'RUNNING')
  t.match(job.sagemaker.trainingJobArn, /^arn:aws:sagemaker:/)
  t.same(emu.requests.filter(q => q.operation === 'CreateTrainingJob').map(q => q.errorType ?? 'ok'), ['ok', 'ResourceInUse'])
  t.equal(emu.jobs.size, 1, 'one SageMaker job')
})

t.test('throttled creates are resubmitted until SageMaker accepts; a name taken by someone else fails the job', async t => {
  const { g, emu, p } = await startWithEmulator(t, { emulator: { outcome: () => ({ kind: 'hang' }), container: undefined } })
  emu.throttle(6, ['CreateTrainingJob'])
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec() })
  t.equal(r.body.status, 'SUBMITTING', 'still SUBMITTING after the SDK\'s own retries')
  t.match((await waitJob(g, p.keys.read, r.body.id, 'RUNNING')).sagemaker.trainingJobArn, /^arn:aws:sagemaker:/)
  t.equal(emu.jobs.size, 1)

  let first = true
  const { g: g2, p: p2 } = await startWithEmulator(t, {
    emulator: { outcome: () => ({ kind: 'hang' }), container: undefined },
    wrapApi: api => ({
      ...api,
      createTrainingJob: async (req) => {
        if (first) { first = false; await api.createTrainingJob({ ...req, Environment: { ...req.Environment, TRACKGATE_RUN_ID: 'someone-else' } }) }
        return await api.createTrainingJob(req)
      }
    })
  })
  const taken = await g2.call('POST', '/v1/jobs', { auth: p2.keys.write, body: smSpec() })
  t.match(taken.body, { status: 'FAILED', failureReason: /already exists and belongs to another run/ })
  t.equal((await g2.call('GET', `/v1/runs/${taken.body.runId as string}`, { auth: p2.keys.read })).body.status, 'FAILED')
})

t.test('validation: one 400 per request listing every problem, per rule class', async t => {
  const { g, emu, p } = await startWithEmulator(t)
  const bad = async (body: Record<string, unknown>) => {
    const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body })
    t.equal(r.status, 400, JSON.stringify(r.body))
    return r.body as { code: string, message: string, statusCode: number, error: string }
  }
  // schema: shapes and formats
  t.match(await bad(smSpec({ name: 'bad_name' })), { code: 'TG_VALIDATION', message: /body\/name must match pattern/ })
  t.match(await bad(smSpec({ model: 'ResNet' })), { code: 'TG_VALIDATION', message: /body\/model/ })
  // service rules, several at once
  const many = await bad(smSpec({ spot: { maxWaitSeconds: 10 }, keepAliveSeconds: 600, instanceType: 'ml.m5.xlarge', hyperparameters: { sagemaker_program: 'x' } }))
  t.match(many, { code: 'TG_INVALID_JOB', statusCode: 400, error: 'Bad Request' })
  t.match(many.message, /keepAliveSeconds: SageMaker managed warm pools cannot be used with spot instances/)
  t.match(many.message, /spot\.maxWaitSeconds: MaxWaitTimeInSeconds \(10\) must be equal to or greater than MaxRuntimeInSeconds \(86400\)/)
  t.match(many.message, /instanceType: strategy ddp needs a GPU instance/)
  t.match(many.message, /hyperparameters\.sagemaker_program: hyperparameter sagemaker_program is reserved/)
  // instance type enum, single with many instances, reserved env, tags, S3 + output
  t.match((await bad(smSpec({ instanceType: 'ml.g9.huge' }))).message, /instanceType: ml\.g9\.huge is not a SageMaker training instance type/)
  t.match((await bad(smSpec({ strategy: 'single' }))).message, /instanceCount: strategy single runs one training process/)
  t.match((await bad(smSpec({ environment: { TRACKGATE_TOKEN: 'x' } }))).message, /environment\.TRACKGATE_TOKEN: environment variable TRACKGATE_TOKEN is reserved/)
  t.match((await bad(smSpec({ tags: { 'aws:x': 'y' } }))).message, /tags\.aws:x: tag key aws:x: the aws: prefix is reserved/)
  t.match((await bad(smSpec({ outputS3Uri: undefined, data: { train: '/local/train' } }))).message, /outputS3Uri: outputS3Uri is required for the sagemaker backend.*data\.train: SageMaker reads channels from S3/)
  // API-model limits (hyperparameter value length)
  t.match((await bad(smSpec({ hyperparameters: { big: 'x'.repeat(3000) } }))).message, /hyperparameters\.big: SageMaker/)
  t.match((await bad(smSpec({ sinks: ['nosuch'] }))), { code: 'TG_VALIDATION', message: /body\/sinks\/0/ })
  t.equal(emu.requests.length, 0, 'SageMaker never saw an invalid job')
  t.equal((await g.call('GET', '/v1/jobs', { auth: p.keys.read })).body.items.length, 0)
})

t.test('jobs are scoped to the project and listed with filters and cursors', async t => {
  const { g, p } = await startWithEmulator(t, { emulator: { container: undefined } })
  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push((await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec({ name: `j${i}` }) })).body.id)
  const page1 = await g.call('GET', '/v1/jobs?limit=2', { auth: p.keys.read })
  t.same(page1.body.items.map((j: { id: string }) => j.id), [ids[2], ids[1]])
  const page2 = await g.call('GET', `/v1/jobs?limit=2&cursor=${page1.body.nextCursor as string}`, { auth: p.keys.read })
  t.same(page2.body.items.map((j: { id: string }) => j.id), [ids[0]])
  t.equal(page2.body.nextCursor, null)
  t.equal((await g.call('GET', '/v1/jobs?backend=local', { auth: p.keys.read })).body.items.length, 0)
  const other = await (await import('../helper.js')).seedProject(g, 'other')
  t.match(await g.call('GET', `/v1/jobs/${ids[0] as string}`, { auth: other.keys.read }), { status: 404, body: { code: 'TG_NOT_FOUND' } })
  t.match(await g.call('POST', `/v1/jobs/${ids[0] as string}/stop`, { auth: p.keys.read }), { status: 403 })
  t.match(await g.call('GET', '/v1/jobs'), { status: 401 })
})
