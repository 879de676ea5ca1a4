import t from 'tap'
import { fault, type WandbEmulator } from '../../emulators/wandb/index.js'
import { completed } from './driver.js'
import { contiguous, fill, setup } from './setup.js'

const fileStreams = (emu: WandbEmulator, run: string) => emu.requests.filter((r) => r.route === 'file_stream' && r.run === run)

t.test('429 with Retry-After: nothing sent before the deadline, then everything, complete last', async (t) => {
  const { emu, driver } = await setup(t)
  emu.script(fault.throttle(1, { route: 'file_stream' }))
  fill(driver, 'r429', 30)
  await driver.run(completed, 10_000)
  const fs = fileStreams(emu, 'r429')
  t.equal(fs[0]?.status, 429)
  t.ok((fs[1]?.at ?? 0) - (fs[0]?.at ?? 0) >= 1000, 'the next request waited for Retry-After')
  t.match(driver.partitions.get('r429')?.errors[0], { code: 'TG_SINK_THROTTLED', retryAfterMs: 1000 })
  const run = emu.run('r429')
  t.ok(run?.history.length === 30 && contiguous(run.history))
  t.equal(run?.state, 'finished')
  t.same(emu.violations(), [])
})

t.test('a 5xx window and connection resets: retried, nothing lost, nothing doubled', async (t) => {
  const { emu, driver } = await setup(t, { maxBatch: 40 })
  emu.script(fault.reset({ route: 'file_stream' }), fault.status(502, { route: 'graphql', op: 'UpsertBucket' }))
  emu.outage(600, { kind: 'status', status: 503 }, { route: 'file_stream' })
  fill(driver, 'r5xx', 40)
  await driver.run(completed, 10_000)
  const codes = driver.partitions.get('r5xx')?.errors.map((e) => e.code) ?? []
  t.ok(codes.length >= 2 && codes.every((c) => c === 'TG_SINK_UNAVAILABLE'), 'transient failures only')
  const run = emu.run('r5xx')
  t.ok(run?.history.length === 40 && contiguous(run.history))
  t.equal(run?.state, 'finished')
  t.same(emu.violations(), [])
})

t.test('413: split and resent at the same offsets until it fits', async (t) => {
  const { emu, driver } = await setup(t, { emu: { maxBodyBytes: 6000 } })
  fill(driver, 'r413', 60)
  await driver.run(completed, 15_000)
  const fs = fileStreams(emu, 'r413')
  t.ok(fs.some((r) => r.status === 413), 'the server refused a big body')
  const run = emu.run('r413')
  t.ok(run?.history.length === 60 && contiguous(run.history), 'all 60 rows, once each')
  t.equal(run?.state, 'finished')
  t.same(emu.violations(), [])
})

t.test('crash before the cursor commit: a resend from an older state rewrites the same lines', async (t) => {
  const { emu, driver } = await setup(t, { maxBatch: 25 })
  fill(driver, 'crash', 50, null)
  const p = driver.partitions.get('crash')
  await driver.run(() => (p?.state as { acked?: number } | null)?.acked === 49, 10_000)
  // Back to the commit after the first batch: rows 0..4 were closed there, and W&B already has 49.
  driver.rewind('crash', 1)
  fill(driver, 'crash', 0)
  await driver.run(completed, 10_000)
  const run = emu.run('crash')
  t.ok(run?.history.length === 50 && contiguous(run.history), 'no duplicate, no missing row')
  t.equal(run?.state, 'finished')
  t.same(emu.violations(), [])
})

t.test('the server applied the request but the answer was lost: the resend is harmless', async (t) => {
  const { emu, driver } = await setup(t)
  const held = emu.hold({ route: 'file_stream', run: 'drop' })
  fill(driver, 'drop', 10)
  const done = driver.run(completed, 10_000)
  await held.arrived
  held.drop()
  await done
  const run = emu.run('drop')
  t.ok(run?.history.length === 10 && contiguous(run.history))
  t.equal(run?.state, 'finished')
})

t.test('404: upsertBucket again once; a run deleted on W&B is parked as GONE', async (t) => {
  const { emu, driver } = await setup(t)
  emu.script(fault.status(404, { route: 'file_stream' }))
  fill(driver, 'nf', 5)
  await driver.run(completed, 5000)
  t.equal(emu.run('nf')?.history.length, 5, 'recovered after one re-upsert')
  t.equal(emu.requests.filter((r) => r.op === 'UpsertBucket').length, 2)

  fill(driver, 'gone', 3, null)
  const p = driver.partitions.get('gone')
  await driver.run(() => (p?.state as { acked?: number } | null)?.acked === 2, 5000)
  emu.deleteRun('gone')
  fill(driver, 'gone', 0)
  await driver.run(completed, 5000)
  t.match(p?.paused, { code: 'TG_SINK_GONE', message: /deleted/ })
})

t.test('401: TG_SINK_AUTH, and the key never appears in the error', async (t) => {
  const key = 'local-' + 'f'.repeat(40)
  const { driver } = await setup(t, { sink: { apiKey: key } })
  fill(driver, 'auth', 1)
  await driver.run(completed, 5000)
  const err = driver.partitions.get('auth')?.paused
  t.equal(err?.code, 'TG_SINK_AUTH')
  t.notMatch(JSON.stringify({ m: err?.message, s: err?.stack }), key)
  t.notMatch(JSON.stringify({ m: err?.message }), Buffer.from(`api:${key}`).toString('base64'))
})
