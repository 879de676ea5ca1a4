import type { Test } from 'tap'
import type { AppendResult } from '../../../src/store/store.js'
import type { Store } from '../../../src/store/store.js'
import { fresh, newRun, range, req, seedProject, seedRun, seqOf, T0, type MakeStore } from './contract-fixtures.js'

/** Calls at once before the test's: a pooled backend then has its connections open, and the test's calls really overlap. */
async function warm (store: Store): Promise<void> {
  await Promise.all(range(1, 8).map(async () => { await store.ping() }))
}

/**
 * Several calls in flight at once, as several ingest groups (or replicas) make them. The SQLite
 * backend answers them one after another; a networked one runs them on separate connections.
 */
export function concurrencyContract (t: Test, makeStore: MakeStore): void {
  t.test('appends at once on one run: seqs distinct and dense, each group consecutive', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1')
    await warm(store)
    const groups = range(0, 3).map(g => range(0, 9).map(i => req('r1', `g${g}-${i}`, {}, i)))
    const results = await Promise.all(groups.map(async b => await store.append(b)))
    const seqs = results.map(r => r.map(seqOf))
    t.strictSame(seqs.flat().sort((a, b) => a - b), range(1, 40), 'every seq once, no gap')
    t.ok(seqs.every(s => s.every((v, i) => i === 0 || v === (s[i - 1] as number) + 1)), 'a group\'s requests are consecutive (one transaction)')
    t.ok(results.flat().every(r => r.ok && !r.duplicate))
    t.strictSame((await store.readEntries('r1', 0, 100)).map(e => e.seq), range(1, 40))
    t.equal((await store.getRun('r1'))?.headSeq, 40)
  })

  t.test('the same batch id at once: stored once, every caller gets its seq', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1')
    await warm(store)
    const results = await Promise.all(range(1, 5).map(async () => await store.append([req('r1', 'same', { records: 7 })])))
    const firsts = results.map(r => r[0] as AppendResult)
    t.equal(firsts.filter(r => r.ok && !r.duplicate).length, 1, 'one stored it')
    t.equal(firsts.filter(r => r.ok && r.duplicate).length, 4, 'the others are duplicates')
    t.ok(firsts.every(r => r.ok && r.seq === 1 && r.accepted === 7), 'all answered with seq 1')
    t.equal((await store.readEntries('r1', 0, 10)).length, 1)
  })

  t.test('groups over the same runs in opposite orders finish (no deadlock)', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'ra')
    await seedRun(store, 'rb')
    await warm(store)
    const rounds = range(1, 5)
    const out = await Promise.all(rounds.flatMap(i => [
      store.append([req('ra', `x${i}`), req('rb', `x${i}`)]),
      store.append([req('rb', `y${i}`), req('ra', `y${i}`)])
    ]))
    t.ok(out.flat().every(r => r.ok && !r.duplicate), 'all stored')
    t.equal((await store.getRun('ra'))?.headSeq, 10)
    t.equal((await store.getRun('rb'))?.headSeq, 10)
    t.strictSame((await store.readEntries('rb', 0, 100)).map(e => e.seq), range(1, 10))
  })

  t.test('appends and finishRun at once: the status entry takes its own seq', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1')
    const [a, fin, b] = await Promise.all([
      store.append(range(1, 5).map(i => req('r1', `a${i}`))),
      store.finishRun('r1', 'FINISHED', T0 + 500),
      store.append(range(1, 5).map(i => req('r1', `b${i}`)))
    ])
    t.equal(fin.changed, true)
    t.ok([...a, ...b].every(r => r.ok), 'inside the grace period every batch is taken')
    const entries = await store.readEntries('r1', 0, 100)
    t.strictSame(entries.map(e => e.seq), range(1, 11), 'dense')
    t.equal(entries.filter(e => e.body.t === 'status').length, 1)
  })

  t.test('runs created at once with initial params', async t => {
    const { store } = await fresh(t, makeStore)
    await seedProject(store)
    const runs = await Promise.all(range(1, 6).map(async i => await store.createRun(newRun('p1', `r${i}`, { params: { i }, tags: { n: String(i) } }))))
    t.ok(runs.every(r => r.headSeq === 1), 'each has its first entry')
    t.strictSame(await Promise.all(runs.map(async r => await store.getParams(r.id))), range(1, 6).map(i => ({ i })))
  })
}
