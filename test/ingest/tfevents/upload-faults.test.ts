import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { frameRecord, encodeFileVersion } from '../../../src/codecs/tfevents/index.js'
import { EventType } from '../../../src/codecs/tfevents/proto-root.js'
import { seedProject, startGateway, tempDir } from '../../helper.js'
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js'
import { fixtureFile, HPARAMS_FILE, metrics, recordStarts, RUN1_FILE, upload } from './upload-helper.js'

/** The gateway's store file opened directly, while no gateway has it open. */
async function withStore (dataDir: string, fn: (s: SqliteStore) => Promise<void>): Promise<void> {
  const store = new SqliteStore({ file: join(dataDir, 'trackgate.sqlite'), synchronous: 'FULL', tokenGraceMs: 0 })
  try { await fn(store) } finally { await store.close() }
}

const g = await startGateway(t)
const project = await seedProject(g)
const run1 = await fixtureFile(RUN1_FILE)
const starts = recordStarts(run1)

t.test('a record with a bad payload CRC is reported and skipped, the rest kept', async (t) => {
  const run = await project.run()
  const bad = Buffer.from(run1)
  const at = starts[5] as number
  bad[at + 14] = (bad[at + 14] as number) ^ 0xff // inside the payload
  const r = await upload(g, run.id, run.token, RUN1_FILE, 0, bad)
  t.equal(r.status, 202)
  t.equal(r.body.consumed, bad.length)
  t.same(r.body.corrupt.map((c: any) => [c.offset, c.reason]), [[at, 'data_crc']])
  t.equal((await metrics(g, run.id, project.keys.read)).length, 14, '14 of the 15 points')
  t.ok(g.logs.some(l => l.includes('tfevents record skipped') && l.includes(String(at))), 'logged')
  const again = await upload(g, run.id, run.token, RUN1_FILE, 0, bad)
  t.equal(again.body.duplicate, true, 'a re-sent range is a duplicate')
  const dl = await g.call('GET', `/v1/dead-letters?runId=${run.id}`, { auth: project.keys.read })
  t.equal(dl.body.items.length, 1, 'one dead letter, also after the re-send')
  t.match(dl.body.items[0], { sink: 'tfevents-ingest', idx: at, code: 'TG_TFEVENTS_DATA_CRC', record: { file: RUN1_FILE, offset: at, reason: 'data_crc' } })
  const replay = await g.call('POST', `/v1/dead-letters/${dl.body.items[0].id as number}/replay`, { auth: project.keys.write })
  t.equal(replay.status, 409, 'an unreadable record cannot be replayed')
  t.match(replay.body.message, /discard/)
  t.equal((await g.call('DELETE', `/v1/dead-letters/${dl.body.items[0].id as number}`, { auth: project.keys.write })).status, 204, 'but it can be discarded')
  const ok = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'after', metrics: [{ key: 'x', value: 1, step: 0 }] } })
  t.equal(ok.status, 202, 'the run still takes native batches')
})

t.test('a bad length CRC makes the rest of that file unreadable, never the run', async (t) => {
  const run = await project.run()
  const bad = Buffer.from(run1)
  const at = starts[5] as number
  bad[at + 9] = (bad[at + 9] as number) ^ 0xff // the length CRC
  const r = await upload(g, run.id, run.token, RUN1_FILE, 0, bad.subarray(0, starts[8]))
  t.same({ consumed: r.body.consumed, deadAt: r.body.deadAt, corrupt: r.body.corrupt.map((c: any) => c.reason) }, { consumed: starts[8], deadAt: at, corrupt: ['length_crc'] })
  const more = await upload(g, run.id, run.token, RUN1_FILE, starts[8] as number, bad.subarray(starts[8]))
  t.same({ consumed: more.body.consumed, deadAt: more.body.deadAt, records: more.body.records }, { consumed: bad.length, deadAt: at, records: 0 })
  t.equal((await metrics(g, run.id, project.keys.read)).length, 4, 'the records before it')
  const dl = await g.call('GET', `/v1/dead-letters?runId=${run.id}&sink=tfevents-ingest`, { auth: project.keys.read })
  t.same(dl.body.items.map((d: any) => [d.idx, d.code]), [[at, 'TG_TFEVENTS_LENGTH_CRC']])
})

t.test('bad file names and offsets are 400 with the gateway error body', async (t) => {
  const run = await project.run()
  const cases: Array<[string, string]> = [
    ['../events.out.tfevents.1', '0'], ['/abs/events.out.tfevents.1', '0'], ['a//events.out.tfevents.1', '0'],
    ['run1/../events.out.tfevents.1', '0'], ['x'.repeat(250) + 'tfevents', '0'], ['notes.txt', '0'], ['', '0'],
    [RUN1_FILE, '-1'], [RUN1_FILE, 'abc'], [RUN1_FILE, '1.5']
  ]
  for (const [file, offset] of cases) {
    const r = await upload(g, run.id, run.token, file, offset, Buffer.alloc(0))
    t.equal(r.status, 400, `${file.slice(0, 40)} @${offset}`)
    t.same(Object.keys(r.body ?? {}).sort(), ['code', 'error', 'message', 'statusCode'])
  }
  const json = await g.call('POST', `/v1/runs/${run.id}/tfevents?file=${RUN1_FILE}&offset=0`, { auth: run.token, body: { a: 1 } })
  t.equal(json.status, 415, 'JSON is not an event file')
})

t.test('auth: the run token and a write key work, another run\'s token does not', async (t) => {
  const run = await project.run()
  const other = await project.run()
  const r = await upload(g, run.id, run.token, RUN1_FILE, 0, run1.subarray(0, starts[2]))
  t.equal(r.status, 202)
  const w = await upload(g, run.id, project.keys.write, RUN1_FILE, starts[2] as number, run1.subarray(starts[2]))
  t.equal(w.status, 202)
  const x = await upload(g, run.id, other.token, RUN1_FILE, 0, run1)
  t.equal(x.status, 401)
  t.same(Object.keys(x.body).sort(), ['code', 'error', 'message', 'statusCode'])
  t.equal((await upload(g, run.id, 'nope', RUN1_FILE, 0, run1)).status, 401)
})

t.test('tags the key rules refuse are mapped, text summaries become tags, subruns stay apart', async (t) => {
  const run = await project.run()
  const ev = (o: Record<string, unknown>): Buffer => frameRecord(EventType.encode(EventType.fromObject(o)).finish())
  const text = { tag: 'notes/text_summary', metadata: { plugin_data: { plugin_name: 'text' } }, tensor: { dtype: 7, string_val: [Buffer.from('hello **world**')] } }
  const bytes = Buffer.concat([
    frameRecord(encodeFileVersion(1700000000)),
    ev({ wall_time: 1700000001.5, step: 3, summary: { value: [{ tag: 'loss:train@gpu0', simple_value: 0.25 }, { tag: '/odd//tag/', simple_value: 1 }, text] } }),
    ev({ wall_time: 1700000002, step: 4, summary: { value: [{ tag: 'v2', tensor: { dtype: 2, double_val: [2.5] } }] } })
  ])
  for (const file of ['events.out.tfevents.1.h.1.0', 'a/events.out.tfevents.1.h.1.0', 'b/events.out.tfevents.1.h.1.0']) {
    const r = await upload(g, run.id, run.token, file, 0, bytes)
    t.same({ status: r.status, scalars: r.body.scalars, consumed: r.body.consumed }, { status: 202, scalars: 3, consumed: bytes.length }, file)
  }
  const got = (await metrics(g, run.id, project.keys.read)).map(p => `${p.key}@${p.step}=${p.value}`).sort()
  t.same(got, ['_/odd/_/tag/_@3=1', 'a/_/odd/_/tag/_@3=1', 'a/loss_train_gpu0@3=0.25', 'a/v2@4=2.5', 'b/_/odd/_/tag/_@3=1',
    'b/loss_train_gpu0@3=0.25', 'b/v2@4=2.5', 'loss_train_gpu0@3=0.25', 'v2@4=2.5'])
  const s = await g.call('GET', `/v1/runs/${run.id}/summary`, { auth: project.keys.read })
  t.equal(s.body.tags['text/notes/text_summary'], 'hello **world**')
  t.equal(s.body.tags['a/text/notes/text_summary'], 'hello **world**')
})

t.test('a range left pending by a crash is committed once after a restart', async (t) => {
  const dataDir = tempDir(t)
  const g1 = await startGateway(t, { dataDir })
  const p = await seedProject(g1, 'crash')
  const run = await p.run()
  const mid = starts[7] as number
  const r = await upload(g1, run.id, run.token, RUN1_FILE, 0, run1.subarray(0, mid))
  t.equal(r.body.consumed, mid)
  await g1.app.close()
  // As if the process died after the commit and before the table recorded it.
  await withStore(dataDir, async store => { await store.putIngestOffsets(run.id, RUN1_FILE, { consumed: 0, pending: mid }, Date.now()) })
  const g2 = await startGateway(t, { dataDir })
  const again = await upload(g2, run.id, run.token, RUN1_FILE, 0, run1)
  t.same({ status: again.status, consumed: again.body.consumed }, { status: 202, consumed: run1.length })
  t.equal((await metrics(g2, run.id, p.keys.read)).length, 15, 'every point once')
})

t.test('concurrent uploads of two files of one run both reach the store\'s offsets', async (t) => {
  const dataDir = tempDir(t)
  const g1 = await startGateway(t, { dataDir })
  const p = await seedProject(g1, 'tables')
  const run = await p.run()
  const hp = await fixtureFile(HPARAMS_FILE)
  const [a, b] = await Promise.all([upload(g1, run.id, run.token, RUN1_FILE, 0, run1), upload(g1, run.id, run.token, HPARAMS_FILE, 0, hp)])
  t.same([a.status, b.status], [202, 202])
  await g1.app.close()
  await withStore(dataDir, async store => {
    t.same([await store.getIngestOffsets(run.id, RUN1_FILE), await store.getIngestOffsets(run.id, HPARAMS_FILE)], [{ consumed: run1.length }, { consumed: hp.length }])
  })
})

t.test('offsets kept in the data folder by an older gateway move into the store', async (t) => {
  const dataDir = tempDir(t)
  const g1 = await startGateway(t, { dataDir })
  const p = await seedProject(g1, 'upgrade')
  const run = await p.run()
  const mid = starts[7] as number
  await upload(g1, run.id, run.token, RUN1_FILE, 0, run1.subarray(0, mid))
  await g1.app.close()
  // What the older gateway would have written instead of the store's row.
  await withStore(dataDir, async store => { await store.putIngestOffsets(run.id, RUN1_FILE, { consumed: 0 }, Date.now()) })
  await mkdir(join(dataDir, 'tfevents-offsets'))
  await writeFile(join(dataDir, 'tfevents-offsets', `${run.id}.json`), JSON.stringify({ [RUN1_FILE]: { consumed: mid } }))
  const g2 = await startGateway(t, { dataDir })
  const rest = await upload(g2, run.id, run.token, RUN1_FILE, mid, run1.subarray(mid))
  t.same({ status: rest.status, consumed: rest.body.consumed }, { status: 202, consumed: run1.length }, 'the tail resumes where it was')
  t.equal((await metrics(g2, run.id, p.keys.read)).length, 15, 'every point once')
  t.ok(g2.logs.some(l => l.includes('tfevents offsets moved')), 'logged')
})

t.test('an upload with more points than one batch may hold is committed batch after batch, in one round trip', async (t) => {
  const small = await startGateway(t, { config: { maxMetricsPerBatch: 4 } })
  const p = await seedProject(small, 'batches')
  const run = await p.run()
  const r = await upload(small, run.id, run.token, RUN1_FILE, 0, run1)
  t.same({ status: r.status, consumed: r.body.consumed, scalars: r.body.scalars }, { status: 202, consumed: run1.length, scalars: 15 })
  t.equal((await metrics(small, run.id, p.keys.read)).length, 15, 'every point once')
  const again = await upload(small, run.id, run.token, RUN1_FILE, 0, run1)
  t.same({ consumed: again.body.consumed, duplicate: again.body.duplicate, scalars: again.body.scalars }, { consumed: run1.length, duplicate: true, scalars: 0 })
})
