import t from 'tap'
import { completed, sinkRun } from './driver.js'
import { stepMetrics } from './helpers.js'
import { contiguous, fill, setup } from './setup.js'

t.test('one step split over three deliver calls becomes one row', async (t) => {
  const { emu, driver } = await setup(t, { maxBatch: 2 })
  fill(driver, 'split', 3)
  await driver.run(completed, 10_000)
  const run = emu.run('split')
  t.equal(run?.history.length, 3)
  t.ok(contiguous(run?.history ?? []))
  t.same(Object.keys(run?.history[1] ?? {}).sort(), ['_runtime', '_step', '_timestamp', 'epoch', 'grad_norm', 'lr', 'ratio', 'train/loss'])
  t.ok((driver.partitions.get('split')?.commits.length ?? 0) >= 8, 'many small delivers')
  t.same(emu.violations(), [])
})

t.test('a late metric is refused (late_step) and bisected down to exactly that record', async (t) => {
  const { emu, driver } = await setup(t, { maxBatch: 100 })
  driver.add(sinkRun('late'))
  for (let s = 0; s < 6; s++) driver.append('late', stepMetrics(s))
  driver.append('late', [{ kind: 'metric', key: 'train/loss', value: 9, step: 2, timestamp: Date.now() }, ...stepMetrics(6)])
  driver.append('late', [{ kind: 'status', status: 'FINISHED', timestamp: Date.now() }])
  await driver.run(completed, 10_000)
  const p = driver.partitions.get('late')
  t.equal(p?.deadLetters.length, 1)
  t.match(p?.deadLetters[0], { record: { key: 'train/loss', step: 2, value: 9 }, message: /late_step/ })
  const run = emu.run('late')
  t.equal(run?.history.length, 7, 'every good record still arrived')
  t.ok(contiguous(run?.history ?? []))
  t.equal(run?.history[2]?.['train/loss'], 1 / 3, 'the sent row was not changed')
})

t.test('an idle row closes on a wake-up; heartbeats keep the run alive while idle', async (t) => {
  const { emu, driver } = await setup(t, { sink: { rowIdleMs: 150, heartbeatMs: 250 } })
  fill(driver, 'idle', 1, null)
  const p = driver.partitions.get('idle')
  await driver.run(() => (p?.state as { acked?: number } | null)?.acked === 1, 5000)
  t.equal(emu.run('idle')?.history.length, 1, 'row sent without a higher step or status')
  const before = emu.requests.length
  await driver.run(() => emu.requests.slice(before).some((r) => r.route === 'file_stream' && JSON.stringify(r.body) === '{}'), 5000)
  t.pass('a {} heartbeat went out while idle')
  t.equal(emu.run('idle')?.state, 'running')
  driver.append('idle', [{ kind: 'status', status: 'FAILED', timestamp: Date.now() }])
  await driver.run(completed, 5000)
  t.match(emu.run('idle'), { state: 'failed', exitcode: 1 })
})

t.test('stopped: true from W&B is surfaced in state and through onStopRequested', async (t) => {
  const stops: string[] = []
  const { emu, driver } = await setup(t, { sink: { onStopRequested: (id) => stops.push(id) } })
  fill(driver, 'stop', 2, null)
  const p = driver.partitions.get('stop')
  await driver.run(() => emu.run('stop') !== undefined, 5000)
  emu.setStopped('stop')
  driver.append('stop', stepMetrics(5))
  driver.append('stop', [{ kind: 'status', status: 'FINISHED', timestamp: Date.now() }])
  await driver.run(completed, 5000)
  t.equal((p?.state as { stopRequested: boolean }).stopRequested, true)
  t.same(stops, ['stop'])
})
