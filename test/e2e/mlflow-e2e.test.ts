import t, { type Test } from 'tap'
import { ADMIN_KEY, seedProject, startGateway, tempDir, type Gateway } from '../helper.js'
import { freePort, GatewayProcess, seedProjectOn } from '../crash/child.js'
import { startMlflowEmulator, type MlflowEmulator, type MlflowEmulatorOptions, type RunView } from '../emulators/mlflow/index.js'
import { allDrained, callOf, norm, postLog, sinksOf, toNumber, until, waitSinks, type Call, type Wire } from './e2e-helper.js'

/**
 * Issue 3 ("Tests"), end to end: container-style callbacks through the real gateway (real HTTP,
 * real SQLite run log, real dispatcher, the real MLflow sink wired from MLFLOW_* variables or a
 * per-project target) into the MLflow emulator, and what the emulator holds afterwards.
 */

const RUN_ID_TAG = 'trackgate.run_id'
// Short retries and a short shutdown grace: teardown must not wait for a held request.
const FAST = { TRACKGATE_SHUTDOWN_GRACE_MS: '300', TRACKGATE_DISPATCH_LINGER_MS: '20' }

interface Point { key: string, value: Wire, step: number, timestamp: number }

async function emulator (t: Test, opts: MlflowEmulatorOptions = {}): Promise<MlflowEmulator> {
  const emu = await startMlflowEmulator(opts)
  t.teardown(() => emu.close())
  return emu
}

/** The emulator's single MLflow run created for our run (found by the tag the sink sets). */
function remoteRuns (emu: MlflowEmulator, runId: string): RunView[] {
  return emu.runs().filter(r => r.tags[RUN_ID_TAG] === runId)
}

/** What MLflow stores for a point: NaN stays NaN, ±Inf becomes ±max double (SQL store). */
const stored = (v: Wire): number => {
  const n = toNumber(v)
  return n === Infinity ? Number.MAX_VALUE : n === -Infinity ? -Number.MAX_VALUE : n
}
const sortKey = (a: { step: number, timestamp: number, value: number }, b: { step: number, timestamp: number, value: number }): number =>
  a.step - b.step || a.timestamp - b.timestamp || String(a.value).localeCompare(String(b.value))

/** The remote run holds exactly these points, each once, with value, step and timestamp. */
function assertPoints (t: Test, view: RunView, points: Point[], what: string): void {
  const want: Record<string, Array<{ value: unknown, step: number, timestamp: number }>> = {}
  for (const p of points) (want[p.key] ??= []).push({ value: stored(p.value), step: p.step, timestamp: p.timestamp })
  const asRows = (m: Record<string, Array<{ value: number, step: number, timestamp: number }>>) =>
    Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)).map(([k, l]) => [k, [...l].sort(sortKey).map(p => [norm(p.value), p.step, p.timestamp])]))
  const got = asRows(view.metrics)
  const exp = asRows(want as Record<string, Array<{ value: number, step: number, timestamp: number }>>)
  t.equal(Object.values(view.metrics).reduce((n, l) => n + l.length, 0), points.length, `${what}: point count`)
  t.same(Object.keys(got), Object.keys(exp), `${what}: the same keys`)
  let bad = 0
  for (const k of Object.keys(exp)) {
    if (JSON.stringify(got[k]) !== JSON.stringify(exp[k])) {
      if (bad++ < 3) t.same(got[k], exp[k], `${what}: key ${k}`)
    }
  }
  t.equal(bad, 0, `${what}: every key holds exactly the points sent, once`)
}

const special = (t0: number): Point[] => [
  { key: 'loss', value: 'NaN', step: 0, timestamp: t0 },
  { key: 'loss', value: 'Infinity', step: 1, timestamp: t0 + 1 },
  { key: 'loss', value: '-Infinity', step: 2, timestamp: t0 + 2 },
  { key: 'loss', value: 0.5, step: 3, timestamp: t0 + 3 },
  { key: 'val/dice', value: 0.25, step: 3, timestamp: t0 + 3 },
  { key: 'val/dice', value: 'NaN', step: 4, timestamp: t0 + 4 }
]

/** 200 keys × 25 steps = 5,000 points (every key also has one NaN and one -Infinity). */
const wide = (t0: number): Point[] => {
  const out: Point[] = []
  for (let s = 0; s < 25; s++) {
    for (let k = 0; k < 200; k++) {
      const key = `layer/${String(k).padStart(3, '0')}/grad_norm`
      const value: Wire = s === 7 ? 'NaN' : s === 11 && k % 2 === 0 ? '-Infinity' : Math.round((k * 1000 + s) * 37) / 1024
      out.push({ key, value, step: s, timestamp: t0 + 100 + s })
    }
  }
  return out
}

const log = async (call: Call, run: { id: string, token: string }, batchId: string, metrics: Point[], extra: Record<string, unknown> = {}): Promise<void> => {
  const r = await postLog(() => call, run.id, run.token, { batchId, metrics, ...extra })
  if (r.status !== 202) throw new Error(`log ${batchId}: ${r.status} ${JSON.stringify(r.body)}`)
}

t.test('callbacks → the emulator holds the same points once (NaN, ±Inf, 5,000 in one callback, 200 keys), params, tags, experiment, final status and end time', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: { ...FAST, MLFLOW_TRACKING_URI: emu.url } })
  const call = callOf(g)
  const p = await seedProject(g)
  const t0 = Date.now() - 60_000

  const runs = [
    { body: { name: 'seg-unet-1', experiment: 'brain-seg-e2e', params: { lr: '0.0003', batch_size: '4', model: 'SegResNet' }, tags: { team: 'ml', dataset: 'brats' }, sinks: ['tensorboard', 'mlflow'] }, status: 'FINISHED', points: [...special(t0), ...wide(t0)] },
    { body: { name: 'seg-unet-2', experiment: 'brain-seg-e2e', params: { lr: '0.001' }, sinks: ['mlflow'] }, status: 'FAILED', points: special(t0 + 10) },
    { body: { name: 'swin-3', experiment: 'other-exp', sinks: ['mlflow'] }, status: 'KILLED', points: special(t0 + 20).slice(0, 3) }
  ]
  const made = []
  for (const r of runs) made.push(await p.run(r.body))

  const [r1, r2, r3] = made as [{ id: string, token: string }, { id: string, token: string }, { id: string, token: string }]
  await log(call, r1, 'special', special(t0))
  await log(call, r1, 'wide-5000', wide(t0))
  await log(call, r1, 'params-tags', [], { params: { epochs: '10' }, tags: { stage: 'finetune' } })
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
  t.same(v1.params, { lr: '0.0003', batch_size: '4', model: 'SegResNet', epochs: '10' }, 'every param, from the run and from a callback')
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

t.test('gateway SIGKILL between "MLflow accepted" and "cursor committed" → no duplicate points, no second MLflow run', async t => {
  const emu = await emulator(t)
  const dataDir = tempDir(t, 'trackgate-e2e-mlflow-')
  const gw = new GatewayProcess({ port: await freePort(), dataDir, adminKey: ADMIN_KEY, env: { ...FAST, MLFLOW_TRACKING_URI: emu.url, TRACKGATE_DEFAULT_SINKS: 'mlflow' } })
  t.teardown(() => gw.kill())
  await gw.start()
  const call = callOf(gw)
  const keys = await seedProjectOn(gw, ADMIN_KEY)
  const created = await call('POST', '/v1/runs', keys.write, { name: 'crash', experiment: 'crash-exp', params: { lr: '0.01' } })
  t.equal(created.status, 201)
  const run = { id: created.body.id as string, token: created.body.token as string }
  t.same(created.body.sinks, ['mlflow'])
  const t0 = Date.now() - 10_000
  const mk = (from: number, n: number): Point[] => Array.from({ length: n }, (_, i) => ({ key: i % 3 === 0 ? 'loss' : 'acc', value: (from + i) % 10 === 4 ? 'NaN' : (from + i) / 8, step: from + i, timestamp: t0 + from + i }))
  const points: Point[] = []
  points.push(...mk(0, 30))
  await log(call, run, 'b1', points.slice(0, 30))
  await waitSinks(call, run.id, keys.read, allDrained, 15000, 'first batch delivered')

  // The next log-batch is applied by the emulator, then its answer is held: kill the gateway there.
  const hold = emu.hold({ rpc: 'runs/log-batch', after: true })
  points.push(...mk(30, 30))
  await log(call, run, 'b2', points.slice(30))
  await hold.reached
  const before = emu.pointCount()
  t.equal(before, 60, 'the emulator stored the held batch')
  const cur = await sinksOf(call, run.id, keys.read)
  t.equal(cur.mlflow?.deliveredSeq, cur.mlflow!.headSeq - 1, 'the cursor is one entry behind: not committed')
  await gw.kill()
  hold.release()

  await gw.start()
  points.push(...mk(60, 20))
  await log(call, run, 'b3', points.slice(60))
  t.equal((await call('POST', `/v1/runs/${run.id}/finish`, run.token, { status: 'FINISHED' })).status, 200)
  await waitSinks(call, run.id, keys.read, allDrained, 20000, 'delivered after restart')
  await gw.stop()

  const remote = remoteRuns(emu, run.id)
  t.equal(remote.length, 1, 'no second MLflow run')
  t.equal(emu.calls('runs/create').length, 1, 'runs/create was called once')
  assertPoints(t, remote[0] as RunView, points, 'after the kill')
  t.equal(remote[0]?.status, 'FINISHED')
  t.same(remote[0]?.params, { lr: '0.01' })
  t.ok(emu.calls('runs/log-batch').filter(c => c.status === 200 || c.status === undefined).length >= 3, 'the held batch was resent after the restart')
})

t.test('401 from MLflow → sink paused; fixed through a project target and resumed → delivered', async t => {
  const emu = await emulator(t, { auth: { bearer: 'right-token-123' } })
  const g = await startGateway(t, { env: { ...FAST, MLFLOW_TRACKING_URI: emu.url, MLFLOW_TRACKING_TOKEN: 'wrong-token-456' } })
  const call = callOf(g)
  const p = await seedProject(g)
  const run = await p.run({ name: 'auth', experiment: 'auth', sinks: ['tensorboard', 'mlflow'] })
  const points: Point[] = Array.from({ length: 10 }, (_, i) => ({ key: 'loss', value: i, step: i, timestamp: Date.now() - 1000 + i }))
  await log(call, run, 'b1', points)
  const paused = await waitSinks(call, run.id, p.keys.read, s => s.mlflow?.state === 'paused' && s.tensorboard?.lag === 0, 10000, 'mlflow paused')
  t.match(paused.mlflow?.lastError, { code: 'TG_SINK_AUTH', message: /401|auth/i })
  t.notMatch(JSON.stringify(paused), 'wrong-token-456', 'the secret is not in the sink state')
  t.equal(paused.tensorboard?.state, 'healthy', 'the other sink is unaffected')
  const seen = emu.requests.length
  await new Promise(resolve => setTimeout(resolve, 500))
  t.equal(emu.requests.length, seen, 'a paused sink sends nothing')
  t.equal((await sinksOf(call, run.id, p.keys.read)).mlflow?.state, 'paused', 'and stays paused')

  const put = await call('PUT', `/v1/projects/${p.id}/targets/mlflow`, p.keys.admin, { trackingUri: emu.url, token: 'right-token-123' })
  t.equal(put.status, 200)
  const resumed = await call('POST', `/v1/runs/${run.id}/sinks/mlflow/resume`, p.keys.write)
  t.equal(resumed.status, 200)
  await waitSinks(call, run.id, p.keys.read, allDrained, 10000, 'delivered after resume')
  assertPoints(t, remoteRuns(emu, run.id)[0] as RunView, points, 'after resume')
  t.notOk(g.logs.join('').includes('wrong-token-456') || g.logs.join('').includes('right-token-123'), 'no token in the gateway logs')
})

t.test('a project target set through the API overrides the gateway-wide one; the token is never returned; no target → 400 TG_SINK_NOT_CONFIGURED', async t => {
  const envEmu = await emulator(t)
  const projEmu = await emulator(t, { auth: { bearer: 'proj-secret-token-789' } })
  const g: Gateway = await startGateway(t, { env: { ...FAST, MLFLOW_TRACKING_URI: envEmu.url } })
  const call = callOf(g)
  const a = await seedProject(g, 'with-target')
  const b = await seedProject(g, 'env-target')

  t.equal((await call('PUT', `/v1/projects/${a.id}/targets/mlflow`, a.keys.write, { trackingUri: projEmu.url, token: 'x' })).status, 403, 'a write key cannot set targets')
  t.equal((await call('PUT', `/v1/projects/${b.id}/targets/mlflow`, a.keys.admin, { trackingUri: projEmu.url, token: 'x' })).status, 403, 'nor another project\'s admin key')
  const put = await call('PUT', `/v1/projects/${a.id}/targets/mlflow`, a.keys.admin, { trackingUri: projEmu.url, token: 'proj-secret-token-789' })
  t.equal(put.status, 200)
  t.same(put.body.config, { trackingUri: projEmu.url, tokenSet: true }, 'the answer hides the token')
  const got = await call('GET', `/v1/projects/${a.id}/targets`, a.keys.admin)
  t.equal(got.status, 200)
  t.match(got.body, [{ sink: 'mlflow', config: { trackingUri: projEmu.url, tokenSet: true } }])
  t.notMatch(JSON.stringify(got.body), 'proj-secret-token-789', 'GET never returns the token')
  t.notOk('token' in (got.body[0]?.config ?? {}))

  const ra = await a.run({ name: 'ra', experiment: 'routing', sinks: ['mlflow'] })
  const rb = await b.run({ name: 'rb', experiment: 'routing', sinks: ['mlflow'] })
  const pts: Point[] = [{ key: 'loss', value: 0.5, step: 1, timestamp: Date.now() - 100 }]
  await log(call, ra, 'a1', pts)
  await log(call, rb, 'b1', pts)
  await waitSinks(call, ra.id, a.keys.read, allDrained, 10000, 'project run delivered')
  await waitSinks(call, rb.id, b.keys.read, allDrained, 10000, 'env run delivered')
  t.equal(remoteRuns(projEmu, ra.id).length, 1, 'the project\'s run went to the project\'s target')
  t.equal(remoteRuns(envEmu, ra.id).length, 0, 'not to the gateway-wide one')
  t.equal(remoteRuns(envEmu, rb.id).length, 1, 'a project without a target uses the gateway-wide one')
  t.equal(remoteRuns(projEmu, rb.id).length, 0)
  t.ok(projEmu.calls().every(c => c.headers.authorization === 'Bearer proj-secret-token-789'), 'the project token was used')
  t.notOk(g.logs.join('').includes('proj-secret-token-789'), 'the token is not in the logs')

  // A gateway without MLFLOW_TRACKING_URI: mlflow only where a project configured it.
  const bare = await startGateway(t, { env: FAST })
  const bcall = callOf(bare)
  const c = await seedProject(bare, 'no-target')
  const refused = await bcall('POST', '/v1/runs', c.keys.write, { name: 'x', sinks: ['tensorboard', 'mlflow'] })
  t.equal(refused.status, 400)
  t.equal(refused.body.code, 'TG_SINK_NOT_CONFIGURED')
  t.match(refused.body.message, /mlflow/)
  t.equal((await bcall('GET', '/v1/runs', c.keys.read)).body.items.length, 0, 'no run was created')
  t.equal((await bcall('PUT', `/v1/projects/${c.id}/targets/mlflow`, c.keys.admin, { trackingUri: envEmu.url })).status, 200)
  t.equal((await bcall('POST', '/v1/runs', c.keys.write, { name: 'y', sinks: ['mlflow'] })).status, 201, 'accepted once the project has a target')
})
