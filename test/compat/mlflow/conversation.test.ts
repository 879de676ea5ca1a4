import t from 'tap'
import { eventually, seedProject, startGateway } from '../../helper.js'

const API = '/mlflow/api/2.0/mlflow'

/** The stock 3.6 client's requests for the §2 script (reference/mlflow.md), replayed in order. */
t.test('recorded conversation: the fluent client script makes one gateway run that reaches TensorBoard', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const w = p.keys.write
  const call = async (method: string, path: string, body?: unknown) => await g.call(method, API + path, { auth: w, body })

  let r = await call('GET', '/experiments/get-by-name?experiment_name=demo-exp')
  t.equal(r.status, 404)
  t.same(r.body, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Could not find experiment with name 'demo-exp'" })
  r = await call('POST', '/experiments/create', { name: 'demo-exp' })
  t.equal(r.status, 200)
  const expId: string = r.body.experiment_id
  t.match(expId, /^[A-Za-z0-9][\w-]*$/)
  r = await call('GET', `/experiments/get?experiment_id=${expId}`)
  t.equal(r.status, 200)
  t.match(r.body.experiment, { experiment_id: expId, name: 'demo-exp', lifecycle_stage: 'active', artifact_location: String })

  r = await call('POST', '/runs/create', {
    experiment_id: expId,
    user_id: 'root',
    run_name: 'r1',
    start_time: 1795687191517,
    tags: [{ key: 'mlflow.user', value: 'root' }, { key: 'mlflow.source.name', value: 'train.py' },
      { key: 'mlflow.source.type', value: 'LOCAL' }, { key: 'mlflow.runName', value: 'r1' }]
  })
  t.equal(r.status, 200)
  const info = r.body.run.info
  const id: string = info.run_id
  t.match(info, { run_uuid: id, experiment_id: expId, run_name: 'r1', user_id: 'root', status: 'RUNNING', start_time: 1795687191517, lifecycle_stage: 'active' })
  t.same(r.body.run.inputs, {})

  const steps: Array<[string, unknown]> = [
    ['/runs/log-batch', { run_id: id, params: [{ key: 'lr', value: '0.001' }, { key: 'batch_size', value: '32' }] }],
    ['/runs/log-metric', { run_uuid: id, key: 'loss', value: 1.0, timestamp: 1795687191529, step: 0, run_id: id }],
    ['/runs/log-metric', { run_uuid: id, key: 'loss', value: 0.5, timestamp: 1795687191536, step: 1, run_id: id }],
    ['/runs/log-metric', { run_uuid: id, key: 'loss_nan', value: 'NaN', timestamp: 1795687191544, step: 2, run_id: id }],
    ['/runs/log-metric', { run_uuid: id, key: 'loss_inf', value: 'Infinity', timestamp: 1795687191558, step: 2, run_id: id }],
    ['/runs/log-batch', {
      run_id: id,
      metrics: [{ key: 'acc', value: 0.9, timestamp: 1795687191565, step: 3, run_id: id }, { key: 'f1', value: 0.8, timestamp: '1795687191565', step: '3', run_id: id }]
    }],
    ['/runs/log-batch', { run_id: id, tags: [{ key: 'team', value: 'ml' }, { key: 'stage', value: 'dev' }] }],
    ['/runs/set-tag', { run_uuid: id, key: 'single', value: 'x', run_id: id }],
    ['/runs/log-parameter', { run_uuid: id, key: 'single_param', value: 'v', run_id: id }]
  ]
  for (const [path, body] of steps) {
    r = await call('POST', path, body)
    t.equal(r.status, 200, path)
    t.same(r.body, {}, path)
  }
  r = await call('GET', `/runs/get?run_uuid=${id}&run_id=${id}`)
  t.equal(r.status, 200)
  t.same(r.body.run.data.params, [{ key: 'batch_size', value: '32' }, { key: 'lr', value: '0.001' }, { key: 'single_param', value: 'v' }])
  const latest = Object.fromEntries(r.body.run.data.metrics.map((m: { key: string }) => [m.key, m]))
  t.same(latest.loss, { key: 'loss', value: 0.5, timestamp: 1795687191536, step: 1 })
  t.same(latest.loss_nan.value, 'NaN')
  t.same(latest.loss_inf.value, 'Infinity')
  t.match(Object.fromEntries(r.body.run.data.tags.map((x: { key: string, value: string }) => [x.key, x.value])), { team: 'ml', stage: 'dev', single: 'x', 'mlflow.runName': 'r1' })

  r = await call('POST', '/runs/update', { run_uuid: id, status: 'FINISHED', end_time: 1795687203527, run_id: id })
  t.equal(r.status, 200)
  t.match(r.body.run_info, { run_id: id, status: 'FINISHED', end_time: 1795687203527 })

  // The same run, read back through the gateway's own API.
  const run = await g.call('GET', `/v1/runs/${id}`, { auth: p.keys.read })
  t.match(run.body, { id, name: 'r1', experiment: 'demo-exp', status: 'FINISHED', params: { lr: '0.001', batch_size: '32', single_param: 'v' } })
  const summary = await g.call('GET', `/v1/runs/${id}/summary`, { auth: p.keys.read })
  t.same(summary.body.metrics.acc, { value: 0.9, step: 3, timestamp: 1795687191565 })
  const metrics = await g.call('GET', `/v1/runs/${id}/metrics?key=loss`, { auth: p.keys.read })
  t.same(metrics.body.items.map((m: { value: number }) => m.value), [1, 0.5])

  // History as the client reads it, in pages.
  r = await call('GET', `/metrics/get-history?run_id=${id}&metric_key=loss&max_results=1`)
  t.same(r.body.metrics, [{ key: 'loss', value: 1, timestamp: 1795687191529, step: 0 }])
  t.type(r.body.next_page_token, 'string')
  r = await call('GET', `/metrics/get-history?run_id=${id}&metric_key=loss&max_results=25000&page_token=${r.body.next_page_token as string}`)
  t.same(r.body, { metrics: [{ key: 'loss', value: 0.5, timestamp: 1795687191536, step: 1 }] })

  // Search, as `mlflow.search_runs` / nested-run lookups call it; experiment search lists both.
  r = await call('POST', '/runs/search', { experiment_ids: [expId], filter: "tags.team = 'ml' and attributes.status = 'FINISHED'", max_results: 10 })
  t.same(r.body.runs.map((x: { info: { run_id: string } }) => x.info.run_id), [id])
  r = await call('POST', '/runs/search', { experiment_ids: [expId], filter: 'metrics.acc > 0.95' })
  t.same(r.body, { runs: [] })
  r = await call('POST', '/experiments/search', { max_results: 100 })
  t.same(r.body.experiments.map((e: { name: string }) => e.name).sort(), ['Default', 'demo-exp'])
  r = await g.call('GET', '/mlflow/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=Default', { auth: p.keys.read })
  t.equal(r.body.experiment.experiment_id, '0')

  // Nested run: mlflow.parentRunId becomes the gateway parent.
  r = await call('POST', '/runs/create', { experiment_id: expId, tags: [{ key: 'mlflow.parentRunId', value: id }] })
  const child: string = r.body.run.info.run_id
  t.match(r.body.run.info.run_name, /^run-/)
  t.equal((await g.call('GET', `/v1/runs/${child}`, { auth: p.keys.read })).body.parentRunId, id)
  r = await call('POST', '/runs/search', { experiment_ids: [expId], filter: `tags.mlflow.parentRunId = '${id}'` })
  t.same(r.body.runs.map((x: { info: { run_id: string } }) => x.info.run_id), [child])

  // (e) every point reaches the TensorBoard sink.
  await eventually(async () => {
    const s = await g.call('GET', `/v1/runs/${id}/sinks`, { auth: p.keys.read })
    return s.body.length > 0 && s.body.every((c: { lag: number, sink: string }) => c.lag === 0) && s.body.some((c: { sink: string }) => c.sink === 'tensorboard')
  }, 10000, 'tensorboard to catch up')
})
