import type { Test } from 'tap'
import type { Store } from '../../../src/store/store.js'
import { bySinkAndRun, fresh, range, req, seedRun, T0, type MakeStore } from './contract-fixtures.js'

type Commit = Parameters<Store['commitDelivery']>[0]
const commit = (over: Partial<Commit> & Pick<Commit, 'sink' | 'runId' | 'deliveredSeq'>): Commit =>
  ({ state: null, wakeAt: null, deadLetters: [], replayed: [], now: T0 + 100, ...over })

async function fill (store: Store, runId: string, n: number, now = T0 + 1000): Promise<void> {
  await store.append(range(1, n).map(i => req(runId, `${runId}-${now}-${i}`, { now: now + i })))
}

export function deliveryContract (t: Test, makeStore: MakeStore): void {
  t.test('cursors: add once, list, for runs', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1', { sinks: ['mlflow'] })
    await seedRun(store, 'r2', { sinks: ['wandb'] })
    t.equal(await store.addCursor('r1', 'wandb', T0 + 5), true)
    t.equal(await store.addCursor('r1', 'wandb', T0 + 6), false, 'once per (sink, run)')
    const cursors = await store.listCursors('r1')
    t.strictSame(cursors.map(c => [c.sink, c.updatedAt]), [['mlflow', T0], ['wandb', T0 + 5]])
    const both = await store.cursorsForRuns(['r1', 'r2', 'nope'])
    t.strictSame(both.sort(bySinkAndRun).map(c => `${c.sink}/${c.runId}`), ['mlflow/r1', 'wandb/r1', 'wandb/r2'])
    t.strictSame(await store.cursorsForRuns([]), [])
  })

  t.test('commitDelivery, recordFailure, resumeCursor', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1', { sinks: ['mlflow'] })
    await fill(store, 'r1', 3)
    const state = { remoteRunId: 'abc', offsets: { 'events.out': 1024 }, lines: [1, 2], ok: true }
    await store.commitDelivery(commit({ sink: 'mlflow', runId: 'r1', deliveredSeq: 2, state, wakeAt: T0 + 900, now: T0 + 200 }))
    t.strictSame((await store.listCursors('r1'))[0], {
      sink: 'mlflow', runId: 'r1', deliveredSeq: 2, headSeq: 3, state, status: 'healthy', attempts: 0, nextAttemptAt: 0, wakeAt: T0 + 900, lastError: null, lastErrorCode: null, updatedAt: T0 + 200
    }, 'the cursor moved, its state as given')

    await store.recordFailure('mlflow', 'r1', { attempts: 3, nextAttemptAt: T0 + 5000, status: 'degraded', code: 'TG_SINK_UNAVAILABLE', message: '503 from mlflow' }, T0 + 300)
    t.match((await store.listCursors('r1'))[0], {
      deliveredSeq: 2, status: 'degraded', attempts: 3, nextAttemptAt: T0 + 5000, lastError: '503 from mlflow', lastErrorCode: 'TG_SINK_UNAVAILABLE', updatedAt: T0 + 300, state
    }, 'retry state recorded, position kept')

    t.equal(await store.resumeCursor('mlflow', 'r1', T0 + 400), true)
    t.equal(await store.resumeCursor('mlflow', 'nope', T0 + 400), false, 'no such cursor')
    t.match((await store.listCursors('r1'))[0], { status: 'healthy', attempts: 0, nextAttemptAt: 0, updatedAt: T0 + 400, lastErrorCode: 'TG_SINK_UNAVAILABLE' })

    await store.recordFailure('mlflow', 'r1', { attempts: 1, nextAttemptAt: T0 + 9000, status: 'paused', code: 'TG_SINK_AUTH', message: '401' }, T0 + 500)
    await store.commitDelivery(commit({ sink: 'mlflow', runId: 'r1', deliveredSeq: 3, state: undefined, now: T0 + 600 }))
    t.match((await store.listCursors('r1'))[0], {
      deliveredSeq: 3, state: null, status: 'healthy', attempts: 0, nextAttemptAt: 0, wakeAt: null, lastError: null, lastErrorCode: null
    }, 'a success clears the error; no state is null')
  })

  t.test('cursorsDue: behind the head, woken, or with a replay; never paused or backing off', async t => {
    const { store } = await fresh(t, makeStore)
    const now = T0 + 10_000
    for (const id of ['behind', 'done', 'woken', 'sleeping', 'paused', 'backoff', 'replay']) await seedRun(store, id, { sinks: ['mlflow'] })
    for (const id of ['behind', 'done', 'woken', 'sleeping', 'paused', 'backoff']) await fill(store, id, 2)
    const at = async (runId: string, nextAttemptAt: number): Promise<void> =>
      await store.recordFailure('mlflow', runId, { attempts: 1, nextAttemptAt, status: 'degraded', code: 'X', message: 'x' }, T0)
    await at('behind', now - 5)
    await store.commitDelivery(commit({ sink: 'mlflow', runId: 'done', deliveredSeq: 2 }))
    await store.commitDelivery(commit({ sink: 'mlflow', runId: 'woken', deliveredSeq: 2, wakeAt: now }))
    await store.commitDelivery(commit({ sink: 'mlflow', runId: 'sleeping', deliveredSeq: 2, wakeAt: now + 1 }))
    await store.recordFailure('mlflow', 'paused', { attempts: 1, nextAttemptAt: 0, status: 'paused', code: 'TG_SINK_AUTH', message: '401' }, T0)
    await at('backoff', now + 1)
    await store.commitDelivery(commit({ sink: 'mlflow', runId: 'replay', deliveredSeq: 0, deadLetters: [{ seq: 1, idx: 0, record: { k: 1 }, code: 'TG_SINK_REJECTED', message: 'bad' }] }))
    t.strictSame((await store.cursorsDue(now, 10)).map(c => c.runId).sort(), ['behind', 'woken'], 'a dead letter alone does not make a partition due')
    t.strictSame(await store.cursorsDue(now - 6, 10), [], 'nothing due before its time')

    const [dl] = await store.listDeadLetters('p1', { runId: 'replay', limit: 10 })
    await store.replayDeadLetter(dl?.id ?? -1, T0 + 5)
    const due = await store.cursorsDue(now, 10)
    t.strictSame(due.map(c => c.runId).sort(), ['behind', 'replay', 'woken'], 'a replay does')
    const [first] = due
    t.equal(first?.nextAttemptAt, 0, 'the least recent attempt first')
    t.ok(due.every((c, i) => i === 0 || c.nextAttemptAt >= (due[i - 1]?.nextAttemptAt ?? 0)), 'ordered by next attempt')
    t.equal((await store.cursorsDue(now, 1)).length, 1, 'limited')
    t.strictSame(due.find(c => c.runId === 'behind'), (await store.listCursors('behind'))[0], 'whole cursors, with the run\'s head')
  })

  t.test('sinkStats and backlog', async t => {
    const { store } = await fresh(t, makeStore)
    t.strictSame(await store.sinkStats(), [])
    t.strictSame(await store.backlog(), { entries: 0, partitions: 0, oldestUndeliveredAt: null }, 'empty')
    await seedRun(store, 'r1', { sinks: ['mlflow', 'wandb'] })
    await seedRun(store, 'r2', { sinks: ['mlflow', 'wandb'] })
    await seedRun(store, 'r3', { sinks: ['mlflow'] })
    await fill(store, 'r1', 4, T0 + 1000)
    await fill(store, 'r2', 2, T0 + 2000)
    await store.commitDelivery(commit({ sink: 'mlflow', runId: 'r1', deliveredSeq: 1 }))
    await store.commitDelivery(commit({ sink: 'mlflow', runId: 'r2', deliveredSeq: 2, deadLetters: [{ seq: 2, idx: 0, record: {}, code: 'C', message: 'm' }] }))
    await store.recordFailure('wandb', 'r1', { attempts: 2, nextAttemptAt: T0, status: 'degraded', code: 'X', message: 'x' }, T0)
    await store.recordFailure('wandb', 'r2', { attempts: 1, nextAttemptAt: T0, status: 'paused', code: 'TG_SINK_AUTH', message: '401' }, T0)
    const stats = (await store.sinkStats()).sort((a, b) => a.sink < b.sink ? -1 : 1)
    t.strictSame(stats, [
      { sink: 'mlflow', partitions: { healthy: 3, degraded: 0, paused: 0 }, backlogEntries: 3, oldestUndeliveredAt: T0 + 1002, deadLetters: 1 },
      { sink: 'wandb', partitions: { healthy: 0, degraded: 1, paused: 1 }, backlogEntries: 6, oldestUndeliveredAt: T0 + 1001, deadLetters: 0 }
    ], 'per sink: partitions by state, entries behind (paused included), the oldest undelivered entry')
    t.strictSame(await store.backlog(), { entries: 7, partitions: 2, oldestUndeliveredAt: T0 + 1001 }, 'paused partitions are not backlog')
  })
}
