import t from 'tap'
import { seedProject, startGateway } from '../helper.js'
import { type RunView } from '../emulators/mlflow/index.js'
import { allDrained, callOf, until, waitSinks } from './e2e-helper.js'
import { FAST, Point, emulator, remoteRuns, assertPoints, special, wide, log } from './mlflow-helper.js'

/**
 * Issue 3 ("Tests"), end to end: container-style callbacks through the real gateway (real HTTP,
 * real SQLite run log, real dispatcher, the real MLflow sink wired from MLFLOW_* variables or a
 * per-project target) into the MLflow emulator, and what the emulator holds afterwards.
 */

t.test('callbacks → the emulator holds the same points once (NaN, ±Inf, 5,000 in one callback, 200 keys), params, tags, experiment, final status and end time', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: { ...FAST, MLFLOW_TRACKING_URI: emu.url } })
  const call = callOf(g)
  const p = await seedProject(g)
  const t0 = Date.now() - 60_000

  const runs = [
    { body: { name: 'seg-unet-1', experiment: 'brain-seg-e2e', params: { lr: 0.0003, batch_size: 4, model: 'SegResNet', amp: true, roi: [96, 96, 96] }, tags: { team: 'ml', dataset: 'brats' }, sinks: ['tensorboard', 'mlflow'] }, status: 'FINISHED', points: [...special(t0), ...wide(t0)] },
    { body: { name: 'seg-unet-2', experiment: 'brain-seg-e2e', params: { lr: '0.001' }, sinks: ['mlflow'] }, status: 'FAILED', points: special(t0 + 10) },
    { body: { name: 'swin-3', experiment: 'other-exp', sinks: ['mlflow'] }, status: 'KILLED', points: special(t0 + 20).slice(0, 3) }
  ]
  const made = []
  for (const r of runs) made.push(await p.run(r.body))

  const [r1, r2, r3] = made as [{ id: string, token: string }, { id: string, token: string }, { id: string, token: string }]
  await log(call, r1, 'special', special(t0))
  await log(call, r1, 'wide-5000', wide(t0))
  await log(call, r1, 'params-tags', [], { params: { epochs: 10, weight_decay: 1e-5 }, tags: { stage: 'finetune' } })
  await log(call, r2, 'special', special(t0 + 10))
  await log(call, r3, 'special', special(t0 + 20).slice(0, 3))
  const ended: Record<string, string> = {}
  for (const [i, r] of made.entries()) {
    const f = await call('POST', `/v1/runs/${r.id}/finish`, r.token, { status: runs[i]?.status })
    t.equal(f.status, 200)
    ended[r.id] = f.body.endedAt
  }
  for (const r of made) await waitSinks(call, r.id, p.keys.read, allDrained, 20000, `run ${r.id} drained`)

  for (const [i, r] of made.entries()) {
    const spec = runs[i] as (typeof runs)[number]
    const remote = remoteRuns(emu, r.id)
    t.equal(remote.length, 1, `${spec.body.name}: exactly one MLflow run`)
    const view = remote[0] as RunView
    const exp = emu.experiment(spec.body.experiment)
    t.equal(view.experimentId, exp?.id, `${spec.body.name}: in the experiment named ${spec.body.experiment}`)
    t.equal(view.name, spec.body.name)
    t.equal(view.tags['mlflow.runName'], spec.body.name)
    t.equal(view.status, spec.status, `${spec.body.name}: final status ${spec.status}`)
    t.equal(view.endTime, Date.parse(ended[r.id] as string), `${spec.body.name}: end time is when the run was finished`)
    const api = await call('GET', `/v1/runs/${r.id}`, p.keys.read)
    t.equal(view.startTime, Date.parse(api.body.createdAt), 'start time is the run\'s creation')
    assertPoints(t, view, spec.points, spec.body.name)
  }
  const v1 = remoteRuns(emu, r1.id)[0] as RunView
  t.same(v1.params, { lr: '0.0003', batch_size: '4', model: 'SegResNet', amp: 'True', roi: '[96, 96, 96]', epochs: '10', weight_decay: '1e-05' },
    'every param, from the run and from a callback, as str(value) the way the MLflow client writes it')
  t.match(v1.tags, { team: 'ml', dataset: 'brats', stage: 'finetune' }, 'every tag, from the run and from a callback')
  t.equal(remoteRuns(emu, r2.id)[0]?.params.lr, '0.001')

  // A healthy delivery sends every point exactly once: nothing was re-sent.
  const sent = emu.calls('runs/log-batch').filter(c => c.status === 200).reduce((n, c) => n + ((c.body as { metrics?: unknown[] }).metrics?.length ?? 0), 0)
  t.equal(sent, runs.reduce((n, r) => n + r.points.length, 0), 'log-batch carried each point once')
  t.equal(emu.calls('runs/create').length, 3, 'one runs/create per run')
  t.ok(emu.calls('runs/log-batch').every(c => ((c.body as { metrics?: unknown[] }).metrics?.length ?? 0) <= 1000), 'no log-batch above 1000 metrics')
  t.equal(emu.experiment('brain-seg-e2e')?.lifecycleStage, 'active')
})

t.test('outage window, then 429 + Retry-After, then recovery: complete and in order, nothing before Retry-After, TensorBoard unaffected, sink state degraded → healthy', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: { ...FAST, MLFLOW_TRACKING_URI: emu.url } })
  const call = callOf(g)
  const p = await seedProject(g)
  const run = await p.run({ name: 'outage', experiment: 'outage', sinks: ['tensorboard', 'mlflow'] })
  const t0 = Date.now() - 10_000
  const points: Point[] = []
  const batch = async (b: number): Promise<void> => {
    const ms: Point[] = Array.from({ length: 50 }, (_, i) => ({ key: 'loss', value: b * 50 + i === 60 ? 'NaN' : (b * 50 + i) / 3, step: b * 50 + i, timestamp: t0 + b * 50 + i }))
    points.push(...ms)
    await log(call, run, `b${b}`, ms)
  }
  await batch(0)
  await waitSinks(call, run.id, p.keys.read, allDrained, 10000, 'first batch delivered')

  // 503 for 1.5 s, then 429 with Retry-After: 2 until 2.4 s (the first window wins while both hold).
  emu.outage(1500)
  emu.outage(2400, { fault: { kind: 'status', code: 429, retryAfter: 2 } })
  const outageEnds = Date.now() + 1500
  for (let b = 1; b <= 5; b++) await batch(b)
  const during = await waitSinks(call, run.id, p.keys.read, s => s.tensorboard?.lag === 0 && s.mlflow?.state === 'degraded' && s.mlflow.lag > 0 && s.mlflow.lastError !== null,
    5000, 'TensorBoard caught up while MLflow is degraded')
  t.ok(Date.now() < outageEnds + 100, 'observed during the outage')
  t.equal(during.tensorboard?.state, 'healthy', 'TensorBoard healthy during the MLflow outage')
  t.match(during.mlflow?.lastError, { code: 'TG_SINK_UNAVAILABLE', message: /503|unavailable/i }, 'mlflow degraded with its last error')
  t.ok((during.mlflow?.attempts ?? 0) >= 1)

  const after = await waitSinks(call, run.id, p.keys.read, allDrained, 15000, 'MLflow recovered')
  t.equal(after.mlflow?.state, 'healthy')
  t.equal(after.mlflow?.lag, 0)

  const throttled = emu.requests.filter(r => r.status === 429)
  t.ok(emu.requests.some(r => r.status === 503), 'the outage answered 503')
  t.ok(throttled.length >= 1, 'then a 429 with Retry-After: 2')
  const first429 = throttled[0]
  if (first429 !== undefined) {
    const early = emu.requests.filter(r => r.at > first429.at && r.at < first429.at + 2000)
    t.same(early.map(r => `${r.rpc}@+${r.at - first429.at}ms`), [], 'no request before Retry-After elapsed')
  }
  const view = remoteRuns(emu, run.id)
  t.equal(view.length, 1, 'one MLflow run')
  assertPoints(t, view[0] as RunView, points, 'after recovery')
  const steps = emu.calls('runs/log-batch').filter(c => c.status === 200).flatMap(c => ((c.body as { metrics?: Array<{ step: number }> }).metrics ?? []).map(m => m.step))
  t.same(steps, points.map(p => p.step), 'accepted log-batch requests carried every point once, in log order')
})

t.test('a poison record → exactly one dead letter; the rest flows on; replay after the cause is fixed delivers it', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: { ...FAST, MLFLOW_TRACKING_URI: emu.url } })
  const call = callOf(g)
  const p = await seedProject(g)
  const run = await p.run({ name: 'poison', experiment: 'poison', sinks: ['mlflow'] })
  emu.rejectMetric('acc', 13)
  const t0 = Date.now() - 10_000
  const points: Point[] = Array.from({ length: 60 }, (_, i) => ({ key: i % 2 === 0 ? 'loss' : 'acc', value: i === 27 ? 13 : i / 10, step: i, timestamp: t0 + i }))
  await log(call, run, 'with-poison', points)
  await log(call, run, 'after', [{ key: 'loss', value: 1, step: 100, timestamp: t0 + 100 }])
  await waitSinks(call, run.id, p.keys.read, allDrained, 15000, 'partition goes on past the poison record')

  const dl = await call('GET', `/v1/dead-letters?runId=${run.id}`, p.keys.read)
  t.equal(dl.status, 200)
  t.equal(dl.body.items.length, 1, 'exactly one dead letter')
  const d = dl.body.items[0]
  t.match(d, { sink: 'mlflow', runId: run.id, code: 'TG_SINK_REJECTED', status: 'dead', record: { kind: 'metric', key: 'acc', value: 13, step: 27 } })
  t.match(d.message, /rejected by the test script|INVALID_PARAMETER_VALUE/)
  const good = [...points.filter(x => x.step !== 27), { key: 'loss', value: 1, step: 100, timestamp: t0 + 100 }] as Point[]
  assertPoints(t, remoteRuns(emu, run.id)[0] as RunView, good, 'everything but the poison record')

  emu.clearRejects()
  const rp = await call('POST', `/v1/dead-letters/${d.id as number}/replay`, p.keys.write)
  t.equal(rp.status, 202)
  t.equal(rp.body.status, 'replay')
  await until(async () => (await call('GET', `/v1/dead-letters?runId=${run.id}`, p.keys.read)).body.items.length === 0, 10000, 'the replayed dead letter to go')
  assertPoints(t, remoteRuns(emu, run.id)[0] as RunView, [...good, points[27] as Point], 'after the replay')
  t.equal(remoteRuns(emu, run.id).length, 1)
})

t.test('a typed param longer than MLflow keeps as str(value) → one TG_PARAM_TOO_LONG dead letter, never a cut value; the rest flows on', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: { ...FAST, MLFLOW_TRACKING_URI: emu.url } })
  const call = callOf(g)
  const p = await seedProject(g)
  // 2,500 zeros: 5,001 characters of JSON (the gateway takes it), 7,500 as Python's "[0, 0, …]".
  const zeros = new Array(2500).fill(0)
  const run = await p.run({ name: 'long-param', experiment: 'long-param', params: { lr: 0.01, zeros }, sinks: ['mlflow', 'tensorboard'] })
  const t0 = Date.now() - 10_000
  await log(call, run, 'after', [{ key: 'loss', value: 1, step: 1, timestamp: t0 }], { params: { epochs: 3 } })
  await waitSinks(call, run.id, p.keys.read, allDrained, 15000, 'both sinks past the long param')

  const dl = await call('GET', `/v1/dead-letters?runId=${run.id}`, p.keys.read)
  t.equal(dl.body.items.length, 1, 'one dead letter, for MLflow only')
  t.match(dl.body.items[0], { sink: 'mlflow', code: 'TG_PARAM_TOO_LONG', record: { kind: 'param', key: 'zeros' } })
  t.match(dl.body.items[0].message, /param "zeros" is 7500 characters as MLflow writes it \(str\(value\)\); this server keeps at most 6000/)
  const view = remoteRuns(emu, run.id)[0] as RunView
  t.same(view.params, { lr: '0.01', epochs: '3' }, 'the other params arrived; the long one was not cut and sent')
  assertPoints(t, view, [{ key: 'loss', value: 1, step: 1, timestamp: t0 }], 'metrics flow on')
})
