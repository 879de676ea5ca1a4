import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { readScalars } from '../../../src/codecs/tfevents/index.js'
import { eventually, seedProject, startGateway, tempDir, testConfig } from '../../helper.js'
import { killGroup, launchConfig, readSse, waitJob } from '../jobs-helper.js'

const sim = (hps: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  ({ name: 'sim', backend: 'local', model: 'SegResNet', experiment: 'local', hyperparameters: { epochs: 3, steps_per_epoch: 4, step_sleep: 0.005, ...hps }, ...extra })

t.test('a simulator job runs to the end: metrics in the run, TensorBoard files, logs, SSE, no token anywhere', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: sim({}) })
  t.equal(r.status, 201, JSON.stringify(r.body))
  t.match(r.body, { name: 'sim', backend: 'local', status: 'RUNNING', sagemaker: null, local: { pid: Number, exitCode: null } })
  t.teardown(() => killGroup(r.body.local.pid))
  const sse = readSse(`${g.url}/v1/jobs/${r.body.id}/events`, p.keys.read)
  const done = await waitJob(g, p.keys.read, r.body.id)
  t.match(done, { status: 'COMPLETED', local: { exitCode: 0 }, failureReason: null })

  const run = await g.call('GET', `/v1/runs/${r.body.runId}/summary`, { auth: p.keys.read })
  t.equal(run.body.status, 'FINISHED')
  t.match(run.body.metrics, { train_loss: { step: 12 }, val_dice: { step: 12 }, lr: {} })
  t.match(run.body.params, { model: 'SegResNet', strategy: 'single', epochs: 3, step_sleep: 0.005, steps_per_epoch: 4 }, 'the job\'s typed hyperparameters are the run\'s params')
  t.match(run.body.params, { lr: 0.0001, amp: true, roi_size: [96, 96, 96], batch_size: 2 }, 'the trainer logged the rest of its config, typed, through the client')
  const trainerLog = await g.call('GET', `/v1/jobs/${r.body.id}/logs`, { auth: p.keys.read })
  t.match(trainerLog.body, /epoch/, 'the trainer\'s log')
  t.notMatch(trainerLog.body, /refused a changed param/, 'the trainer\'s typed values agree with the job\'s')

  const events = await sse
  const kinds = events.map(e => e.event)
  t.ok(kinds.includes('metrics'), 'live metrics on the stream')
  t.same(events.filter(e => e.event === 'status').map(e => e.data.status), ['SUBMITTING', 'RUNNING', 'COMPLETED'])
  t.equal(kinds.at(-1), 'end')

  const logs = await fetch(`${g.url}/v1/jobs/${r.body.id}/logs`, { headers: { authorization: `Bearer ${p.keys.read}` } })
  const text = await logs.text()
  t.match(text, /epoch=2 step=12 val_loss=/)
  const tail = await g.call('GET', `/v1/jobs/${r.body.id}/logs?tail=1`, { auth: p.keys.read })
  t.equal(String(tail.body).trim().split('\n').length, 1)

  await eventually(async () => (await readScalars(g.config.tensorboardDir)).some(s => s.tag === 'val_dice'), 10000, 'TensorBoard scalars')
  const scalars = await readScalars(g.config.tensorboardDir)
  t.ok(scalars.filter(s => s.tag === 'train_loss').length === 12, 'every train step in TensorBoard')
  t.ok(existsSync(join(g.dataDir, 'jobs', r.body.id, 'model', 'model.json')), 'SM_MODEL_DIR mapped into the data dir')

  const all = JSON.stringify([r.body, done, events, (await g.call('GET', '/v1/jobs', { auth: p.keys.read })).body])
  t.notMatch(all, /tgr_/, 'no token in the API')
  t.notMatch(g.logs.join(''), /tgr_/, 'no token in the logs')
})

t.test('stop: SIGTERM, the trainer flushes and exits 143, the job is STOPPED and the run KILLED', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: sim({ epochs: 100, step_sleep: 0.05 }) })
  t.equal(r.status, 201)
  t.teardown(() => killGroup(r.body.local.pid))
  await eventually(async () => Object.keys((await g.call('GET', `/v1/runs/${r.body.runId}/summary`, { auth: p.keys.read })).body.metrics).length > 0, 15000, 'first metrics')
  const s = await g.call('POST', `/v1/jobs/${r.body.id}/stop`, { auth: p.keys.write })
  t.equal(s.status, 200)
  t.match(s.body, { status: 'STOPPING', stopRequested: true })
  const done = await waitJob(g, p.keys.read, r.body.id)
  t.match(done, { status: 'STOPPED', local: { exitCode: 143 } })
  t.equal((await g.call('GET', `/v1/runs/${r.body.runId}`, { auth: p.keys.read })).body.status, 'KILLED')
  const again = await g.call('POST', `/v1/jobs/${r.body.id}/stop`, { auth: p.keys.write })
  t.match(again, { status: 409, body: { code: 'TG_CONFLICT' } })
})

t.test('stop escalates to SIGKILL after the grace when the trainer ignores SIGTERM', async t => {
  const g = await startGateway(t, { config: launchConfig(testConfig(tempDir(t)).launch, { localStopGraceMs: 200, localTrainer: ['sh', '-c', 'trap "" TERM; echo started; sleep 30'] }) })
  const p = await seedProject(g)
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: { name: 'stubborn', backend: 'local', model: 'UNet' } })
  t.teardown(() => killGroup(r.body.local.pid))
  await eventually(async () => /started/.test(String((await g.call('GET', `/v1/jobs/${r.body.id}/logs`, { auth: p.keys.read })).body)), 15000, 'the trainer has set its trap')
  await g.call('POST', `/v1/jobs/${r.body.id}/stop`, { auth: p.keys.write })
  const done = await waitJob(g, p.keys.read, r.body.id, undefined, 5000)
  t.match(done, { status: 'STOPPED', local: { exitCode: null } })
})

t.test('a crashing trainer: FAILED with the exit code and the log tail, run FAILED', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: sim({ fail_at_epoch: 1 }) })
  t.teardown(() => killGroup(r.body.local.pid))
  const done = await waitJob(g, p.keys.read, r.body.id)
  t.equal(done.status, 'FAILED')
  t.equal(done.local.exitCode, 3)
  t.match(done.failureReason, /trainer failed with exit code 3; log tail:\n/)
  t.match(done.failureReason, /simulated failure at epoch 1/)
  t.equal((await g.call('GET', `/v1/runs/${r.body.runId}`, { auth: p.keys.read })).body.status, 'FAILED')
})

t.test('a trainer that cannot start fails the job with a reason', async t => {
  const g = await startGateway(t, { config: launchConfig(testConfig(tempDir(t)).launch, { localTrainer: ['/nonexistent/trainer'] }) })
  const p = await seedProject(g)
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: { name: 'bad', backend: 'local', model: 'UNet' } })
  const done = await waitJob(g, p.keys.read, r.body.id, undefined, 5000)
  t.match(done, { status: 'FAILED', local: { exitCode: 127 }, failureReason: /exit code 127.*\n.*nonexistent/s })
})

t.test('local validation: S3 channels and reserved variables are 400s naming each field', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const r = await g.call('POST', '/v1/jobs', {
    auth: p.keys.write,
    body: { name: 'v', backend: 'local', model: 'UNet', data: { train: 's3://b/train' }, environment: { TRACKGATE_TOKEN: 'x', SM_HPS: '{}' } }
  })
  t.equal(r.status, 400)
  t.equal(r.body.code, 'TG_INVALID_JOB')
  t.match(r.body.message, /3 problems/)
  t.match(r.body.message, /data\.train: the local backend reads channels from this machine/)
  t.match(r.body.message, /environment\.TRACKGATE_TOKEN: environment variable TRACKGATE_TOKEN is reserved/)
  t.match(r.body.message, /environment\.SM_HPS/)
  t.equal((await g.call('GET', '/v1/jobs', { auth: p.keys.read })).body.items.length, 0, 'nothing created')
})

t.test('a SummaryWriter-only trainer (no callback client) is tracked in the run and in TensorBoard', async t => {
  const writer = join(process.cwd(), 'containers', 'tests', 'tfrecord_writer.py')
  const g = await startGateway(t, { config: launchConfig(testConfig(tempDir(t)).launch, { localTrainer: ['python3', writer, '12'] }) })
  const p = await seedProject(g)
  const r = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: { name: 'sw', backend: 'local', model: 'UNet' } })
  t.equal(r.status, 201, JSON.stringify(r.body))
  t.teardown(() => killGroup(r.body.local.pid))
  t.match(await waitJob(g, p.keys.read, r.body.id), { status: 'COMPLETED', local: { exitCode: 0 } })
  const loss = await g.call('GET', `/v1/runs/${r.body.runId}/metrics?key=loss`, { auth: p.keys.read })
  t.same(loss.body.items.map((m: { step: number }) => m.step), [...Array(12).keys()], 'every step once, in order')
  await eventually(async () => (await readScalars(g.config.tensorboardDir)).filter(s => s.tag === 'val/dice').length === 12, 10000, 'fanned out to TensorBoard')

  const off = await g.call('POST', '/v1/jobs', { auth: p.keys.write, body: { name: 'sw-off', backend: 'local', model: 'UNet', environment: { TRACKGATE_TAIL_TENSORBOARD: '0' } } })
  t.equal(off.status, 201, JSON.stringify(off.body))
  t.teardown(() => killGroup(off.body.local.pid))
  t.match(await waitJob(g, p.keys.read, off.body.id), { status: 'COMPLETED' })
  t.equal((await g.call('GET', `/v1/runs/${off.body.runId}/metrics?key=loss`, { auth: p.keys.read })).body.items.length, 0, 'TRACKGATE_TAIL_TENSORBOARD=0 turns it off')
})
