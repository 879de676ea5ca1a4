import t from 'tap'
import { ADMIN_KEY, seedProject, startGateway, tempDir, type Gateway } from '../helper.js'
import { freePort, GatewayProcess, seedProjectOn } from '../crash/child.js'
import { type RunView } from '../emulators/mlflow/index.js'
import { allDrained, callOf, sinksOf, waitSinks } from './e2e-helper.js'
import { FAST, Point, emulator, remoteRuns, assertPoints, log } from './mlflow-helper.js'

/**
 * Issue 3 ("Tests"), end to end, recovery and configuration: container-style callbacks through the real gateway (real HTTP,
 * real SQLite run log, real dispatcher, the real MLflow sink wired from MLFLOW_* variables or a
 * per-project target) into the MLflow emulator, and what the emulator holds afterwards.
 */

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
