import type { Test } from 'tap'
import type { ParamValue } from '../../../src/domain/param-value.js'
import { fresh, newRun, seedProject, seedRun, T0, type MakeStore } from './contract-fixtures.js'

/** Params of every JSON type, as users' tools send them (types must come back as they went in). */
export const TYPED_PARAMS: Record<string, ParamValue> = {
  lr: 0.0003,
  epochs: 10,
  amp: true,
  seed: null,
  roi: [96, 96, 96],
  optimizer: { name: 'adamw', betas: [0.9, 0.999], nested: { z: 1, a: '2' } },
  version: '1',
  empty: ''
}

export function runsContract (t: Test, makeStore: MakeStore): void {
  t.test('createRun: the run, its cursors and its first entry (params and tags)', async t => {
    const { store } = await fresh(t, makeStore)
    await seedProject(store)
    const run = await store.createRun(newRun('p1', 'r1', {
      tags: { team: 'seg', site: 'a' }, params: TYPED_PARAMS, sinks: ['tensorboard', 'mlflow'], jobName: 'job-1', parentRunId: 'r0', group: 'hpo-1'
    }))
    t.strictSame(run, {
      id: 'r1',
      projectId: 'p1',
      name: 'run r1',
      experiment: 'seg',
      status: 'RUNNING',
      tags: { team: 'seg', site: 'a' },
      jobName: 'job-1',
      parentRunId: 'r0',
      group: 'hpo-1',
      headSeq: 1,
      createdAt: T0,
      endedAt: null,
      tokenHash: 'token-r1'
    })
    t.strictSame(await store.getRun('r1'), run, 'read back the same')
    t.strictSame(await store.getParams('r1'), TYPED_PARAMS, 'typed params, types kept')
    t.strictSame(await store.getTags('r1'), { team: 'seg', site: 'a' })
    t.strictSame(await store.readEntries('r1', 0, 10), [{ seq: 1, body: { t: 'batch', p: TYPED_PARAMS, g: { team: 'seg', site: 'a' } }, createdAt: T0 }])
    const cursors = await store.listCursors('r1')
    t.strictSame(cursors.map(c => c.sink), ['mlflow', 'tensorboard'], 'one cursor per sink, by sink')
    t.strictSame(cursors[0], {
      sink: 'mlflow', runId: 'r1', deliveredSeq: 0, headSeq: 1, state: null, status: 'healthy', attempts: 0, nextAttemptAt: 0, wakeAt: null, lastError: null, lastErrorCode: null, updatedAt: T0
    })

    const bare = await store.createRun(newRun('p1', 'r2', { sinks: [] }))
    t.equal(bare.headSeq, 0, 'no params, no tags: no entry')
    t.equal(bare.parentRunId, null)
    t.equal(bare.group, null)
    t.strictSame(await store.readEntries('r2', 0, 10), [])
    t.strictSame(await store.listCursors('r2'), [])
    t.strictSame(await store.getParams('r2'), {})
    t.equal(await store.getRun('nope'), undefined)
    t.strictSame(await store.getTags('nope'), {}, 'tags of an unknown run: none')
    await t.rejects(store.createRun(newRun('p1', 'r1')), 'run ids are unique')
    t.equal((await store.getRun('r1'))?.headSeq, 1, 'a refused create changes nothing')
  })

  t.test('listRuns: newest first, filtered, paged by (createdAt, id)', async t => {
    const { store } = await fresh(t, makeStore)
    await seedProject(store, 'p1')
    await seedProject(store, 'p2')
    await store.createRun(newRun('p1', 'a', { createdAt: T0 + 1 }))
    await store.createRun(newRun('p1', 'b', { createdAt: T0 + 2, experiment: 'cls' }))
    await store.createRun(newRun('p1', 'c', { createdAt: T0 + 2 }))
    await store.createRun(newRun('p1', 'd', { createdAt: T0 + 3 }))
    await store.createRun(newRun('p2', 'e', { createdAt: T0 + 9 }))
    await store.finishRun('d', 'FAILED', T0 + 10)
    const ids = async (f: Parameters<typeof store.listRuns>[1], p = 'p1'): Promise<string[]> => (await store.listRuns(p, f)).map(r => r.id)
    t.strictSame(await ids({ limit: 10 }), ['d', 'c', 'b', 'a'], 'created_at desc, then id desc; the project\'s runs only')
    t.strictSame(await ids({ limit: 2 }), ['d', 'c'])
    t.strictSame(await ids({ limit: 10, after: { createdAt: T0 + 2, id: 'c' } }), ['b', 'a'], 'after a page')
    t.strictSame(await ids({ limit: 10, status: 'RUNNING' }), ['c', 'b', 'a'])
    t.strictSame(await ids({ limit: 10, status: 'FAILED' }), ['d'])
    t.strictSame(await ids({ limit: 10, experiment: 'cls' }), ['b'])
    t.strictSame(await ids({ limit: 10, experiment: 'seg', status: 'RUNNING', after: { createdAt: T0 + 2, id: 'c' } }), ['a'])
    t.strictSame(await ids({ limit: 10 }, 'p2'), ['e'])
    t.strictSame(await ids({ limit: 10 }, 'nope'), [])
    const [d] = await store.listRuns('p1', { limit: 1 })
    t.strictSame(d, await store.getRun('d'), 'whole runs')
  })

  t.test('finishRun: a status entry once; tags, token', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1', { tags: { a: '1' } })
    const first = await store.finishRun('r1', 'FINISHED', T0 + 50)
    t.equal(first.changed, true)
    t.equal(first.run.status, 'FINISHED')
    t.equal(first.run.endedAt, T0 + 50)
    t.equal(first.run.headSeq, 2)
    t.strictSame(await store.readEntries('r1', 1, 10), [{ seq: 2, body: { t: 'status', s: 'FINISHED', ts: T0 + 50 }, createdAt: T0 + 50 }])
    const again = await store.finishRun('r1', 'KILLED', T0 + 60)
    t.equal(again.changed, false, 'an ended run stays as it ended')
    t.strictSame(again.run, first.run)
    await t.rejects(store.finishRun('nope', 'FAILED', T0), /run missing/)

    await store.mergeRunTags('r1', { b: '2', a: '3' })
    t.strictSame(await store.getTags('r1'), { a: '3', b: '2' }, 'merged: new keys added, existing ones replaced')
    await store.mergeRunTags('r1', {})
    t.strictSame(await store.getTags('r1'), { a: '3', b: '2' })
    t.equal((await store.getRun('r1'))?.headSeq, 2, 'gateway tags are not run-log entries')
    await t.resolves(store.mergeRunTags('nope', { x: '1' }), 'an unknown run: nothing to merge')

    await store.setRunToken('r1', 'token-new')
    t.equal((await store.getRun('r1'))?.tokenHash, 'token-new')
  })
}
