import t from 'tap'
import { eventually, seedProject, startGateway } from '../helper.js'
import type { Sink } from '../../src/sinks/sink.js'
import { SinkError } from '../../src/sinks/sink-error.js'

t.test('over the backlog high-water mark ingest answers 429 with Retry-After, and nothing acknowledged is lost', async t => {
  let up = false
  const stored: number[] = []
  const slow: Sink = {
    name: 'slow',
    maxBatchRecords: 1000,
    async deliver (ctx, records) {
      if (!up) throw new SinkError('TG_SINK_UNAVAILABLE', 'down')
      for (const r of records) if (r.kind === 'metric') stored.push(r.step)
      return { state: ctx.state }
    }
  }
  const g = await startGateway(t, { env: { TRACKGATE_BACKLOG_HIGH_WATER: '5', TRACKGATE_DEFAULT_SINKS: 'slow' }, build: { extraSinks: [slow] } })
  const p = await seedProject(g)
  const run = await p.run()
  const acked: number[] = []
  let refused = 0
  for (let i = 0; i < 40; i++) {
    const r = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: `b${i}`, metrics: [{ key: 'x', value: i, step: i }] } })
    if (r.status === 202) acked.push(i)
    else {
      t.equal(r.status, 429)
      t.equal(r.body.code, 'TG_BACKPRESSURE')
      t.match(r.headers.get('retry-after'), /^\d+$/)
      refused++
    }
    await g.app.backpressure.measure()
  }
  t.ok(refused > 0, 'some requests were refused')
  // The other ingest routes share the gate, each with its own refusal.
  const tf = await g.call('POST', `/v1/runs/${run.id}/tfevents?file=events.out.tfevents.1&offset=0`, { auth: run.token, raw: '', headers: { 'content-type': 'application/octet-stream' } })
  t.match({ status: tf.status, code: tf.body.code }, { status: 429, code: 'TG_BACKPRESSURE' }, 'event-file uploads too')
  t.match(tf.headers.get('retry-after'), /^\d+$/)
  const ml = await g.call('POST', '/mlflow/api/2.0/mlflow/runs/log-batch', { auth: p.keys.write, body: { run_id: run.id, metrics: [{ key: 'x', value: 1, timestamp: 1, step: 999 }] } })
  t.match({ status: ml.status, code: ml.body.error_code }, { status: 429, code: 'REQUEST_LIMIT_EXCEEDED' }, 'MLflow writes too, in MLflow\'s shape')
  t.match(ml.headers.get('retry-after'), /^\d+$/)
  t.ok(acked.length >= 5, 'requests below the mark were accepted')
  const metrics = await g.call('GET', '/metrics')
  t.match(metrics.body, /trackgate_ingest_rejected_total\{reason="backpressure"\} \d+/)
  up = true
  await eventually(async () => stored.length === acked.length, 10000, 'drain')
  t.same(stored, acked, 'every acknowledged point delivered, in order')
  await g.app.backpressure.measure()
  const r = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'after', metrics: [{ key: 'x', value: 1, step: 100 }] } })
  t.equal(r.status, 202, 'accepts again once drained')
})

t.test('over the store-size high-water mark ingest answers 429', async t => {
  const g = await startGateway(t, { env: { TRACKGATE_STORE_HIGH_WATER_BYTES: '4096' } })
  const p = await seedProject(g)
  const run = await p.run()
  await g.app.backpressure.measure()
  const r = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'x', metrics: [] } })
  t.equal(r.status, 429)
  t.match(r.body.message, /store size/)
})
