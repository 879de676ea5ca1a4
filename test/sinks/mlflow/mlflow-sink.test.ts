import t from 'tap'
import type { LogRecord } from '../../../src/domain/records.js'
import { createMlflowSink, RUN_ID_TAG, type MlflowSinkState } from '../../../src/sinks/mlflow/index.js'
import { startMlflowEmulator } from '../../emulators/mlflow/index.js'
import { addressed, Partition, points, sinkRun, T0 } from './helpers.js'

async function setup (t: { teardown: (fn: () => unknown) => void }, opts: { maxBatchBytes?: number } = {}) {
  const emu = await startMlflowEmulator({ maxBatchBytes: opts.maxBatchBytes ?? 1_000_000 })
  const sink = createMlflowSink({ trackingUri: emu.url })
  t.teardown(async () => { await sink.close?.(); await emu.close() })
  return { emu, sink }
}

/** The expected stored set: one entry per distinct point, ±Inf as the SQL store keeps it. */
const pointSet = (recs: LogRecord[]): string[] => [...new Set(recs.flatMap(r => r.kind !== 'metric'
  ? []
  : [`${r.key}|${r.step}|${r.timestamp}|${Number.isNaN(r.value) ? 'NaN' : Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, r.value))}`]))].sort()
const storedSet = (metrics: Record<string, Array<{ value: number, timestamp: number, step: number }>>): string[] =>
  Object.entries(metrics).flatMap(([k, ps]) => ps.map(p => `${k}|${p.step}|${p.timestamp}|${Number.isNaN(p.value) ? 'NaN' : p.value}`)).sort()

function workload (): LogRecord[] {
  const recs: LogRecord[] = points(5000, 200)
  recs[10] = { kind: 'metric', key: 'train/k10', value: NaN, step: 0, timestamp: T0 + 10 }
  recs[11] = { kind: 'metric', key: 'train/k11', value: Infinity, step: 0, timestamp: T0 + 11 }
  recs[12] = { kind: 'metric', key: 'train/k12', value: -Infinity, step: 0, timestamp: T0 + 12 }
  recs[4000] = { kind: 'metric', key: 'train/k0', value: NaN, step: 20, timestamp: T0 + 4000 }
  return recs
}

t.test('5,000 points over 200 keys (NaN, ±Inf included) land exactly once, in 5 log-batch requests', async t => {
  const { emu, sink } = await setup(t)
  t.equal(sink.name, 'mlflow'); t.equal(sink.maxBatchRecords, 5000)
  const recs = workload()
  const p = new Partition(sink, sinkRun({ jobName: 'sm-job-7' }))
  await p.deliver(addressed(recs))
  const [run, ...others] = emu.runs()
  t.equal(others.length, 0)
  t.same(storedSet(run?.metrics ?? {}), pointSet(recs))
  t.equal(Object.keys(run?.metrics ?? {}).length, 200)
  t.same(emu.requests.map(r => r.rpc), ['experiments/get-by-name', 'experiments/create', 'runs/search', 'runs/create', ...Array(5).fill('runs/log-batch')])
  t.match(run, { name: 'seg-unet', startTime: T0, status: 'RUNNING', tags: { 'mlflow.runName': 'seg-unet', 'mlflow.source.name': 'trackgate', [RUN_ID_TAG]: 'run-1', 'sagemaker.training_job_name': 'sm-job-7', team: 'ml' } })
  const state = p.state as MlflowSinkState
  t.match(state, { v: 1, target: emu.url, runId: run?.runId, experimentId: emu.experiment('brain-seg')?.id })
  t.ok(emu.calls('runs/log-batch').every(r => r.rawBody.includes('"value":"NaN"') || !r.rawBody.includes('null')), 'never null for NaN')
})

t.test('a resend with the committed state: no duplicates, no second run, no dead letter for NaN', async t => {
  const { emu, sink } = await setup(t)
  const recs = workload()
  const p = new Partition(sink, sinkRun())
  await p.deliver(addressed(recs.slice(0, 2500)))
  const committed = p.state
  await p.deliver(addressed(recs.slice(2500), 26))
  p.state = committed // crash before the second commit: the dispatcher resends the second part
  await p.deliver(addressed(recs.slice(2500), 26))
  await p.deliver(addressed(recs.slice(2500), 26))
  t.equal(emu.runs().length, 1)
  t.same(storedSet(emu.runs()[0]?.metrics ?? {}), pointSet(recs))
})

t.test('crash after runs/create, before the state was committed: a new process finds the run by tag', async t => {
  const { emu, sink } = await setup(t)
  const run = sinkRun()
  const hold = emu.hold({ rpc: 'runs/create' })
  const ac = new AbortController()
  const first = sink.deliver({ run, state: null, signal: ac.signal }, addressed(points(10)))
  await hold.reached
  ac.abort() // the process dies while runs/create's answer is in flight
  await t.rejects(first)
  hold.release()
  const restarted = createMlflowSink({ trackingUri: emu.url })
  t.teardown(() => restarted.close?.())
  const p = new Partition(restarted, run)
  await p.deliver(addressed(points(10)))
  t.equal(emu.runs().length, 1, 'one MLflow run')
  t.equal((p.state as MlflowSinkState).runId, emu.runs()[0]?.runId)
  t.equal(emu.runs()[0]?.metrics['train/k0']?.length, 10)
})

t.test('crash between "MLflow accepted the batch" and "cursor committed": resend stores nothing twice', async t => {
  const { emu, sink } = await setup(t)
  const recs: LogRecord[] = [...points(1500, 3), { kind: 'metric', key: 'nan', value: NaN, step: 1, timestamp: T0 }, { kind: 'param', key: 'lr', value: '0.01' }]
  const p = new Partition(sink, sinkRun())
  await p.deliver(addressed(points(5, 1, { t0: T0 - 100 }))) // run open, state committed
  const hold = emu.hold({ rpc: 'runs/log-batch', after: true })
  const ac = new AbortController()
  const inflight = p.deliver(addressed(recs, 2), ac.signal)
  await hold.reached
  ac.abort(); hold.reset()
  await t.rejects(inflight)
  await p.deliver(addressed(recs, 2)) // same records, previous state
  const run = emu.runs()[0]
  t.equal(emu.runs().length, 1)
  t.same(storedSet(run?.metrics ?? {}), pointSet([...points(5, 1, { t0: T0 - 100 }), ...recs]))
  t.same(run?.params, { lr: '0.01' })
})

t.test('status → runs/update with end_time, after every metric logged before it', async t => {
  for (const status of ['FINISHED', 'FAILED', 'KILLED'] as const) {
    const { emu, sink } = await setup(t)
    const p = new Partition(sink, sinkRun({ id: `run-${status}` }))
    const recs: LogRecord[] = [...points(1200), { kind: 'status', status, timestamp: T0 + 9999 }, { kind: 'tag', key: 'after', value: 'yes' }]
    await p.deliver(addressed(recs))
    const rpcs = emu.requests.map(r => r.rpc)
    t.same(rpcs.slice(-4), ['runs/log-batch', 'runs/log-batch', 'runs/update', 'runs/log-batch'], status)
    t.same(emu.calls('runs/update')[0]?.body, { run_id: emu.runs()[0]?.runId, status, end_time: T0 + 9999 })
    t.match(emu.runs()[0], { status, endTime: T0 + 9999, tags: { after: 'yes' } })
    await p.deliver(addressed(recs)) // resend after a lost commit: same final state
    t.match(emu.runs()[0], { status, endTime: T0 + 9999 })
  }
})

t.test('params: a resend of the same value is fine; a changed value is a permanent rejection', async t => {
  const { emu, sink } = await setup(t)
  const p = new Partition(sink, sinkRun())
  await p.deliver(addressed([{ kind: 'param', key: 'lr', value: '0.1' }, { kind: 'param', key: 'lr', value: '0.1' }]))
  await p.deliver(addressed([{ kind: 'param', key: 'lr', value: '0.1' }], 2))
  await t.rejects(p.deliver(addressed([{ kind: 'param', key: 'lr', value: '0.2' }], 3)), { code: 'TG_SINK_REJECTED', status: 400 })
  t.same(emu.runs()[0]?.params, { lr: '0.1' })
})

t.test('two runs creating the same experiment at once (separate processes) share it', async t => {
  const { emu } = await setup(t)
  const sinks = [createMlflowSink({ trackingUri: emu.url }), createMlflowSink({ trackingUri: emu.url })]
  t.teardown(() => Promise.all(sinks.map(s => s.close?.())))
  emu.script({ fault: { kind: 'delay', ms: 50 }, rpc: 'experiments/get-by-name', after: true }, { fault: { kind: 'delay', ms: 50 }, rpc: 'experiments/get-by-name', after: true })
  await Promise.all(sinks.map((s, i) => new Partition(s, sinkRun({ id: `r${i}`, experiment: 'shared' })).deliver(addressed(points(3)))))
  t.equal(emu.calls('experiments/create').filter(r => r.status === 400).length, 1, 'one create lost the race with RESOURCE_ALREADY_EXISTS')
  t.same(new Set(emu.runs().map(r => r.experimentId)).size, 1)
  t.equal(emu.runs().length, 2)
})

t.test('10,000 points as two 5,000-record delivers: 10 log-batch requests plus run setup', async t => {
  const { emu, sink } = await setup(t)
  const p = new Partition(sink, sinkRun())
  const recs = points(10_000, 20)
  await p.deliver(addressed(recs.slice(0, 5000)))
  await p.deliver(addressed(recs.slice(5000), 51))
  t.equal(emu.calls('runs/log-batch').length, 10)
  t.ok(emu.requests.length <= 14, `${emu.requests.length} requests in all`)
  t.equal(sink.requestsSent, emu.requests.length)
  t.equal(emu.pointCount(), 10_000)
})

t.test('empty deliver (a wake-up) keeps state and sends nothing', async t => {
  const { emu, sink } = await setup(t)
  const res = await sink.deliver({ run: sinkRun(), state: { v: 1 }, signal: new AbortController().signal }, [])
  t.same(res.state, { v: 1 }); t.equal(emu.requests.length, 0)
})
