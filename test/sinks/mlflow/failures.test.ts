import t from 'tap'
import { deliverWithBisect } from '../../../src/dispatch/bisect.js'
import { SinkError } from '../../../src/sinks/sink-error.js'
import { createMlflowSink, type MlflowSinkOptions } from '../../../src/sinks/mlflow/index.js'
import { fault, startMlflowEmulator, type MlflowEmulatorOptions } from '../../emulators/mlflow/index.js'
import { addressed, Partition, points, sinkRun } from './helpers.js'

async function setup (t: { teardown: (fn: () => unknown) => void }, sinkOpts: Partial<MlflowSinkOptions> = {}, emuOpts: MlflowEmulatorOptions = {}) {
  const emu = await startMlflowEmulator(emuOpts)
  const sink = createMlflowSink({ trackingUri: emu.url, ...sinkOpts })
  t.teardown(async () => { await sink.close?.(); await emu.close() })
  const p = new Partition(sink, sinkRun())
  return { emu, sink, p }
}
const codeOf = async (p: Promise<unknown>): Promise<SinkError> => {
  try { await p } catch (err) { if (err instanceof SinkError) return err; throw err }
  throw new Error('expected a SinkError')
}

t.test('429 with Retry-After → TG_SINK_THROTTLED carrying retryAfterMs; then it goes through', async t => {
  const { emu, p } = await setup(t)
  await p.deliver(addressed(points(3)))
  emu.script(fault.status(429, { retryAfter: 2, rpc: 'runs/log-batch' }))
  const err = await codeOf(p.deliver(addressed(points(3, 1, { stepBase: 10 }), 2)))
  t.match(err, { code: 'TG_SINK_THROTTLED', status: 429, retryAfterMs: 2000 })
  await p.deliver(addressed(points(3, 1, { stepBase: 10 }), 2))
  t.equal(emu.pointCount(), 6)
})

t.test('503, connection reset, an outage window and a timeout → TG_SINK_UNAVAILABLE', async t => {
  const { emu, p } = await setup(t, { requestTimeoutMs: 200 })
  await p.deliver(addressed(points(3)))
  const next = addressed(points(3, 1, { stepBase: 10 }), 2)
  emu.script(fault.status(503, { rpc: 'runs/log-batch' }))
  t.match(await codeOf(p.deliver(next)), { code: 'TG_SINK_UNAVAILABLE', status: 503 })
  emu.script(fault.status(503, { rpc: 'runs/log-batch', retryAfter: 1 }))
  t.match(await codeOf(p.deliver(next)), { code: 'TG_SINK_THROTTLED', retryAfterMs: 1000 }, '503 + Retry-After is a throttle')
  emu.script(fault.reset({ rpc: 'runs/log-batch' }))
  t.match(await codeOf(p.deliver(next)), { code: 'TG_SINK_UNAVAILABLE' })
  emu.script(fault.reset({ rpc: 'runs/log-batch', after: true })) // committed, answer lost
  t.match(await codeOf(p.deliver(next)), { code: 'TG_SINK_UNAVAILABLE' })
  emu.outage(150)
  t.match(await codeOf(p.deliver(next)), { code: 'TG_SINK_UNAVAILABLE' })
  await new Promise(resolve => setTimeout(resolve, 160))
  emu.script(fault.delay(500, { rpc: 'runs/log-batch' }))
  t.match(await codeOf(p.deliver(next)), { code: 'TG_SINK_UNAVAILABLE', message: /timeout|abort/i })
  await p.deliver(next)
  t.equal(emu.pointCount(), 6, 'every retry was harmless')
})

t.test('auth: Bearer and Basic accepted; a wrong secret → TG_SINK_AUTH without the secret in the message', async t => {
  const bearer = await setup(t, { token: 'tok-123' }, { auth: { bearer: 'tok-123' } })
  await bearer.p.deliver(addressed(points(2)))
  t.equal(bearer.emu.calls()[0]?.headers.authorization, 'Bearer tok-123')
  const wrong = await setup(t, { token: 'not-the-token' }, { auth: { bearer: 'tok-123' } })
  const err = await codeOf(wrong.p.deliver(addressed(points(2))))
  t.match(err, { code: 'TG_SINK_AUTH', status: 401 })
  t.notMatch(JSON.stringify({ m: err.message, s: err.stack, c: String(err.cause) }), 'not-the-token')
  const basic = await setup(t, { token: 'ignored', username: 'alice', password: 'pw:1' }, { auth: { basic: { username: 'alice', password: 'pw:1' } } })
  await basic.p.deliver(addressed(points(2)))
  t.equal(basic.emu.runs().length, 1, 'Basic wins over the token, as in MLflow')
  const inUri = await startMlflowEmulator({ auth: { basic: { username: 'bob', password: 's e' } } })
  const sink = createMlflowSink({ trackingUri: inUri.url.replace('http://', 'http://bob:s%20e@') + '/' })
  t.teardown(async () => { await sink.close?.(); await inUri.close() })
  await new Partition(sink, sinkRun()).deliver(addressed(points(1)))
  t.equal(inUri.runs().length, 1, 'user:password in the URI is Basic auth')
  const bad = await setup(t, { username: 'alice', password: 'hunter2' }, { auth: { basic: { username: 'alice', password: 'pw' } } })
  const e2 = await codeOf(bad.p.deliver(addressed(points(1))))
  t.match(e2, { code: 'TG_SINK_AUTH' }); t.notMatch(e2.message, 'hunter2')
})

t.test('a bad record → TG_SINK_REJECTED; bisecting isolates it and the rest is stored once', async t => {
  const { emu, sink } = await setup(t)
  emu.rejectMetric('train/k0', 0.73)
  const recs = addressed(points(40))
  const err = await codeOf(sink.deliver({ run: sinkRun(), state: null, signal: new AbortController().signal }, recs))
  t.match(err, { code: 'TG_SINK_REJECTED', status: 400 })
  const out = await deliverWithBisect(sink, { run: sinkRun(), state: null, signal: new AbortController().signal }, recs)
  t.same(out.deadLetters.map(d => [d.seq, d.idx]), [[1, 10]])
  t.equal(emu.pointCount(), 39)
  t.equal(emu.runs().length, 1, 'the run was opened once, though the first state was never committed')
})

t.test('a run deleted remotely → TG_SINK_GONE (soft delete and unknown run id); so is a deleted experiment', async t => {
  const { emu, p } = await setup(t)
  await p.deliver(addressed(points(2)))
  emu.deleteRun(emu.runs()[0]?.runId ?? '')
  t.match(await codeOf(p.deliver(addressed(points(2), 2))), { code: 'TG_SINK_GONE', status: 400 })
  p.state = { ...(p.state as object), runId: '0'.repeat(32) }
  t.match(await codeOf(p.deliver(addressed(points(2), 2))), { code: 'TG_SINK_GONE', status: 404 })
  const fresh = new Partition(p.sink, sinkRun({ id: 'run-1' })) // state lost, the tagged run is deleted
  t.match(await codeOf(fresh.deliver(addressed(points(2)))), { code: 'TG_SINK_GONE' })
  const other = await setup(t)
  await other.p.deliver(addressed(points(1)))
  other.emu.state.experiment(other.emu.experiment('brain-seg')?.id ?? '').lifecycle_stage = 'deleted'
  const again = createMlflowSink({ trackingUri: other.emu.url })
  t.teardown(() => again.close?.())
  t.match(await codeOf(new Partition(again, sinkRun({ id: 'run-2' })).deliver(addressed(points(1)))), { code: 'TG_SINK_GONE' })
})
