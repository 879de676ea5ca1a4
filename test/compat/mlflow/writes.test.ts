import t from 'tap'
import { seedProject, startGateway } from '../../helper.js'

const API = '/mlflow/api/2.0/mlflow'

t.test('writes: retries stored once, MLflow limits, errors and auth', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g, 'a')
  const other = await seedProject(g, 'b')
  const w = p.keys.write
  const call = async (method: string, path: string, body?: unknown, auth = w) => await g.call(method, API + path, { auth, body })
  const created = await call('POST', '/runs/create', { experiment_id: '0', run_name: 'retry' })
  t.equal(created.status, 200)
  const id: string = created.body.run.info.run_id
  t.equal(created.body.run.info.experiment_id, '0')

  t.test('(b) a retried log-batch is stored once', async t => {
    const batch = { run_id: id, metrics: [{ key: 'm', value: 1, timestamp: 1700000000000, step: 1 }, { key: 'm', value: 'NaN', timestamp: 1700000000001, step: 2 }] }
    const head = (await g.call('GET', `/v1/runs/${id}`, { auth: p.keys.read })).body.headSeq
    for (let i = 0; i < 3; i++) t.same((await call('POST', '/runs/log-batch', batch)).body, {})
    // The same body with its keys in another order and run_uuid added is the same write.
    t.same((await call('POST', '/runs/log-batch', { metrics: batch.metrics, run_uuid: id, run_id: id })).body, {})
    const after = (await g.call('GET', `/v1/runs/${id}`, { auth: p.keys.read })).body.headSeq
    t.equal(after, head + 1, 'one run-log entry')
    const pts = await g.call('GET', `/v1/runs/${id}/metrics?key=m`, { auth: p.keys.read })
    t.same(pts.body.items.map((x: { step: number }) => x.step), [1, 2])
    // A tag set back to an earlier value is a new write, not a retry.
    for (const v of ['x', 'y', 'x']) await call('POST', '/runs/set-tag', { run_id: id, key: 'flip', value: v })
    t.equal((await g.call('GET', `/v1/runs/${id}`, { auth: p.keys.read })).body.tags.flip, 'x')
  })

  t.test('(c) limits, param immutability and error bodies', async t => {
    const many = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i))
    let r = await call('POST', '/runs/log-batch', { run_id: id, metrics: many(1001, i => ({ key: 'k', value: i, timestamp: 1, step: i })) })
    t.same(r.body, { error_code: 'INVALID_PARAMETER_VALUE', message: 'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.' })
    t.equal(r.status, 400)
    r = await call('POST', '/runs/log-batch', { run_id: id, params: many(101, i => ({ key: `p${i}`, value: 'v' })) })
    t.match(r.body, { error_code: 'INVALID_PARAMETER_VALUE', message: 'A batch logging request can contain at most 100 params. Got 101 params.' })
    r = await call('POST', '/runs/log-batch', { run_id: id, tags: many(101, i => ({ key: `t${i}`, value: 'v' })) })
    t.match(r.body.message, 'at most 100 tags')
    r = await call('POST', '/runs/log-batch', { run_id: id, params: [{ key: 'p2', value: 'a' }, { key: 'p2', value: 'a' }] })
    t.match(r.body.message, "Duplicate parameter keys have been submitted: ['p2']")
    r = await call('POST', '/runs/log-metric', { run_id: id, key: 'loss', value: 1 })
    t.same(r.body, { error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'timestamp'. See the API docs for more information about request parameters." })
    r = await call('POST', '/runs/log-metric', { run_id: id, key: 'a//b', value: 1, timestamp: 1 })
    t.match(r.body, { error_code: 'INVALID_PARAMETER_VALUE', message: "Invalid metric name: 'a//b'" })
    r = await call('POST', '/runs/log-metric', { run_id: id, key: 'k'.repeat(251), value: 1, timestamp: 1 })
    t.match(r.body.message, 'had length 251, which exceeded length limit of 250')

    t.same((await call('POST', '/runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' })).body, {})
    t.same((await call('POST', '/runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' })).body, {}, 'same value again is fine')
    r = await call('POST', '/runs/log-parameter', { run_id: id, key: 'lr', value: '0.2' })
    t.equal(r.status, 400)
    t.same(r.body, { error_code: 'INVALID_PARAMETER_VALUE', message: `Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' for run ID='${id}'. Attempted logging new value '0.2'.` })
    r = await call('POST', '/runs/log-batch', { run_id: id, params: [{ key: 'lr', value: '0.3' }], metrics: [{ key: 'lost', value: 1, timestamp: 5 }] })
    t.same(r.body.message, `Changing param values is not allowed. Params were already logged='[{'key': 'lr', 'old_value': '0.1', 'new_value': '0.3'}]' for run ID='${id}'.`)
    t.same((await g.call('GET', `/v1/runs/${id}/metrics?key=lost`, { auth: p.keys.read })).body.items, [], 'nothing of a rejected batch is stored')
    r = await call('POST', '/runs/log-parameter', { run_id: id, key: 'long', value: 'v'.repeat(7000) })
    t.equal(r.status, 200)
    t.equal((await g.call('GET', `/v1/runs/${id}`, { auth: p.keys.read })).body.params.long.length, 6000, 'over-long values truncated as MLflow does')

    r = await call('GET', '/runs/get?run_id=00000000000000000000000000000000')
    t.same(r.body, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Run with id=00000000000000000000000000000000 not found' })
    t.equal(r.status, 404)
    r = await call('GET', '/experiments/get?experiment_id=9999')
    t.same([r.status, r.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST'])
    r = await call('POST', '/experiments/create', { name: 'e1' })
    t.equal(r.status, 200)
    r = await call('POST', '/experiments/create', { name: 'e1' })
    t.same([r.status, r.body.error_code], [400, 'RESOURCE_ALREADY_EXISTS'])
    r = await g.call('POST', API + '/runs/log-metric', { auth: w, raw: 'hello', headers: { 'content-type': 'text/plain' } })
    t.same(r.body, { error_code: 'INVALID_PARAMETER_VALUE', message: "Content-Type must be one of ['application/json']" })
    r = await g.call('POST', API + '/runs/log-metric', { auth: w, raw: '{"run_id":', headers: { 'content-type': 'application/json' } })
    t.same([r.status, r.body.error_code], [400, 'INVALID_PARAMETER_VALUE'])
    r = await call('POST', '/runs/delete-tag', { run_id: id, key: 'flip' })
    t.same([r.status, r.body.error_code], [501, 'NOT_IMPLEMENTED'])
    r = await g.call('GET', '/mlflow/api/2.0/mlflow-artifacts/artifacts/1/x/model.pkl')
    t.same([r.status, r.body.error_code], [501, 'NOT_IMPLEMENTED'])
    r = await call('GET', '/artifacts/list?run_id=' + id)
    t.same([r.status, r.body.error_code], [501, 'NOT_IMPLEMENTED'])
    r = await call('GET', '/no/such/rpc')
    t.same([r.status, r.body.error_code], [404, 'ENDPOINT_NOT_FOUND'])
    t.same((await call('POST', '/runs/log-inputs', { run_id: id, datasets: [] })).body, {})
    r = await call('POST', '/runs/search', { experiment_ids: ['0'], filter: 'what is this' })
    t.same([r.status, r.body.error_code], [400, 'INVALID_PARAMETER_VALUE'])
  })

  t.test('logging to a finished run is accepted, as MLflow does (within the gateway grace period)', async t => {
    const r = await call('POST', '/runs/create', { experiment_id: '0' })
    const rid: string = r.body.run.info.run_id
    t.equal((await call('POST', '/runs/update', { run_id: rid, status: 4 })).body.run_info.status, 'FAILED', 'enum by number')
    t.same((await call('POST', '/runs/log-metric', { run_id: rid, key: 'late', value: 2, timestamp: 9, step: 0 })).body, {})
    t.equal((await call('POST', '/runs/update', { run_id: rid, status: 'RUNNING' })).body.run_info.status, 'FAILED', 'an ended gateway run stays ended')
  })

  t.test('(d) Basic and Bearer auth; another project\'s run does not exist', async t => {
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` })
    let r = await g.call('GET', `${API}/runs/get?run_id=${id}`, { headers: basic('anyone', p.keys.read) })
    t.equal(r.status, 200)
    t.equal(r.body.run.info.run_id, id)
    r = await g.call('POST', `${API}/runs/set-tag`, { headers: basic('u', w), body: { run_id: id, key: 'via', value: 'basic' } })
    t.equal(r.status, 200)
    r = await g.call('GET', `${API}/runs/get?run_id=${id}`, { headers: basic('u', 'tgk_wrong') })
    t.same([r.status, r.body.error_code], [401, 'UNAUTHENTICATED'])
    r = await g.call('GET', `${API}/runs/get?run_id=${id}`)
    t.same([r.status, r.body.error_code], [401, 'UNAUTHENTICATED'])
    r = await call('POST', '/runs/set-tag', { run_id: id, key: 'k', value: 'v' }, p.keys.read)
    t.same([r.status, r.body.error_code], [403, 'PERMISSION_DENIED'])
    r = await call('GET', `/runs/get?run_id=${id}`, undefined, other.keys.read)
    t.same(r.body, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run with id=${id} not found` })
    r = await call('POST', '/runs/log-metric', { run_id: id, key: 'x', value: 1, timestamp: 1 }, other.keys.write)
    t.same([r.status, r.body.error_code], [404, 'RESOURCE_DOES_NOT_EXIST'])
    // Basic auth is only for the MLflow routes.
    r = await g.call('GET', `/v1/runs/${id}`, { headers: basic('u', p.keys.read) })
    t.equal(r.status, 401)
  })
})
