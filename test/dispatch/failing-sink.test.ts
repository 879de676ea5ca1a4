import t from 'tap'
import { eventually, seedProject, startGateway } from '../helper.js'
import type { Sink } from '../../src/sinks/sink.js'
import type { AddressedRecord } from '../../src/domain/records.js'
import { SinkError } from '../../src/sinks/sink-error.js'

/** A sink driven by a script of outcomes, storing idempotently by (seq, idx) like a real adapter. */
function scriptedSink (name: string) {
  const stored = new Map<string, AddressedRecord>()
  const calls: Array<{ at: number, n: number, outcome: string }> = []
  const script: Array<'ok' | 'reset' | 'throttle' | 'auth'> = []
  let poison: (r: AddressedRecord) => boolean = () => false
  const sink: Sink = {
    name,
    maxBatchRecords: 100,
    async deliver (ctx, records) {
      const next = script.shift() ?? 'ok'
      calls.push({ at: Date.now(), n: records.length, outcome: next })
      if (next === 'reset') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
      if (next === 'throttle') throw new SinkError('TG_SINK_THROTTLED', 'HTTP 429', { status: 429, retryAfterMs: 300 })
      if (next === 'auth') throw new SinkError('TG_SINK_AUTH', 'HTTP 401: bad key', { status: 401 })
      if (records.some(poison)) throw new SinkError('TG_SINK_REJECTED', 'HTTP 400: bad value', { status: 400 })
      for (const r of records) stored.set(`${r.seq}.${r.idx}`, r)
      return { state: { n: ((ctx.state as { n: number } | null)?.n ?? 0) + records.length } }
    }
  }
  return { sink, stored, calls, script, setPoison: (f: typeof poison) => { poison = f } }
}

t.test('transient, throttled and poison failures: retry schedule, dead letter, replay; other sinks keep flowing', async t => {
  const fake = scriptedSink('fake')
  const g = await startGateway(t, { env: { TRACKGATE_DEFAULT_SINKS: 'tensorboard,fake' }, build: { extraSinks: [fake.sink] } })
  const p = await seedProject(g)
  const run = await p.run()
  fake.script.push('reset', 'reset', 'throttle')
  fake.setPoison(r => r.kind === 'metric' && r.key === 'bad')
  const metrics = Array.from({ length: 10 }, (_, i) => ({ key: i === 6 ? 'bad' : 'good', value: i, step: i }))
  t.equal((await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'b1', metrics } })).status, 202)

  // TensorBoard is not held back while the fake sink fails.
  const tbDone = await eventually(async () => {
    const s = await g.call('GET', `/v1/runs/${run.id}/sinks`, { auth: p.keys.read })
    const tb = s.body.find((x: { sink: string }) => x.sink === 'tensorboard')
    const f = s.body.find((x: { sink: string }) => x.sink === 'fake')
    return tb.lag === 0 ? { f } : undefined
  }, 5000, 'tensorboard delivery')
  t.ok(tbDone, 'tensorboard delivered')

  const status = await eventually(async () => {
    const s = await g.call('GET', `/v1/runs/${run.id}/sinks`, { auth: p.keys.read })
    const f = s.body.find((x: { sink: string }) => x.sink === 'fake')
    return f.lag === 0 ? f : undefined
  }, 10000, 'fake sink delivery')
  t.equal(status.state, 'healthy')

  // Schedule: two resets back off (20 ms × 2^n ± 50%), the throttle waits at least its Retry-After.
  const [c1, c2, c3, c4] = fake.calls
  t.same(fake.calls.slice(0, 3).map(c => c.outcome), ['reset', 'reset', 'throttle'])
  t.ok((c2?.at ?? 0) - (c1?.at ?? 0) >= 10, 'first back-off ≥ 10 ms')
  t.ok((c3?.at ?? 0) - (c2?.at ?? 0) >= 20, 'second back-off ≥ 20 ms')
  t.ok((c4?.at ?? 0) - (c3?.at ?? 0) >= 300, 'no request before Retry-After')

  const stored = [...fake.stored.values()].map(r => (r as { value: number }).value)
  t.same(stored, [0, 1, 2, 3, 4, 5, 7, 8, 9], 'everything but the poison record delivered, in order')
  const dl = await g.call('GET', `/v1/dead-letters?runId=${run.id}`, { auth: p.keys.read })
  t.equal(dl.body.items.length, 1)
  t.match(dl.body.items[0], { sink: 'fake', runId: run.id, seq: 1, idx: 6, code: 'TG_SINK_REJECTED', status: 'dead', record: { key: 'bad', value: 6, step: 6 } })
  const m = await g.call('GET', '/metrics')
  t.match(m.body, /trackgate_sink_dead_lettered_total\{sink="fake"\} 1/)
  t.match(m.body, /trackgate_sink_retries_total\{sink="fake"\} [3-9]/)
  t.match(m.body, /trackgate_dead_letters\{sink="fake"\} 1/)

  // Fix the cause, replay: delivered once, dead letter gone.
  fake.setPoison(() => false)
  const rp = await g.call('POST', `/v1/dead-letters/${dl.body.items[0].id}/replay`, { auth: p.keys.write })
  t.equal(rp.status, 202)
  await eventually(async () => fake.stored.has('1.6'), 5000, 'replay')
  await eventually(async () => (await g.call('GET', `/v1/dead-letters?runId=${run.id}`, { auth: p.keys.read })).body.items.length === 0, 5000, 'dead letter removed')
})

t.test('auth failure pauses the partition until resumed; a new sink backfills from seq 1; discard works', async t => {
  const fake = scriptedSink('fake')
  const late = scriptedSink('late')
  const g = await startGateway(t, { env: { TRACKGATE_DEFAULT_SINKS: 'fake' }, build: { extraSinks: [fake.sink, late.sink] } })
  const p = await seedProject(g)
  const run = await p.run({ params: { lr: '0.1' } })
  fake.script.push('auth')
  await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'b', metrics: [{ key: 'x', value: 1, step: 1 }] } })
  const paused = await eventually(async () => {
    const s = (await g.call('GET', `/v1/runs/${run.id}/sinks`, { auth: p.keys.read })).body[0]
    return s.state === 'paused' ? s : undefined
  }, 5000, 'pause')
  t.match(paused.lastError, { code: 'TG_SINK_AUTH' })
  const callsAtPause = fake.calls.length
  t.equal(fake.calls.at(-1)?.outcome, 'auth')
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(fake.calls.length, callsAtPause, 'a paused partition is not retried on its own')
  const res = await g.call('POST', `/v1/runs/${run.id}/sinks/fake/resume`, { auth: p.keys.write })
  t.equal(res.status, 200)
  await eventually(async () => fake.stored.size === 2, 5000, 'delivery after resume')

  const add = await g.call('POST', `/v1/runs/${run.id}/sinks`, { auth: p.keys.write, body: { sink: 'late' } })
  t.equal(add.status, 201)
  t.equal((await g.call('POST', `/v1/runs/${run.id}/sinks`, { auth: p.keys.write, body: { sink: 'late' } })).status, 409)
  await eventually(async () => late.stored.size === 2, 5000, 'backfill')
  t.same([...late.stored.values()].map(r => r.kind), ['param', 'metric'], 'backfilled from the first entry')

  late.setPoison(r => r.kind === 'metric')
  await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'c', metrics: [{ key: 'x', value: 2, step: 2 }] } })
  const dl = await eventually(async () => (await g.call('GET', '/v1/dead-letters?sink=late', { auth: p.keys.read })).body.items[0], 5000, 'dead letter')
  t.equal((await g.call('DELETE', `/v1/dead-letters/${dl.id}`, { auth: p.keys.write })).status, 204)
  t.equal((await g.call('GET', '/v1/dead-letters', { auth: p.keys.read })).body.items.length, 0)
  const other = await seedProject(g, 'other')
  t.equal((await g.call('DELETE', `/v1/dead-letters/${dl.id}`, { auth: other.keys.write })).status, 404, 'another project cannot touch it')
})
