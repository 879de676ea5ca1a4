import t from 'tap'
import { request } from 'undici'
import { startMlflowEmulator, fault, type MlflowEmulator } from './index.js'

const T0 = 1_700_000_000_000

async function call (emu: MlflowEmulator, method: 'GET' | 'POST', rpc: string, body?: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const url = new URL(`${emu.url}/api/2.0/mlflow/${rpc}`)
  if (method === 'GET' && body !== undefined) for (const [k, v] of Object.entries(body as Record<string, string>)) url.searchParams.set(k, String(v))
  const res = await request(url, { method, ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body ?? {}), headers } : {}) })
  const text = await res.body.text()
  let json: any
  try { json = JSON.parse(text) } catch { json = text }
  return { status: res.statusCode, json, headers: res.headers }
}

async function setup (t: { teardown: (fn: () => unknown) => void }, opts = {}) {
  const emu = await startMlflowEmulator(opts)
  t.teardown(() => emu.close())
  const exp = await call(emu, 'POST', 'experiments/create', { name: 'e' })
  const run = await call(emu, 'POST', 'runs/create', { experiment_id: exp.json.experiment_id, run_name: 'r', start_time: T0 })
  return { emu, expId: exp.json.experiment_id as string, runId: run.json.run.info.run_id as string }
}
const m = (i: number, over: Record<string, unknown> = {}) => ({ key: 'loss', value: i, timestamp: T0 + i, step: i, ...over })

t.test('experiments: get-by-name 404 JSON, duplicate create is 400 RESOURCE_ALREADY_EXISTS, Default exists', async t => {
  const { emu } = await setup(t)
  const missing = await call(emu, 'GET', 'experiments/get-by-name', { experiment_name: 'nope' })
  t.same([missing.status, missing.json], [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Could not find experiment with name 'nope'" }])
  const dup = await call(emu, 'POST', 'experiments/create', { name: 'e' })
  t.equal(dup.status, 400)
  t.equal(dup.json.error_code, 'RESOURCE_ALREADY_EXISTS')
  t.equal((await call(emu, 'GET', 'experiments/get', { experiment_id: '0' })).json.experiment.name, 'Default')
  t.equal((await call(emu, 'GET', 'experiments/get', { experiment_id: '99' })).status, 404)
})

t.test('POST needs Content-Type application/json; malformed JSON is an HTML 500; unknown path HTML 404', async t => {
  const { emu, runId } = await setup(t)
  const none = await call(emu, 'POST', 'runs/log-batch', { run_id: runId }, {})
  t.same([none.status, none.json.message], [400, 'Bad Request. Content-Type header is missing.'])
  const text = await call(emu, 'POST', 'runs/log-batch', { run_id: runId }, { 'content-type': 'text/plain' })
  t.same([text.status, text.json.message], [400, "Content-Type must be one of ['application/json']"])
  t.equal((await call(emu, 'POST', 'runs/log-batch', { run_id: runId }, { 'content-type': 'application/json; charset=utf-8' })).status, 200)
  const bad = await call(emu, 'POST', 'runs/log-batch', '{"run_id": ')
  t.equal(bad.status, 500); t.match(bad.json, /<title>500/)
  t.match((await call(emu, 'POST', 'runs/nope', {})).json, /<title>404/)
})

t.test('required fields: run_id, metric key/value/timestamp', async t => {
  const { emu, runId } = await setup(t)
  const r1 = await call(emu, 'POST', 'runs/log-batch', { metrics: [m(1)] })
  t.same([r1.status, r1.json.error_code], [400, 'INVALID_PARAMETER_VALUE']); t.match(r1.json.message, "Missing value for required parameter 'run_id'")
  const r2 = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1 }] })
  t.match(r2.json.message, "Missing value for required parameter 'metrics[0].timestamp'")
  const r3 = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1, { value: null })] })
  t.match([r3.status, r3.json.message], [400, /metrics\[0\]\.value/], 'null (JSON.stringify(NaN)) is rejected')
})

t.test('batch limits: 1000 metrics, 100 params, 100 tags, 1000 total; 1 MB only when configured', async t => {
  const { emu, runId } = await setup(t)
  const metrics = (n: number) => Array.from({ length: n }, (_, i) => m(i))
  const kv = (p: string, n: number) => Array.from({ length: n }, (_, i) => ({ key: `${p}${i}`, value: 'v' }))
  const over = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: metrics(1001) })
  t.same([over.status, over.json.error_code], [400, 'INVALID_PARAMETER_VALUE'])
  t.match(over.json.message, 'A batch logging request can contain at most 1000 metrics. Got 1001 metrics.')
  t.match((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, params: kv('p', 101) })).json.message, 'at most 100 params. Got 101 params')
  t.match((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, tags: kv('t', 101) })).json.message, 'at most 100 tags. Got 101 tags')
  const total = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: metrics(950), params: kv('p', 51) })
  t.same([total.status], [400]); t.match(total.json.message, 'Got 1001 items')
  t.equal((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: metrics(1000) })).status, 200)
  const big = { run_id: runId, tags: kv('t', 100).map(x => ({ ...x, value: 'x'.repeat(8000) })), params: kv('p', 100).map(x => ({ ...x, value: 'y'.repeat(6000) })) }
  t.equal((await call(emu, 'POST', 'runs/log-batch', big)).status, 200, 'OSS does not enforce 1 MB')
  const strict = await setup(t, { maxBatchBytes: 1_000_000 })
  const r = await call(strict.emu, 'POST', 'runs/log-batch', { ...big, run_id: strict.runId })
  t.same([r.status, r.json.error_code], [400, 'INVALID_PARAMETER_VALUE'])
})

t.test('key names: characters, normalised path, 250 chars', async t => {
  const { emu, runId } = await setup(t)
  const bad = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'bad!key', value: '1' }] })
  t.same(bad.json, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid value "bad!key" for parameter \'params[0].key\' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).' })
  for (const key of ['a//b', 'a/', './a', 'a/./b', 'a/../b', '/a', '..x']) {
    const r = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1, { key })] })
    t.equal(r.status, 400, key); t.match(r.json.message, 'must not resolve to other names', key)
  }
  t.match((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1, { key: 'a//b' })] })).json.message, "would resolve to 'a/b'")
  const long = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1, { key: 'k'.repeat(251) })] })
  t.match(long.json.message, 'had length 251, which exceeded length limit of 250')
  t.equal((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1, { key: 'a b/c-d.e_f:g' }), m(2, { key: 'ñandú' })] })).status, 200)
})

t.test('params are write-once: same value 200, changed 400, duplicate keys in one batch 400', async t => {
  const { emu, runId } = await setup(t)
  t.equal((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.1' }] })).status, 200)
  t.equal((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.1' }] })).status, 200)
  const changed = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.3' }], metrics: [m(7)] })
  t.same([changed.status, changed.json.error_code], [400, 'INVALID_PARAMETER_VALUE'])
  t.match(changed.json.message, "Changing param values is not allowed. Params were already logged='[{'key': 'lr', 'old_value': '0.1', 'new_value': '0.3'}]'")
  t.same(emu.run(runId).metrics.loss, undefined, 'params go first: the batch metrics were not written')
  const dup = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'p2', value: '1' }, { key: 'p2', value: '1' }] })
  t.match([dup.status, dup.json.message], [400, "Duplicate parameter keys have been submitted: ['p2']"])
  const single = await call(emu, 'POST', 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.2' })
  t.match(single.json.message, "Param with key='lr' was already logged with value='0.1'")
})

t.test('metric dedupe: identical finite tuple stored once, other value/timestamp kept, ±Inf as max double', async t => {
  const { emu, runId } = await setup(t)
  const body = { run_id: runId, metrics: [m(1), m(1), m(1, { value: 5 }), m(1, { timestamp: T0 + 99 }), m(2, { value: 'Infinity' }), m(3, { value: '-Infinity' }), m(4, { value: '1.5' })] }
  t.equal((await call(emu, 'POST', 'runs/log-batch', body)).status, 200)
  t.equal((await call(emu, 'POST', 'runs/log-batch', body)).status, 200, 'resend of finite + Inf points is a no-op')
  const hist = await call(emu, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss', max_results: 100 })
  t.same(hist.json.metrics.map((x: any) => x.value), [1, 5, Number.MAX_VALUE, -Number.MAX_VALUE, 1.5, 1])
  t.equal(emu.run(runId).metrics.loss?.length, 6)
})

t.test('NaN: stored as "NaN"; a resend or two equal NaN in one batch is 400 BAD_REQUEST and writes no metric', async t => {
  const { emu, runId } = await setup(t)
  t.equal((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1, { value: 'NaN' })] })).status, 200)
  t.same((await call(emu, 'GET', 'metrics/get-history', { run_id: runId, metric_key: 'loss' })).json.metrics[0].value, 'NaN')
  const again = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1, { value: 'NaN' }), m(2)], tags: [{ key: 'x', value: 'y' }] })
  t.same([again.status, again.json.error_code], [400, 'BAD_REQUEST']); t.match(again.json.message, 'UNIQUE constraint failed: metrics.key')
  t.same(emu.run(runId).metrics.loss?.length, 1, 'the finite point of that batch was not written either')
  t.equal(emu.run(runId).tags.x, undefined, 'nor the tags that follow')
  const twice = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(5, { value: 'NaN' }), m(5, { value: 'NaN' })] })
  t.equal(twice.json.error_code, 'BAD_REQUEST')
  t.equal((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(6, { value: 'nan' })] })).status, 400, '"nan" is not a proto3 spelling')
  t.equal((await call(emu, 'POST', 'runs/log-batch', `{"run_id": "${runId}", "metrics": [{"key": "bare", "value": NaN, "timestamp": ${T0}, "step": 3}]}`)).status, 200)
  t.same(emu.run(runId).metrics.bare, [{ value: 0, timestamp: 0, step: 0 }], 'a bare NaN token is silently stored as 0 at t=0')
})

t.test('runs: create/get/update/delete; deleted runs refuse writes; status enum leniency', async t => {
  const { emu, expId, runId } = await setup(t)
  const got = await call(emu, 'GET', 'runs/get', { run_id: runId })
  t.match(got.json.run.info, { run_id: runId, run_uuid: runId, experiment_id: expId, status: 'RUNNING', start_time: T0, lifecycle_stage: 'active' })
  t.same(got.json.run.data.tags, [{ key: 'mlflow.runName', value: 'r' }])
  const mismatch = await call(emu, 'POST', 'runs/create', { experiment_id: expId, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] })
  t.equal(mismatch.status, 400)
  t.equal((await call(emu, 'POST', 'runs/create', { experiment_id: expId })).json.run.info.start_time, 0, 'no start_time stores 0')
  t.equal((await call(emu, 'POST', 'runs/update', { run_id: runId, status: 'DONE' })).json.run_info.status, 'RUNNING', 'unknown status ignored')
  const done = await call(emu, 'POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: T0 + 9 })
  t.match(done.json.run_info, { status: 'FINISHED', end_time: T0 + 9 })
  t.equal((await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1)] })).status, 200, 'logging to a FINISHED run is fine')
  t.equal((await call(emu, 'POST', 'runs/delete', { run_id: runId })).status, 200)
  const del = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(2)] })
  t.same(del.json, { error_code: 'INVALID_PARAMETER_VALUE', message: `The run ${runId} must be in the 'active' state. Current state is deleted.` })
  const unknown = await call(emu, 'POST', 'runs/log-batch', { run_id: '0'.repeat(32), metrics: [m(2)] })
  t.same([unknown.status, unknown.json.error_code], [404, 'RESOURCE_DOES_NOT_EXIST'])
  await call(emu, 'POST', 'experiments/delete', { experiment_id: expId })
  t.equal((await call(emu, 'POST', 'runs/create', { experiment_id: expId })).status, 400, 'no runs in a deleted experiment')
})

t.test('runs/search by tag, view types, paging; get-history paging', async t => {
  const { emu, expId, runId } = await setup(t)
  await call(emu, 'POST', 'runs/set-tag', { run_id: runId, key: 'trackgate.run_id', value: "it's-1" })
  const s = await call(emu, 'POST', 'runs/search', { experiment_ids: [expId], filter: "tags.`trackgate.run_id` = 'it\\'s-1'" })
  t.same(s.json.runs.map((r: any) => r.info.run_id), [runId])
  await call(emu, 'POST', 'runs/delete', { run_id: runId })
  t.same((await call(emu, 'POST', 'runs/search', { experiment_ids: [expId], filter: "tags.`trackgate.run_id` = 'it\\'s-1'" })).json.runs ?? [], [])
  t.equal((await call(emu, 'POST', 'runs/search', { experiment_ids: [expId], filter: "tags.`trackgate.run_id` = 'it\\'s-1'", run_view_type: 'ALL' })).json.runs.length, 1)
  t.equal((await call(emu, 'POST', 'runs/search', { experiment_ids: [expId], filter: 'tags.x ~ 1' })).status, 400)
  const { emu: e2, runId: r2 } = await setup(t)
  await call(e2, 'POST', 'runs/log-batch', { run_id: r2, metrics: Array.from({ length: 25 }, (_, i) => m(i)) })
  const p1 = await call(e2, 'GET', 'metrics/get-history', { run_id: r2, metric_key: 'loss', max_results: 10 })
  t.equal(p1.json.metrics.length, 10); t.ok(p1.json.next_page_token)
  const newer = await setup(t, { historyWithoutMaxResults: 'none' })
  await call(newer.emu, 'POST', 'runs/log-batch', { run_id: newer.runId, metrics: [m(1)] })
  t.same((await call(newer.emu, 'GET', 'metrics/get-history', { run_id: newer.runId, metric_key: 'loss' })).json.metrics, undefined, '3.2+ without max_results')
})

t.test('long values truncated (or rejected when truncation is off)', async t => {
  const { emu, runId } = await setup(t)
  await call(emu, 'POST', 'runs/log-batch', { run_id: runId, params: [{ key: 'p', value: 'x'.repeat(7000) }], tags: [{ key: 't', value: 'y'.repeat(9000) }] })
  t.equal(emu.run(runId).params.p?.length, 6000); t.equal(emu.run(runId).tags.t?.length, 8000)
  const strict = await setup(t, { truncateLongValues: false })
  t.equal((await call(strict.emu, 'POST', 'runs/log-batch', { run_id: strict.runId, params: [{ key: 'p', value: 'x'.repeat(7000) }] })).status, 400)
})

t.test('auth: bearer and basic', async t => {
  const bearer = await startMlflowEmulator({ auth: { bearer: 's3cret' } })
  t.teardown(() => bearer.close())
  t.equal((await call(bearer, 'GET', 'experiments/get', { experiment_id: '0' })).status, 401)
  const ok = await request(`${bearer.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, { headers: { authorization: 'Bearer s3cret' } })
  t.equal(ok.statusCode, 200); await ok.body.dump()
  const basic = await startMlflowEmulator({ auth: { basic: { username: 'u', password: 'p' } } })
  t.teardown(() => basic.close())
  const denied = await call(basic, 'GET', 'experiments/get', { experiment_id: '0' })
  t.same([denied.status, denied.headers['www-authenticate']], [401, 'Basic realm="mlflow"'])
})

t.test('faults: script, outage window, hold, reject one metric, requests recorded in order', async t => {
  const { emu, runId } = await setup(t)
  emu.script(fault.status(429, { retryAfter: 1, rpc: 'runs/log-batch' }), fault.reset({ rpc: 'runs/log-batch' }))
  t.equal((await call(emu, 'GET', 'runs/get', { run_id: runId })).status, 200, 'other RPCs pass')
  const throttled = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1)] })
  t.same([throttled.status, throttled.headers['retry-after']], [429, '1'])
  await t.rejects(call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(1)] }))
  emu.outage(200)
  t.equal((await call(emu, 'GET', 'runs/get', { run_id: runId })).status, 503)
  await new Promise(resolve => setTimeout(resolve, 220))
  t.equal((await call(emu, 'GET', 'runs/get', { run_id: runId })).status, 200)
  const hold = emu.hold({ rpc: 'runs/log-batch' })
  const pending = call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(2)] })
  await hold.reached
  t.equal(emu.run(runId).metrics.loss?.length, 1, 'applied before the answer is released')
  hold.release()
  t.equal((await pending).status, 200)
  emu.rejectMetric('loss', 3)
  const rej = await call(emu, 'POST', 'runs/log-batch', { run_id: runId, metrics: [m(3), m(4)] })
  t.same([rej.status, rej.json.error_code], [400, 'INVALID_PARAMETER_VALUE'])
  t.same(emu.calls('runs/log-batch').map(r => r.status), [429, undefined, 200, 400])
  t.equal(emu.requests[0]?.rpc, 'experiments/create')
})
