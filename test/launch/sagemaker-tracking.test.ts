import t from 'tap'
import { EVENTS_SECRET, describes, smSpec, startWithEmulator, waitJob, ROLE, AWS_TEST_CREDENTIALS, launchConfig } from './jobs-helper.js'
import { startGateway, testConfig } from '../helper.js'

t.test('EventBridge: every transition arrives, duplicates and stale events are ignored, polling slows down', async t => {
  const { g, emu, p } = await startWithEmulator(t, { events: true, emulator: { container: undefined } })
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec() })
  const done = await waitJob(g, p.keys.read, r.body.id)
  t.equal(done.status, 'COMPLETED')
  const history = await g.call('GET', `/v1/jobs/${r.body.id}/history`, { auth: p.keys.read })
  t.same(history.body.items.map((e: { secondaryStatus: string | null }) => e.secondaryStatus), [null, 'Starting', 'Downloading', 'Training', 'Uploading', 'Completed'], 'no phase missed')
  t.ok(history.body.items.slice(2).some((e: { source: string }) => e.source === 'event'), 'transitions came from events')

  const post = async (event: unknown, secret = EVENTS_SECRET) => await g.call('POST', '/v1/events/sagemaker', { body: event, headers: { 'x-trackgate-eventbridge-secret': secret } })
  const last = emu.events.at(-1)?.event
  t.equal((await post(last)).body.outcome, 'duplicate', 'the same state again (EventBridge may send several) is a duplicate')
  t.equal((await post(last)).body.outcome, 'duplicate')
  for (const e of emu.events.slice(0, -1)) t.equal((await post(e.event)).body.outcome, 'stale', 'a replayed earlier state is stale')
  const older = structuredClone(emu.events[2]?.event) as { detail: Record<string, unknown> }
  older.detail['SecondaryStatus'] = 'Downloading'
  older.detail['LastModifiedTime'] = 1
  t.equal((await post(older)).body.outcome, 'stale', 'an event older than what we have is stale')
  t.equal((await g.call('GET', `/v1/jobs/${r.body.id}`, { auth: p.keys.read })).body.status, 'COMPLETED')
  t.equal((await g.call('GET', `/v1/jobs/${r.body.id}/history`, { auth: p.keys.read })).body.items.length, 6, 'no event recorded twice')
  const foreign = structuredClone(emu.events[0]?.event) as { detail: Record<string, unknown> }
  foreign.detail['TrainingJobName'] = 'not-ours'
  t.equal((await post(foreign)).body.outcome, 'unknown')
  t.equal((await post({ source: 'aws.sagemaker', 'detail-type': 'SageMaker Endpoint State Change', detail: {} })).body.outcome, 'ignored')
  t.match(await post(emu.events[0]?.event, 'wrong-secret-0123456789'), { status: 401, body: { code: 'TG_UNAUTHORIZED' } })
  t.match(await g.call('POST', '/v1/events/sagemaker', { body: emu.events[0]?.event }), { status: 401 })
  t.equal(g.app.sagemakerTracker.stats.duplicateEvents, 2)

  // With events flowing, a second job is mostly polled at the slow reconciliation interval.
  const before = describes(emu)
  const r2 = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec({ name: 'second' }) })
  await waitJob(g, p.keys.read, r2.body.id)
  t.ok(describes(emu) - before <= 3, `describes for the second job: ${describes(emu) - before}`)
})

t.test('the webhook is off without TRACKGATE_EVENTS_SECRET', async t => {
  const { g } = await startWithEmulator(t)
  t.match(await g.call('POST', '/v1/events/sagemaker', { body: {}, headers: { 'x-trackgate-eventbridge-secret': 'x' } }), { status: 404, body: { code: 'TG_NOT_FOUND', message: /TRACKGATE_EVENTS_SECRET/ } })
})

t.test('throttling storm: every job still ends, the tracker backs off and stays near the limit', async t => {
  const { g, emu, p } = await startWithEmulator(t, {
    emulator: { container: undefined, rateLimits: { DescribeTrainingJob: 20 }, timings: { startingMs: 100, downloadingMs: 100, trainingMs: 600, uploadingMs: 100 } },
    launch: { describePerSecond: 500, pollMinMs: 10, pollMaxMs: 50 }
  })
  emu.throttle(40, ['DescribeTrainingJob'])
  const ids: string[] = []
  for (let i = 0; i < 15; i++) ids.push((await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec({ name: `storm-${i}` }) })).body.id)
  for (const id of ids) t.equal((await waitJob(g, p.keys.read, id, undefined, 25000)).status, 'COMPLETED')
  const d = emu.requests.filter(q => q.operation === 'DescribeTrainingJob')
  const throttled = d.filter(q => q.errorType === 'ThrottlingException').length
  t.ok(g.app.sagemakerTracker.stats.throttled > 0, `throttled ${throttled} of ${d.length}`)
  t.ok(throttled - 40 <= 5, `after the forced storm the 20 rps limit throttled ${throttled - 40} calls`)
  t.match(g.logs.join(''), /SageMaker throttled DescribeTrainingJob; slowing down/)
})

t.test('gateway restarted mid-job: tracking resumes from the store; a create that never reached SageMaker fails with a reason', async t => {
  const { g, emu, p } = await startWithEmulator(t, { emulator: { container: undefined, timings: { startingMs: 50, downloadingMs: 50, trainingMs: 800, uploadingMs: 50 } } })
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec() })
  await waitJob(g, p.keys.read, r.body.id, 'RUNNING')
  const lost = await g.app.jobStore.insert({
    id: '33333333-3333-4333-8333-333333333333',
    projectId: p.id,
    runId: '44444444-4444-4444-8444-444444444444',
    backend: 'sagemaker',
    name: 'lost',
    spec: smSpec({ name: 'lost' }),
    sagemakerJobName: 'lost-2024-01-01-00-00-00-000',
    region: null,
    idempotencyKey: null,
    requestHash: null,
    createdAt: Date.now()
  }, { at: Date.now(), status: 'SUBMITTING', secondaryStatus: null, message: null, source: 'test' })
  await g.app.close()
  const creates = emu.requests.filter(q => q.operation === 'CreateTrainingJob').length

  const config = launchConfig(testConfig(g.dataDir, { TRACKGATE_SAGEMAKER_ROLE_ARN: ROLE }).launch, { pollMinMs: 20, pollMaxMs: 100, describePerSecond: 200 })
  const g2 = await startGateway(t, { dataDir: g.dataDir, config, build: { launch: { sagemaker: { endpoint: emu.url, credentials: AWS_TEST_CREDENTIALS } } } })
  const done = await waitJob(g2, p.keys.read, r.body.id)
  t.match(done, { status: 'COMPLETED', billableSeconds: Number })
  t.equal((await g2.call('GET', `/v1/runs/${r.body.runId}`, { auth: p.keys.read })).body.status, 'FINISHED')
  t.match(await waitJob(g2, p.keys.read, lost.job.id), { status: 'FAILED', failureReason: /restarted before SageMaker accepted the job/ })
  t.equal(emu.requests.filter(q => q.operation === 'CreateTrainingJob').length, creates, 'nothing was launched twice')
})
