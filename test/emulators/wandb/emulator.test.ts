import t from 'tap'
import { request } from 'undici'
import { fault, startWandbEmulator, type WandbEmulator } from './index.js'

const auth = (key: string, user = 'api') => `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`
async function post (emu: WandbEmulator, path: string, body: unknown, key = emu.apiKey) {
  const res = await request(emu.url + path, { method: 'POST', headers: { authorization: auth(key), 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) }
}
const upsert = (emu: WandbEmulator, variables: Record<string, unknown>) =>
  post(emu, '/graphql', { operationName: 'UpsertBucket', query: 'mutation UpsertBucket { upsertBucket(input: {}) { bucket { id } inserted } }', variables })
const stream = (emu: WandbEmulator, run: string, body: unknown) => post(emu, `/files/ml-team/p/${run}/file_stream`, body)
const hist = (offset: number, ...content: string[]) => ({ files: { 'wandb-history.jsonl': { offset, content } } })

t.test('emulator rules', async (t) => {
  const emu = await startWandbEmulator({ maxBodyBytes: 2000, limits: { runRequests: 2 }, historyLagMs: 0, staleRunMs: 300, teams: ['other'] })
  t.teardown(() => emu.close())

  t.test('Basic auth with user api + key; anything else is 401', async (t) => {
    t.equal((await post(emu, '/graphql', { query: '{ viewer { entity } }' }, 'wrong')).status, 401)
    const res = await request(emu.url + '/graphql', { method: 'POST', headers: { authorization: auth(emu.apiKey, 'bob') }, body: '{}' })
    await res.body.text()
    t.equal(res.statusCode, 401)
  })

  t.test('viewer gives the default entity', async (t) => {
    t.match((await post(emu, '/graphql', { query: 'query Viewer{ viewer { id entity } }' })).json, { data: { viewer: { entity: 'ml-team' } } })
  })

  t.test('upsertBucket: implicit project, inserted, null = unchanged, canonical names', async (t) => {
    const a = await upsert(emu, { name: 'u1', project: 'p', entity: null, groupName: 'g', jobType: 'train', displayName: 'd', tags: ['x'], config: '{"lr":{"value":NaN}}' })
    t.match(a.json, { data: { upsertBucket: { inserted: true, bucket: { name: 'u1', project: { name: 'p', entity: { name: 'ml-team' } }, historyLineCount: 0 } } } })
    t.ok(emu.projects().includes('ml-team/p'))
    const b = await upsert(emu, { id: a.json.data.upsertBucket.bucket.id, tags: null, groupName: null, config: '{"lr":{"value":1}}' })
    t.equal(b.json.data.upsertBucket.inserted, false)
    t.match(emu.run('u1'), { group: 'g', jobType: 'train', displayName: 'd', tags: ['x'], config: { lr: { value: 1 } } })
    t.match((await upsert(emu, { name: 'a/b', project: 'p' })).json, { errors: [{ message: /invalid run name/ }], data: { upsertBucket: null } })
    t.match((await upsert(emu, { name: 'z', project: 'p', entity: 'stranger' })).json, { errors: [{ message: /permission/ }] })
    t.match((await upsert(emu, { id: 'nope' })).json, { errors: [{ message: /not found/ }] })
  })

  t.test('file_stream: put-line per offset, rewriting replaces (wandb#3933: a b c d e → e c d)', async (t) => {
    await upsert(emu, { name: 'put', project: 'p' })
    for (const [off, v] of [[0, 'a'], [1, 'b'], [1, 'c'], [2, 'd'], [0, 'e']] as const) {
      t.equal((await stream(emu, 'put', hist(off, `{"_step":${off},"v":"${v}"}`))).status, 200)
      await new Promise((resolve) => setTimeout(resolve, 520))
    }
    t.same(emu.run('put')?.history.map((r) => r?.v), ['e', 'c', 'd'])
  })

  t.test('extended JSON lines: bare NaN/Infinity accepted, a bad line refuses the whole request', async (t) => {
    await upsert(emu, { name: 'nan', project: 'p' })
    t.equal((await stream(emu, 'nan', hist(0, '{"_step":0,"x":NaN,"y":-Infinity}'))).status, 200)
    t.ok(Number.isNaN(emu.run('nan')?.history[0]?.x))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    t.equal((await stream(emu, 'nan', hist(1, '{"_step":1}', '{"_step":2,"x":nan}'))).status, 400)
    t.equal(emu.run('nan')?.historyLines.length, 1, 'nothing applied')
  })

  t.test('complete + exitcode → finished / failed; stopped flag in answers; 413; 404', async (t) => {
    await upsert(emu, { name: 'ok', project: 'p' })
    await upsert(emu, { name: 'bad', project: 'p' })
    emu.setStopped('ok')
    t.match((await stream(emu, 'ok', { complete: true, exitcode: 0 })).json, { stopped: true })
    t.match((await stream(emu, 'bad', { complete: true, exitcode: 1 })).json, { stopped: false })
    t.match(emu.run('ok'), { state: 'finished', exitcode: 0 })
    t.match(emu.run('bad'), { state: 'failed', exitcode: 1 })
    t.equal((await stream(emu, 'bad', hist(0, `{"_step":0,"pad":"${'x'.repeat(3000)}"}`))).status, 413)
    t.equal((await stream(emu, 'missing', {})).status, 404)
  })

  t.test('per-run limit: 429 with Retry-After and RateLimit-* (0–1000 scale)', async (t) => {
    await upsert(emu, { name: 'rl', project: 'p' })
    const first = await stream(emu, 'rl', {})
    t.match(first.headers, { 'ratelimit-limit': '1000', 'ratelimit-remaining': '500' })
    await stream(emu, 'rl', {})
    const third = await stream(emu, 'rl', {})
    t.equal(third.status, 429)
    t.match(third.headers, { 'retry-after': '1', 'ratelimit-remaining': '0', 'ratelimit-reset': '1' })
  })

  t.test('scripted faults: 429/5xx/delay/reset, outage window, hold', async (t) => {
    emu.script(fault.throttle(3, { op: 'Viewer' }), fault.status(502, { op: 'Viewer' }), fault.delay(150, { op: 'Viewer' }))
    const v = { operationName: 'Viewer', query: '{ viewer { entity } }' }
    t.match(await post(emu, '/graphql', v), { status: 429, headers: { 'retry-after': '3', 'ratelimit-remaining': '0' } })
    t.equal((await post(emu, '/graphql', v)).status, 502)
    const started = Date.now()
    t.equal((await post(emu, '/graphql', v)).status, 200)
    t.ok(Date.now() - started >= 140)
    emu.script(fault.reset({ op: 'Viewer' }))
    await t.rejects(post(emu, '/graphql', v))
    emu.outage(200, { kind: 'status', status: 503 }, { op: 'Viewer' })
    t.equal((await post(emu, '/graphql', v)).status, 503)
    await new Promise((resolve) => setTimeout(resolve, 250))
    t.equal((await post(emu, '/graphql', v)).status, 200)
    await upsert(emu, { name: 'held', project: 'p' })
    const held = emu.hold({ run: 'held', route: 'file_stream' })
    const answer = stream(emu, 'held', hist(0, '{"_step":0}'))
    await held.arrived
    t.equal(emu.run('held')?.history.length, 1, 'applied before the answer')
    held.release()
    t.equal((await answer).status, 200)
  })

  t.test('RunResumeStatus, stale sweep to crashed, protocol violations recorded', async (t) => {
    await upsert(emu, { name: 'res', project: 'p', config: '{"_wandb":{"value":{"t":{}}}}' })
    await stream(emu, 'res', hist(0, '{"_step":0}', '{"_step":1}'))
    const q = { operationName: 'RunResumeStatus', query: 'query RunResumeStatus { model(name: $project) { bucket(name: $name) { id } } }', variables: { project: 'p', entity: 'ml-team', name: 'res' } }
    const bucket = (await post(emu, '/graphql', q)).json.data.model.bucket
    t.match(bucket, { historyLineCount: 2, wandbConfig: '{"t":{}}' })
    t.same(JSON.parse(bucket.historyTail), ['{"_step":0}', '{"_step":1}'])
    await new Promise((resolve) => setTimeout(resolve, 1000))
    t.equal(emu.run('res')?.state, 'crashed')
    await stream(emu, 'res', hist(5, '{"_step":5}'))
    t.match(emu.violations(), [/gap/])
  })
})
