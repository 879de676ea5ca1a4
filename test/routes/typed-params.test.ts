import t from 'tap'
import { eventually, seedProject, startGateway } from '../helper.js'

t.test('params keep their types: create, log, read back, immutability on typed values', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const params = { lr: 0.001, epochs: 10, amp: true, optimizer: 'adamw', roi: [96, 96, 96], sched: { name: 'cosine', warmup: 5 }, note: null }
  const created = await g.call('POST', '/v1/runs', { auth: p.keys.write, body: { name: 'typed', params } })
  t.equal(created.status, 201, 'the first natural call works: numbers and booleans need no quotes')
  t.same(created.body.params, params)

  const log = await g.call('POST', `/v1/runs/${created.body.id}/log`, {
    auth: created.body.token,
    body: { batchId: 'b1', params: { lr: 1e-3, epochs: 10.0, weight_decay: 1e-5, legacy: '10' }, metrics: [{ key: 'loss', value: 1, step: 0 }] }
  })
  t.equal(log.status, 202, 'the same typed values again are no conflict (1e-3 is 0.001, 10.0 is 10)')

  const conflicts: Array<[Record<string, unknown>, RegExp]> = [
    [{ epochs: '10' }, /^param "epochs" is already 10 \(number\) and params are immutable \(got "10" \(string\)\): log the new value under another key/],
    [{ legacy: 10 }, /^param "legacy" is already "10" \(string\) .*\(got 10 \(number\)\)/],
    [{ amp: 1 }, /"amp" is already true \(boolean\)/],
    [{ roi: [96, 96, 64] }, /"roi" is already \[96,96,96\] \(array\)/]
  ]
  for (const [changed, message] of conflicts) {
    const r = await g.call('POST', `/v1/runs/${created.body.id}/log`, { auth: created.body.token, body: { batchId: `c-${Object.keys(changed)[0]}`, params: changed } })
    t.equal(r.status, 409, JSON.stringify(changed))
    t.equal(r.body.code, 'TG_PARAM_CONFLICT')
    t.match(r.body.message, message)
  }
  const reordered = await g.call('POST', `/v1/runs/${created.body.id}/log`, { auth: created.body.token, body: { batchId: 'b2', params: { sched: { warmup: 5, name: 'cosine' } } } })
  t.equal(reordered.status, 202, 'an object with its keys in another order is the same value')

  const want = { ...params, weight_decay: 1e-5, legacy: '10' }
  const got = await g.call('GET', `/v1/runs/${created.body.id}`, { auth: p.keys.read })
  t.equal(got.status, 200)
  t.same(got.body.params, want, 'GET /v1/runs/{id} returns the typed values')
  const summary = await g.call('GET', `/v1/runs/${created.body.id}/summary`, { auth: p.keys.read })
  t.same(summary.body.params, want, 'so does the summary')
  t.equal(typeof summary.body.params.lr, 'number')
  t.equal(typeof summary.body.params.legacy, 'string')
  await eventually(async () => (await g.call('GET', `/v1/runs/${created.body.id}/sinks`, { auth: p.keys.read })).body[0]?.lag === 0, 10000, 'delivery')
})

t.test('errors a newcomer meets say what to do', async t => {
  const g = await startGateway(t, { env: { TRACKGATE_TOKEN_GRACE_SECONDS: '0' } })
  const p = await seedProject(g)
  const run = await p.run()
  const cases: Array<[string, Promise<{ status: number, body: any }>, number, string, RegExp]> = [
    ['wrong key', g.call('GET', '/v1/runs', { auth: 'not-a-key' }), 401, 'TG_UNAUTHORIZED', /Authorization: Bearer/],
    ['no key', g.call('GET', '/v1/runs'), 401, 'TG_UNAUTHORIZED', /Authorization: Bearer/],
    ['wrong content type', g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, raw: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'TG_UNSUPPORTED_MEDIA_TYPE', /^send the body as JSON with Content-Type: application\/json \(got text\/plain\)/],
    ['unknown run', g.call('GET', '/v1/runs/00000000-0000-4000-8000-000000000000', { auth: p.keys.read }), 404, 'TG_NOT_FOUND', /not found in this key's project: .*GET \/v1\/runs/],
    ['missing batchId', g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { metrics: [] } }), 400, 'TG_VALIDATION', /^body must have required property 'batchId': give every batch a unique batchId \(a UUID\) and reuse it when you retry/],
    ['unknown sink', g.call('POST', '/v1/runs', { auth: p.keys.write, body: { sinks: ['neptune'] } }), 400, 'TG_UNKNOWN_SINK', /sink neptune is not configured on this gateway \(configured: tensorboard.*\): pick one/],
    ['unknown field', g.call('POST', '/v1/runs', { auth: p.keys.write, body: { nmae: 'x' } }), 400, 'TG_VALIDATION', /^body has an unknown field "nmae"/]
  ]
  for (const [what, call, status, code, message] of cases) {
    const r = await call
    t.equal(r.status, status, what)
    t.equal(r.body.code, code, what)
    t.match(r.body.message, message, `${what}: ${String(r.body.message)}`)
  }
  await g.call('POST', `/v1/runs/${run.id}/finish`, { auth: run.token, body: { status: 'FINISHED' } })
  const late = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: p.keys.write, body: { batchId: 'late', metrics: [{ key: 'a', value: 1, step: 1 }] } })
  t.equal(late.status, 409)
  t.match(late.body.message, /has ended \(FINISHED\).*create a new run/)
})
