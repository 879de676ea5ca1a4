import type { Test } from 'tap'
import type { NewTuningJob } from '../../../src/store/tuning-store.js'
import { fresh, range, seedProject, T0, type MakeStore } from './contract-fixtures.js'

export const newTuning = (id: string, over: Partial<NewTuningJob> = {}): NewTuningJob => ({
  id,
  projectId: 'p1',
  runId: `run-${id}`,
  backend: 'local',
  name: `search ${id}`,
  spec: { objective: { metric: 'val/dice', type: 'Maximize' }, ranges: [{ name: 'lr', min: 1e-5, max: 0.1, scale: 'log' }], maxJobs: 8 },
  sagemakerName: null,
  tokenHash: `tok-${id}`,
  idempotencyKey: null,
  requestHash: null,
  createdAt: T0,
  ...over
})

export function tuningContract (t: Test, makeStore: MakeStore): void {
  t.test('tuning jobs: insert, idempotency, list, active, update', async t => {
    const { store, tunings } = await fresh(t, makeStore)
    await seedProject(store)
    const first = await tunings.insert(newTuning('tj1', { idempotencyKey: 'k', requestHash: 'h', sagemakerName: 'hpo-1', backend: 'sagemaker' }))
    t.equal(first.created, true)
    t.strictSame(first.tuning, {
      ...newTuning('tj1', { idempotencyKey: 'k', requestHash: 'h', sagemakerName: 'hpo-1', backend: 'sagemaker' }),
      status: 'SUBMITTING',
      failureReason: null,
      sagemakerArn: null,
      counters: null,
      bestJobId: null,
      stopRequested: false,
      updatedAt: T0,
      endedAt: null
    }, 'every field, defaults included')
    t.strictSame(await tunings.get('tj1'), first.tuning)
    t.equal(await tunings.get('nope'), undefined)
    t.strictSame(await tunings.insert(newTuning('tj1-again', { idempotencyKey: 'k' })), { created: false, tuning: first.tuning }, 'the same key: the first one')
    await t.rejects(tunings.insert(newTuning('tj9', { sagemakerName: 'hpo-1' })), 'SageMaker names are unique')

    await tunings.insert(newTuning('tj2', { createdAt: T0 + 1 }))
    await tunings.insert(newTuning('tj3', { createdAt: T0 + 1 }))
    t.strictSame((await tunings.list('p1', { limit: 10 })).map(x => x.id), ['tj3', 'tj2', 'tj1'], 'newest first, then id desc')
    t.strictSame((await tunings.list('p1', { limit: 10, after: { createdAt: T0 + 1, id: 'tj3' } })).map(x => x.id), ['tj2', 'tj1'])
    t.strictSame((await tunings.list('p1', { limit: 1 })).map(x => x.id), ['tj3'])
    t.strictSame(await tunings.list('p2', { limit: 10 }), [])

    const counters = { completed: 2, inProgress: 1, retryableError: 0, nonRetryableError: 1, stopped: 0, objectiveSucceeded: 2, objectivePending: 1, objectiveFailed: 0 }
    const before = Date.now()
    const running = await tunings.update('tj2', { status: 'RUNNING', counters, bestJobId: 'j7', stopRequested: true, sagemakerArn: undefined })
    t.match(running, { status: 'RUNNING', bestJobId: 'j7', stopRequested: true, sagemakerArn: null })
    t.strictSame(running.counters, counters)
    t.ok(running.updatedAt >= before, 'updated now')
    t.strictSame(await tunings.get('tj2'), running, 'stored')
    const done = await tunings.update('tj2', { status: 'COMPLETED', endedAt: T0 + 99, counters: null, stopRequested: false, failureReason: 'none' })
    t.match(done, { status: 'COMPLETED', endedAt: T0 + 99, counters: null, stopRequested: false, failureReason: 'none' })
    t.strictSame((await tunings.active()).map(x => x.id).sort(), ['tj1', 'tj3'], 'not ended')
    await t.rejects(tunings.update('nope', { status: 'FAILED' }), /tuning job nope missing/)

    const racers = await Promise.all(range(1, 5).map(async i => await tunings.insert(newTuning(`race-${i}`, { idempotencyKey: 'same' }))))
    t.equal(racers.filter(r => r.created).length, 1, 'one tuning job per key, however many at once')
    t.equal(new Set(racers.map(r => r.tuning.id)).size, 1)
  })
}
