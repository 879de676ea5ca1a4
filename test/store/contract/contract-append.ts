import type { Test } from 'tap'
import type { EntryBody } from '../../../src/domain/log-entry.js'
import { fresh, GRACE_MS, req, seedRun, T0, type MakeStore } from './contract-fixtures.js'

export function appendContract (t: Test, makeStore: MakeStore): void {
  t.test('append: a group gets consecutive seqs per run, bodies as written', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1')
    await seedRun(store, 'r2')
    const body: EntryBody = { t: 'batch', p: { z: 1, a: 'x' }, g: { phase: 'train' }, m: [['loss', 'NaN', 3, T0], ['acc', 0.25, 3, T0 + 1]] }
    const res = await store.append([
      req('r1', 'b1'),
      req('r2', 'b1', { now: T0 + 7 }),
      req('r1', 'b2', { body, records: 5, params: { z: 1, a: 'x' }, tags: { phase: 'train' }, now: T0 + 8 })
    ])
    t.strictSame(res, [
      { ok: true, seq: 1, accepted: 1, duplicate: false },
      { ok: true, seq: 1, accepted: 1, duplicate: false },
      { ok: true, seq: 2, accepted: 5, duplicate: false }
    ], 'seqs per run; accepted is the request\'s record count')
    const entries = await store.readEntries('r1', 0, 10)
    t.strictSame(entries.map(e => e.seq), [1, 2])
    t.strictSame(entries[1], { seq: 2, body, createdAt: T0 + 8 }, 'the body as written, created at the request\'s now')
    t.strictSame(Object.keys((entries[1]?.body as { p: object }).p), ['z', 'a'], 'record order inside an entry kept (records are numbered in it)')
    t.strictSame(await store.getParams('r1'), { a: 'x', z: 1 })
    t.strictSame(await store.getTags('r1'), { phase: 'train' }, 'logged tags join the run\'s tags')
    t.equal((await store.getRun('r1'))?.headSeq, 2)
    t.equal((await store.getRun('r2'))?.headSeq, 1)
    t.strictSame(await store.append([]), [], 'an empty group')
  })

  t.test('append: duplicates, across calls and inside one group', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1')
    await store.append([req('r1', 'b1', { records: 3 })])
    const res = await store.append([
      req('r1', 'b1', { records: 9 }),
      req('r1', 'b2', { records: 2 }),
      req('r1', 'b2', { records: 4 }),
      req('r1', 'b3', { params: { lr: 1 } }),
      req('r1', 'b3', { params: { lr: 2 } })
    ])
    t.strictSame(res, [
      { ok: true, seq: 1, accepted: 3, duplicate: true },
      { ok: true, seq: 2, accepted: 2, duplicate: false },
      { ok: true, seq: 2, accepted: 2, duplicate: true },
      { ok: true, seq: 3, accepted: 1, duplicate: false },
      { ok: true, seq: 3, accepted: 1, duplicate: true }
    ], 'a retried batch is answered as the first time; the same batch id later in a group is a duplicate of the earlier one')
    t.equal((await store.readEntries('r1', 0, 10)).length, 3, 'stored once each')
    t.strictSame(await store.getParams('r1'), { lr: 1 }, 'a duplicate writes nothing')

    const failed = await store.append([
      req('r1', 'b4', { params: { lr: 5 } }),
      req('r1', 'b4', { params: { lr: 1 } })
    ])
    t.match(failed[0], { ok: false, error: 'param_conflict' })
    t.strictSame(failed[1], { ok: true, seq: 4, accepted: 1, duplicate: false }, 'a failed request does not make its batch id known')
    const other = await store.append([req('r2', 'b1'), req('r1', 'b1')])
    t.strictSame(other, [{ ok: false, error: 'run_missing' }, { ok: true, seq: 1, accepted: 3, duplicate: true }], 'batch ids are per run')
  })

  t.test('append: params are immutable, compared as typed values', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1', { params: { bs: '2', opt: { b: 1, a: [1, 2] }, lr: 1 } })
    const res = await store.append([
      req('r1', 'b1', { params: { bs: 2 } }),
      req('r1', 'b2', { params: { bs: '2', lr: 1.0, opt: { a: [1, 2], b: 1 }, fresh: true } }),
      req('r1', 'b3', { params: { opt: { a: [2, 1], b: 1 } } }),
      req('r1', 'b4', { params: { fresh: false, other: 1 } }),
      req('r1', 'b5', { params: { other: 1 } })
    ])
    t.strictSame(res[0], { ok: false, error: 'param_conflict', key: 'bs', existing: '2', got: 2 }, 'the string "2" is not the number 2')
    t.strictSame(res[1], { ok: true, seq: 2, accepted: 1, duplicate: false }, 'the same values (1 and 1.0, keys in another order) pass')
    t.strictSame(res[2], { ok: false, error: 'param_conflict', key: 'opt', existing: { b: 1, a: [1, 2] }, got: { a: [2, 1], b: 1 } }, 'array order counts')
    t.strictSame(res[3], { ok: false, error: 'param_conflict', key: 'fresh', existing: true, got: false }, 'a param set earlier in the same group counts')
    t.strictSame(res[4], { ok: true, seq: 3, accepted: 1, duplicate: false }, 'a refused request stored none of its params')
    t.strictSame(await store.getParams('r1'), { bs: '2', fresh: true, lr: 1, opt: { b: 1, a: [1, 2] }, other: 1 })
  })

  t.test('append: an ended run takes batches for the grace period only; unknown runs fail alone', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1')
    const end = T0 + 5000
    await store.finishRun('r1', 'KILLED', end)
    const res = await store.append([
      req('r1', 'in-grace', { now: end + GRACE_MS }),
      req('r1', 'late', { now: end + GRACE_MS + 1 }),
      req('nope', 'b1'),
      req('r1', 'in-grace', { now: end + GRACE_MS + 1 })
    ])
    t.strictSame(res, [
      { ok: true, seq: 2, accepted: 1, duplicate: false },
      { ok: false, error: 'run_ended', status: 'KILLED' },
      { ok: false, error: 'run_missing' },
      { ok: true, seq: 2, accepted: 1, duplicate: true }
    ], 'after the grace, a known batch id is still answered as a duplicate')
    t.strictSame((await store.readEntries('r1', 0, 10)).map(e => e.body.t), ['status', 'batch'])
  })

  t.test('readEntries pages by seq', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1')
    for (let i = 1; i <= 3; i++) await store.append(Array.from({ length: 4 }, (_, j) => req('r1', `b${i}-${j}`, {}, i * 10 + j)))
    t.strictSame((await store.readEntries('r1', 0, 100)).map(e => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    t.strictSame((await store.readEntries('r1', 5, 3)).map(e => e.seq), [6, 7, 8])
    t.strictSame((await store.readEntries('r1', 10, 100)).map(e => e.seq), [11, 12])
    t.strictSame(await store.readEntries('r1', 12, 10), [], 'nothing after the head')
    t.strictSame(await store.readEntries('nope', 0, 10), [])
    const [sixth] = await store.readEntries('r1', 5, 1)
    t.strictSame(sixth?.body, { t: 'batch', m: [['train/loss', 0.5, 21, T0 + 21]] })
  })
}
