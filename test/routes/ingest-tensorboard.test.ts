import t from 'tap'
import { readScalars, readEventFile, decodeHparamsPluginData } from '../../src/codecs/tfevents/index.js'
import { join } from 'node:path'
import { readdirSync } from 'node:fs'
import { eventually, seedProject, startGateway } from '../helper.js'

const f32 = Math.fround

t.test('metrics posted like a container lands in TensorBoard files with exact values', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const run = await p.run({ name: 'seg-1', experiment: 'seg', params: { lr: 0.0003, epochs: 10, use_amp: true, model: 'SegResNet', roi: [96, 96, 96], legacy_lr: '0.0003', opt: null } })

  const keys = Array.from({ length: 1000 }, (_, i) => `k/${String(i).padStart(4, '0')}`)
  const special = [
    { key: 'loss', value: 'NaN', step: 1 },
    { key: 'loss', value: 'Infinity', step: 2 },
    { key: 'loss', value: '-Infinity', step: 3 },
    { key: 'loss', value: 0.1, step: 5_000_000_000 }
  ]
  let r = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'b-special', metrics: special.map(m => ({ ...m, timestamp: 1700000000250 })) } })
  t.equal(r.status, 202)
  t.same(r.body, { accepted: 4, duplicate: false, seq: 2 })
  const wide = keys.map((key, i) => ({ key, value: i / 7, step: 7, timestamp: 1700000001000 }))
  r = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'b-wide', metrics: wide } })
  t.equal(r.status, 202)
  t.equal(r.body.accepted, 1000)
  r = await g.call('POST', `/v1/runs/${run.id}/finish`, { auth: run.token, body: { status: 'FINISHED' } })
  t.equal(r.status, 200)

  await eventually(async () => {
    const s = await g.call('GET', `/v1/runs/${run.id}/sinks`, { auth: p.keys.read })
    return s.body[0]?.lag === 0 && s.body[0]?.deliveredSeq === 4
  }, 10000, 'tensorboard to catch up')

  const scalars = await readScalars(g.config.tensorboardDir)
  t.equal(scalars.length, 1004)
  t.equal(new Set(scalars.map(s => s.run)).size, 1, 'one TensorBoard run')
  t.match(scalars[0]?.run, new RegExp(`^${p.id}/seg/seg-1-${run.id.slice(0, 8)}$`))
  const loss = scalars.filter(s => s.tag === 'loss')
  t.ok(Number.isNaN(loss[0]?.value))
  t.same(loss.slice(1).map(s => [s.step, s.value, s.wallTime]), [[2, Infinity, 1700000000.25], [3, -Infinity, 1700000000.25], [5_000_000_000, f32(0.1), 1700000000.25]])
  const k = scalars.filter(s => s.tag.startsWith('k/'))
  t.same(k.map(s => s.tag), keys, 'every key once, in order')
  t.ok(k.every((s, i) => s.step === 7 && s.value === f32(i / 7)), 'values exact to float32')

  // HParams: the session start holds the params (typed), the end holds the status.
  const dir = join(g.config.tensorboardDir, scalars[0]?.run as string)
  const [file] = readdirSync(dir)
  const contents = await readEventFile(join(dir, file as string))
  t.equal(contents.events[0]?.fileVersion, 'brain.Event:2', 'file_version first')
  const hp = contents.events.flatMap(e => e.summary ?? []).filter(v => v.pluginName === 'hparams').map(v => decodeHparamsPluginData(v.pluginContent as Uint8Array))
  t.same(hp[0]?.sessionStartInfo?.hparams, { lr: 0.0003, epochs: 10, use_amp: true, model: 'SegResNet', roi: '[96,96,96]', legacy_lr: '0.0003', opt: 'null' },
    'numbers, booleans and strings as they are; a list or null as its JSON string')
  t.match(hp[1], { sessionEndInfo: { status: 'STATUS_SUCCESS' } })
})

t.test('a repeated batchId is stored once and answered the same, also when sent concurrently', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const run = await p.run()
  const body = { batchId: 'same', metrics: [{ key: 'a', value: 1, step: 1 }, { key: 'b', value: 2, step: 1 }] }
  const first = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body })
  const again = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body })
  t.same(first.body, { accepted: 2, duplicate: false, seq: 1 })
  t.same(again.body, { accepted: 2, duplicate: true, seq: 1 })

  const concurrent = await Promise.all(Array.from({ length: 20 }, async () =>
    await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { ...body, batchId: 'together' } })))
  t.ok(concurrent.every(r => r.status === 202))
  t.equal(concurrent.filter(r => r.body.duplicate === false).length, 1, 'exactly one stored')
  t.equal(new Set(concurrent.map(r => r.body.seq)).size, 1, 'all answered with the same entry')

  const hist = await g.call('GET', `/v1/runs/${run.id}/metrics?key=a`, { auth: p.keys.read })
  t.equal(hist.body.items.length, 2, 'two batches, not 22')
  const runRes = await g.call('GET', `/v1/runs/${run.id}`, { auth: p.keys.read })
  t.equal(runRes.body.headSeq, 2)
})

t.test('history paginates with an opaque cursor and summary keeps the latest step', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const run = await p.run({ params: { seed: '1' }, tags: { owner: 'ana' } })
  for (let b = 0; b < 5; b++) {
    const metrics = Array.from({ length: 10 }, (_, i) => ({ key: 'loss', value: b * 10 + i, step: b * 10 + i }))
    metrics.push({ key: 'dice', value: b, step: 4 - b })
    t.equal((await g.call('POST', `/v1/runs/${run.id}/log`, { auth: p.keys.write, body: { batchId: `b${b}`, metrics, tags: { epoch: String(b) } } })).status, 202)
  }
  const seen: number[] = []
  let cursor: string | null = null
  do {
    const q: string = cursor === null ? '' : `&cursor=${cursor}`
    const page: { body: { items: Array<{ step: number }>, nextCursor: string | null } } = await g.call('GET', `/v1/runs/${run.id}/metrics?key=loss&limit=7${q}`, { auth: p.keys.read })
    seen.push(...page.body.items.map(i => i.step))
    cursor = page.body.nextCursor
  } while (cursor !== null)
  t.same(seen, Array.from({ length: 50 }, (_, i) => i))
  const after = await g.call('GET', `/v1/runs/${run.id}/metrics?key=loss&afterStep=45`, { auth: p.keys.read })
  t.same(after.body.items.map((i: { step: number }) => i.step), [46, 47, 48, 49])
  const bad = await g.call('GET', `/v1/runs/${run.id}/metrics?cursor=zzz`, { auth: p.keys.read })
  t.equal(bad.status, 400)
  const s = await g.call('GET', `/v1/runs/${run.id}/summary`, { auth: p.keys.read })
  t.same(s.body.metrics.loss, { value: 49, step: 49, timestamp: s.body.metrics.loss.timestamp })
  t.same(s.body.metrics.dice.step, 4, 'dice at the highest step (sent first), not the last sent')
  t.same(s.body.metrics.dice.value, 0)
  t.same(s.body.params, { seed: '1' })
  t.same(s.body.tags, { owner: 'ana', epoch: '4' })
})
