import t from 'tap'
import { seedProject, startGateway } from '../helper.js'

t.test('bad input gets one JSON error shape with a stable code, never a 5xx', async t => {
  const g = await startGateway(t, { env: { TRACKGATE_MAX_BODY_BYTES: '200000', TRACKGATE_MAX_METRICS_PER_BATCH: '1000' } })
  const p = await seedProject(g)
  const run = await p.run()
  const path = `/v1/runs/${run.id}/log`
  const m = (over: Record<string, unknown>) => ({ batchId: 'b', metrics: [{ key: 'loss', value: 1, step: 1, ...over }] })

  const cases: Array<[string, { raw?: string, body?: unknown, headers?: Record<string, string> }, number, string, RegExp?]> = [
    ['malformed JSON', { raw: '{"batchId": "x", "metrics": [' }, 400, 'TG_BAD_JSON'],
    ['empty body', { raw: '' }, 400, 'TG_BAD_JSON'],
    ['not an object', { body: [1, 2] }, 400, 'TG_VALIDATION'],
    ['missing batchId', { body: { metrics: [] } }, 400, 'TG_VALIDATION', /batchId/],
    ['value is a string', { body: m({ value: 'one' }) }, 400, 'TG_VALIDATION', /value/],
    ['value is null', { body: m({ value: null }) }, 400, 'TG_VALIDATION'],
    ['value is a bool', { body: m({ value: true }) }, 400, 'TG_VALIDATION'],
    ['step is fractional', { body: m({ step: 1.5 }) }, 400, 'TG_VALIDATION', /step/],
    ['step is negative', { body: m({ step: -1 }) }, 400, 'TG_VALIDATION', /step/],
    ['step beyond 2^53', { raw: '{"batchId":"b","metrics":[{"key":"a","value":1,"step":9007199254740993}]}' }, 400, 'TG_VALIDATION'],
    ['negative timestamp', { body: m({ timestamp: -5 }) }, 400, 'TG_VALIDATION'],
    ['unknown field', { body: { batchId: 'b', metric: [] } }, 400, 'TG_VALIDATION'],
    ['invalid key', { body: m({ key: 'a//b' }) }, 400, 'TG_INVALID_KEY', /metrics\[0\]\.key/],
    ['key with colon', { body: m({ key: 'val:dice' }) }, 400, 'TG_INVALID_KEY'],
    ['key too long', { body: m({ key: 'k'.repeat(251) }) }, 400, 'TG_INVALID_KEY', /250/],
    ['param value too long', { body: { batchId: 'b', params: { note: 'x'.repeat(6001) } } }, 400, 'TG_INVALID_VALUE', /6000/],
    ['param nested too deep', { body: { batchId: 'b', params: { deep: [[[[[[1]]]]]] } } }, 400, 'TG_INVALID_VALUE', /params\["deep"\] value nests deeper than 5 levels/],
    ['param too long as JSON', { body: { batchId: 'b', params: { big: Array.from({ length: 1300 }, () => 'abc') } } }, 400, 'TG_INVALID_VALUE', /params\["big"\] value is longer than 6000 characters/],
    ['too many metrics', { body: { batchId: 'b', metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'a', value: i, step: i })) } }, 413, 'TG_TOO_MANY_METRICS', /1000/],
    ['too many params', { body: { batchId: 'b', params: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, 'v'])) } }, 413, 'TG_TOO_MANY_ITEMS'],
    ['huge body', { raw: JSON.stringify({ batchId: 'b', params: { x: 'y'.repeat(300000) } }) }, 413, 'TG_BODY_TOO_LARGE'],
    ['wrong content type', { raw: 'batchId=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'TG_UNSUPPORTED_MEDIA_TYPE'],
    ['batchId too long', { body: { batchId: 'b'.repeat(129) } }, 400, 'TG_VALIDATION']
  ]
  for (const [name, req, status, code, msg] of cases) {
    const r = await g.call('POST', path, { auth: run.token, ...req })
    t.equal(r.status, status, `${name}: status`)
    t.same(Object.keys(r.body ?? {}).sort(), ['code', 'error', 'message', 'statusCode'], `${name}: shape`)
    t.equal(r.body?.code, code, `${name}: code`)
    t.equal(r.body?.statusCode, status, `${name}: statusCode`)
    if (msg !== undefined) t.match(r.body?.message, msg, `${name}: message`)
  }

  const badIds: Array<[string, string]> = [
    ['GET', '/v1/runs/not-a-uuid'],
    ['GET', '/v1/runs?limit=0'],
    ['GET', '/v1/runs?status=DONE'],
    ['GET', '/v1/runs?cursor=@@@'],
    ['POST', '/v1/dead-letters/abc/replay'],
    ['GET', '/v1/nothing-here']
  ]
  for (const [method, url] of badIds) {
    const r = await g.call(method, url, { auth: p.keys.write })
    t.ok(r.status >= 400 && r.status < 500, `${method} ${url} → ${r.status}`)
    t.type(r.body?.code, 'string')
  }
  const none = await g.call('GET', '/v1/runs', { auth: p.keys.read })
  t.equal(none.status, 200, 'the server is still fine')
  const stored = await g.call('GET', `/v1/runs/${run.id}/metrics`, { auth: p.keys.read })
  t.same(stored.body.items, [], 'nothing from the bad requests was stored')
})

t.test('creating a run validates sinks, params and tags', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const cases: Array<[unknown, number, string]> = [
    [{ sinks: ['nosuch'] }, 400, 'TG_UNKNOWN_SINK'],
    [{ params: { 'a//b': '1' } }, 400, 'TG_INVALID_KEY'],
    [{ name: '' }, 400, 'TG_VALIDATION'],
    [{ tags: { t: 'x'.repeat(5001) } }, 400, 'TG_INVALID_VALUE'],
    [{ name: 'x', bogus: 1 }, 400, 'TG_VALIDATION'],
    [{ name: 5 }, 400, 'TG_VALIDATION'],
    [{ tags: { t: 1 } }, 400, 'TG_VALIDATION'],
    [{ params: { deep: [[[[[[1]]]]]] } }, 400, 'TG_INVALID_VALUE']
  ]
  for (const [body, status, code] of cases) {
    const r = await g.call('POST', '/v1/runs', { auth: p.keys.write, body })
    t.equal(r.status, status, JSON.stringify(body).slice(0, 60))
    t.equal(r.body.code, code)
  }
  const run = await p.run()
  const fin = await g.call('POST', `/v1/runs/${run.id}/finish`, { auth: p.keys.write, body: { status: 'FINISHED', extra: true } })
  t.equal(fin.status, 400, 'unknown fields are refused, not silently dropped, in every route')
  t.equal((await g.call('GET', `/v1/runs/${run.id}`, { auth: p.keys.read })).body.status, 'RUNNING', 'and nothing happened')
  t.equal((await g.call('GET', '/v1/runs?limit=2', { auth: p.keys.read })).status, 200, 'query strings are still coerced')
})
