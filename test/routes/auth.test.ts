import t from 'tap'
import { ADMIN_KEY, seedProject, startGateway } from '../helper.js'

t.test('auth matrix: the right 401/403/404, never data', async t => {
  const g = await startGateway(t)
  const a = await seedProject(g, 'a')
  const b = await seedProject(g, 'b')
  const runA = await a.run({ name: 'secret-a' })
  const runA2 = await a.run()
  const runB = await b.run()
  const log = (batchId: string) => ({ batchId, metrics: [{ key: 'x', value: 1, step: 1 }] })

  const cases: Array<[string, string, string | undefined, unknown, number, string]> = [
    ['no key', `/v1/runs/${runA.id}`, undefined, undefined, 401, 'TG_UNAUTHORIZED'],
    ['wrong key', `/v1/runs/${runA.id}`, 'tgk_nope', undefined, 401, 'TG_UNAUTHORIZED'],
    ['malformed header', `/v1/runs/${runA.id}`, '', undefined, 401, 'TG_UNAUTHORIZED'],
    ['project B reads project A', `/v1/runs/${runA.id}`, b.keys.read, undefined, 404, 'TG_NOT_FOUND'],
    ['project B lists sinks of A', `/v1/runs/${runA.id}/sinks`, b.keys.admin, undefined, 404, 'TG_NOT_FOUND'],
    ['project B reads metrics of A', `/v1/runs/${runA.id}/metrics`, b.keys.read, undefined, 404, 'TG_NOT_FOUND'],
    ['admin key is not a project key', `/v1/runs/${runA.id}`, ADMIN_KEY, undefined, 403, 'TG_FORBIDDEN'],
    ['token reads its run (tokens only write)', `/v1/runs/${runA.id}`, runA.token, undefined, 401, 'TG_UNAUTHORIZED']
  ]
  for (const [name, path, auth, , status, code] of cases) {
    const r = await g.call('GET', path, { ...(auth === undefined ? {} : { auth }) })
    t.equal(r.status, status, name)
    t.equal(r.body.code, code, name)
    t.notMatch(JSON.stringify(r.body), /secret-a/, `${name}: no data`)
  }

  const writes: Array<[string, string, string, unknown, number, string]> = [
    ['read key writing', `/v1/runs/${runA.id}/log`, a.keys.read, log('r1'), 403, 'TG_FORBIDDEN'],
    ['token of run A writing run B', `/v1/runs/${runB.id}/log`, runA.token, log('r2'), 401, 'TG_UNAUTHORIZED'],
    ['token of run A writing run A2 (same project)', `/v1/runs/${runA2.id}/log`, runA.token, log('r3'), 401, 'TG_UNAUTHORIZED'],
    ['write key of B writing run A', `/v1/runs/${runA.id}/log`, b.keys.write, log('r4'), 404, 'TG_NOT_FOUND'],
    ['read key creating a run', '/v1/runs', a.keys.read, {}, 403, 'TG_FORBIDDEN'],
    ['write key creating a project', '/v1/projects', a.keys.write, { name: 'x' }, 403, 'TG_FORBIDDEN'],
    ['project admin key creating keys in another project', `/v1/projects/${b.id}/keys`, a.keys.admin, { role: 'write' }, 403, 'TG_FORBIDDEN'],
    ['write key creating keys', `/v1/projects/${a.id}/keys`, a.keys.write, { role: 'admin' }, 403, 'TG_FORBIDDEN'],
    ['token finishing another run', `/v1/runs/${runB.id}/finish`, runA.token, { status: 'FINISHED' }, 401, 'TG_UNAUTHORIZED']
  ]
  for (const [name, path, auth, body, status, code] of writes) {
    const r = await g.call('POST', path, { auth, body })
    t.equal(r.status, status, name)
    t.equal(r.body.code, code, name)
  }

  // Nothing leaked into B or A2 from the refused writes.
  for (const [run, key] of [[runB, b.keys.read], [runA2, a.keys.read], [runA, a.keys.read]] as const) {
    const m = await g.call('GET', `/v1/runs/${run.id}/metrics`, { auth: key })
    t.same(m.body.items, [], 'no points stored by refused writes')
  }

  // What is allowed.
  t.equal((await g.call('POST', `/v1/runs/${runA.id}/log`, { auth: runA.token, body: log('ok1') })).status, 202, 'token writes its run')
  t.equal((await g.call('POST', `/v1/runs/${runA.id}/log`, { auth: a.keys.write, body: log('ok2') })).status, 202, 'write key writes')
  t.equal((await g.call('POST', `/v1/runs/${runA.id}/log`, { auth: a.keys.admin, body: log('ok3') })).status, 202, 'admin key writes')
  t.equal((await g.call('POST', `/v1/projects/${a.id}/keys`, { auth: a.keys.admin, body: { role: 'read' } })).status, 201, 'project admin makes keys')
  const list = await g.call('GET', '/v1/runs', { auth: b.keys.read })
  t.same(list.body.items.map((r: { id: string }) => r.id), [runB.id], 'listing is scoped to the project')
  t.notOk(JSON.stringify(list.body).includes('token'), 'list never shows tokens')
})

t.test('a callback token stops working once the run has ended plus the grace', async t => {
  const g = await startGateway(t, { env: { TRACKGATE_TOKEN_GRACE_SECONDS: '0' } })
  const p = await seedProject(g)
  const run = await p.run()
  t.equal((await g.call('POST', `/v1/runs/${run.id}/finish`, { auth: run.token, body: { status: 'FAILED' } })).status, 200)
  await new Promise(resolve => setTimeout(resolve, 5))
  const r = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'late', metrics: [{ key: 'x', value: 1, step: 1 }] } })
  t.equal(r.status, 403)
  t.equal(r.body.code, 'TG_FORBIDDEN')
  const w = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: p.keys.write, body: { batchId: 'late', metrics: [{ key: 'x', value: 1, step: 1 }] } })
  t.equal(w.status, 409, 'a write key cannot append to an ended run either')
  t.equal(w.body.code, 'TG_RUN_ENDED')
  const again = await g.call('POST', `/v1/runs/${run.id}/finish`, { auth: p.keys.write, body: { status: 'FAILED' } })
  t.equal(again.status, 200, 'finishing again with the same status is a no-op')
  const other = await g.call('POST', `/v1/runs/${run.id}/finish`, { auth: p.keys.write, body: { status: 'FINISHED' } })
  t.equal(other.status, 409)
})

t.test('within the grace the token may still flush late points', async t => {
  const g = await startGateway(t, { env: { TRACKGATE_TOKEN_GRACE_SECONDS: '60' } })
  const p = await seedProject(g)
  const run = await p.run()
  await g.call('POST', `/v1/runs/${run.id}/finish`, { auth: run.token, body: { status: 'FINISHED' } })
  const r = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'late', metrics: [{ key: 'x', value: 1, step: 1 }] } })
  t.equal(r.status, 202)
})

t.test('keys are listed without their secrets and a revoked key stops working at once', async t => {
  const g = await startGateway(t)
  const a = await seedProject(g, 'a')
  const b = await seedProject(g, 'b')
  const list = await g.call('GET', `/v1/projects/${a.id}/keys`, { auth: a.keys.admin })
  t.equal(list.status, 200)
  t.same(list.body.map((k: { role: string }) => k.role).sort(), ['admin', 'read', 'write'])
  t.notOk(JSON.stringify(list.body).includes('tgk_'), 'no key material in the listing')
  t.equal((await g.call('GET', `/v1/projects/${a.id}/keys`, { auth: a.keys.write })).status, 403, 'a write key cannot list keys')
  t.equal((await g.call('GET', `/v1/projects/${a.id}/keys`, { auth: b.keys.admin })).status, 403, 'nor another project\'s admin')

  const writeKeyId = list.body.find((k: { role: string }) => k.role === 'write').id
  t.equal((await g.call('GET', '/v1/runs', { auth: a.keys.write })).status, 200, 'works before (and is cached)')
  t.equal((await g.call('DELETE', `/v1/projects/${b.id}/keys/${writeKeyId}`, { auth: ADMIN_KEY })).status, 404, 'a key is revoked in its own project only')
  t.equal((await g.call('DELETE', `/v1/projects/${a.id}/keys/${writeKeyId}`, { auth: a.keys.admin })).status, 204)
  const after = await g.call('GET', '/v1/runs', { auth: a.keys.write })
  t.equal(after.status, 401, 'refused at once, cache or not')
  t.equal((await g.call('DELETE', `/v1/projects/${a.id}/keys/${writeKeyId}`, { auth: a.keys.admin })).status, 404, 'already gone')
  t.equal((await g.call('GET', '/v1/runs', { auth: a.keys.read })).status, 200, 'other keys unaffected')
})
