import type { Test } from 'tap'
import { range, req, seedRun, T0, type Backend, type MakeStore, type Place } from './contract-fixtures.js'
import { TYPED_PARAMS } from './contract-runs.js'
import { newJob, submitted } from './contract-jobs.js'
import { newTuning } from './contract-tuning.js'

/** Everything one backend holds about the seeded data, read through the interfaces. */
async function snapshot (b: Backend): Promise<unknown> {
  const { store, jobs, tunings } = b
  return {
    project: await store.getProject('p1'),
    keys: await store.listApiKeys('p1'),
    key: await store.findApiKey('hash-1'),
    run: await store.getRun('r1'),
    runs: await store.listRuns('p1', { limit: 10 }),
    params: await store.getParams('r1'),
    entries: await store.readEntries('r1', 0, 100),
    cursors: await store.listCursors('r1'),
    deadLetters: await store.listDeadLetters('p1', { limit: 10 }),
    targets: await store.listSinkTargets('p1'),
    offsets: await store.getIngestOffsets('r1', 'events.out'),
    stats: await store.sinkStats(),
    backlog: await store.backlog(),
    job: await jobs.get('j1'),
    events: await jobs.events('j1'),
    tuning: await tunings.get('tj1')
  }
}

async function seedEverything (b: Backend): Promise<void> {
  const { store, jobs, tunings } = b
  await seedRun(store, 'r1', { params: TYPED_PARAMS, tags: { team: 'seg' }, sinks: ['mlflow', 'wandb'] })
  await store.createApiKey({ id: 'k1', projectId: 'p1', role: 'write', hash: 'hash-1' })
  await store.append(range(1, 5).map(i => req('r1', `b${i}`, { params: { [`p${i}`]: i } }, i)))
  await store.commitDelivery({
    sink: 'mlflow',
    runId: 'r1',
    deliveredSeq: 3,
    state: { remote: 'x' },
    wakeAt: null,
    now: T0 + 5,
    replayed: [],
    deadLetters: [{ seq: 2, idx: 0, record: { k: 'v' }, code: 'TG_SINK_REJECTED', message: 'no' }]
  })
  await store.recordFailure('wandb', 'r1', { attempts: 2, nextAttemptAt: T0 + 60_000, status: 'degraded', code: 'TG_SINK_THROTTLED', message: '429' }, T0 + 6)
  await store.putSinkTarget('p1', 'mlflow', { url: 'http://mlflow', token: 's' }, T0)
  await store.putIngestOffsets('r1', 'events.out', { consumed: 10, pending: 20 }, T0)
  await store.mergeRunTags('r1', { stop: 'requested' })
  await jobs.insert(newJob('j1', { idempotencyKey: 'k' }), submitted)
  await jobs.update('j1', { status: 'RUNNING', cost: null, finalMetrics: [{ name: 'm', value: 1 }] }, { at: T0 + 9, message: null, source: 'poll' })
  await tunings.insert(newTuning('tj1'))
  await tunings.update('tj1', { status: 'RUNNING' })
}

/** Each history's versions are 1..n, each once, n being the latest where the backend names it. */
function checkHistories (t: Test, place: Place, recorded: Record<string, number[]>): void {
  for (const [table, versions] of Object.entries(recorded)) {
    t.strictSame(versions, range(1, versions.length), `${table}: every version once, in order`)
    const latest = place.latest[table]
    if (latest !== undefined) t.equal(versions.length, latest, `${table}: up to v${latest}`)
  }
}

export function restartContract (t: Test, makeStore: MakeStore): void {
  t.test('close and reopen: everything is still there, and the run log goes on', async t => {
    const place = await makeStore(t)
    const first = await place.open()
    t.teardown(() => first.close())
    await seedEverything(first)
    const before = await snapshot(first)
    const migrations = await place.migrations()
    await first.close()

    const b = await place.open()
    t.teardown(() => b.close())
    t.strictSame(await snapshot(b), before, 'the same through every interface')
    t.strictSame(await place.migrations(), migrations, 'reopening applies no migration again')
    t.strictSame(await b.store.append([req('r1', 'b3'), req('r1', 'b6')]), [
      { ok: true, seq: 4, accepted: 1, duplicate: true },
      { ok: true, seq: 7, accepted: 1, duplicate: false }
    ], 'batch ids acknowledged before the restart are still known; seqs continue')
    t.strictSame((await b.store.append([req('r1', 'b7', { params: { p1: 2 } })]))[0], { ok: false, error: 'param_conflict', key: 'p1', existing: 1, got: 2 })
    t.equal((await b.jobs.insert(newJob('j1-retry', { idempotencyKey: 'k' }), submitted)).created, false, 'idempotency keys survive too')
  })

  t.test('migrations: once each, however often it opens', async t => {
    const place = await makeStore(t)
    for (let i = 0; i < 3; i++) await (await place.open()).close()
    const recorded = await place.migrations()
    t.ok(Object.keys(recorded).length >= 2, 'the run-log and jobs histories')
    checkHistories(t, place, recorded)
  })

  t.test('three opens at once on a fresh place: all succeed, one schema', async t => {
    const place = await makeStore(t)
    const opened = await Promise.all(range(1, 3).map(async () => await place.open()))
    t.teardown(async () => { for (const b of opened) await b.close() })
    checkHistories(t, place, await place.migrations())
    await Promise.all(opened.map(async b => { await b.store.ping() }))
    const [a, b] = opened
    if (a === undefined || b === undefined) throw new Error('not opened')
    await seedRun(a.store, 'shared')
    t.equal((await b.store.getRun('shared'))?.id, 'shared', 'they share one database')
  })
}
