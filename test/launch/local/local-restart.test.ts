import t from 'tap'
import { Writable } from 'node:stream'
import { build } from '../../../src/app.js'
import { eventually, seedProject, startGateway, tempDir, testConfig } from '../../helper.js'
import { isSameProcess } from '../../../src/launch/local/process.js'
import { killGroup, launchConfig, waitJob } from '../jobs-helper.js'

const port = (g: { url: string }): number => Number(new URL(g.url).port)

t.test('a restarted gateway re-attaches to a live trainer and sees it to the end (same port: the client catches up)', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: { name: 'long', backend: 'local', model: 'UNet', hyperparameters: { epochs: 4, steps_per_epoch: 10, step_sleep: 0.05 } } })
  t.equal(r.status, 201)
  t.teardown(() => killGroup(r.body.local.pid))
  await eventually(async () => Object.keys((await g.call('GET', `/v1/runs/${r.body.runId}/summary`, { auth: p.keys.read })).body.metrics).length > 0, 15000, 'first metrics')
  await g.app.close()
  t.ok(isSameProcess(r.body.local.pid, null), 'closing the gateway leaves the trainer running')

  const logs: string[] = []
  const app = await build(g.config, { logStream: new Writable({ write (c, _e, cb) { logs.push(String(c)); cb() } }), launch: { localWatchMs: 50 } })
  t.teardown(() => app.close())
  await app.listen({ port: port(g), host: '127.0.0.1' })
  const done = await waitJob(g, p.keys.read, r.body.id)
  t.match(done, { status: 'COMPLETED', local: { exitCode: 0 } }, 'exit code read from the wrapper\'s file')
  t.match(logs.join(''), /re-attached to a running local trainer/)
  const summary = await g.call('GET', `/v1/runs/${r.body.runId}/summary`, { auth: p.keys.read })
  t.equal(summary.body.status, 'FINISHED')
  t.equal(summary.body.metrics.train_loss.step, 40, 'metrics sent while the gateway was down arrived after it came back')
})

t.test('after a restart: a trainer that ended meanwhile is settled from its exit file; a vanished one and an unstarted one are FAILED with a reason', async t => {
  const dataDir = tempDir(t)
  const launch = launchConfig(testConfig(dataDir).launch, { localTrainer: ['sh', '-c', 'sleep 0.3; echo bye'] })
  const g = await startGateway(t, { dataDir, config: launch })
  const p = await seedProject(g)
  const ended = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: { name: 'quick', backend: 'local', model: 'UNet' } })
  const killed = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: { name: 'doomed', backend: 'local', model: 'UNet' } })
  const unstarted = await g.app.jobStore.insert({
    id: '11111111-1111-4111-8111-111111111111',
    projectId: p.id,
    runId: '22222222-2222-4222-8222-222222222222',
    backend: 'local',
    name: 'never',
    spec: { name: 'never', model: 'UNet' },
    sagemakerJobName: null,
    region: null,
    idempotencyKey: null,
    requestHash: null,
    createdAt: Date.now()
  }, { at: Date.now(), status: 'SUBMITTING', secondaryStatus: null, message: null, source: 'test' })
  t.teardown(() => { killGroup(ended.body.local.pid); killGroup(killed.body.local.pid) })
  await g.app.close()
  killGroup(killed.body.local.pid)
  await eventually(async () => !isSameProcess(ended.body.local.pid, null) && !isSameProcess(killed.body.local.pid, null), 5000, 'both trainers gone')

  const g2 = await startGateway(t, { dataDir, config: launch })
  t.match(await waitJob(g2, p.keys.read, ended.body.id, undefined, 5000), { status: 'COMPLETED', local: { exitCode: 0 } })
  const k = await waitJob(g2, p.keys.read, killed.body.id, undefined, 5000)
  t.match(k, { status: 'FAILED', failureReason: /is gone and left no exit code \(it ended while the gateway was down\)/ })
  t.equal((await g2.call('GET', `/v1/runs/${killed.body.runId}`, { auth: p.keys.read })).body.status, 'FAILED')
  const u = await waitJob(g2, p.keys.read, unstarted.job.id, undefined, 5000)
  t.match(u, { status: 'FAILED', failureReason: /gateway stopped before the trainer started/ })
})
