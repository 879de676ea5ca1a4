import type { Test } from 'tap'
import type { JobEvent, NewJob } from '../../../src/store/job-store.js'
import { fresh, range, seedProject, T0, type MakeStore } from './contract-fixtures.js'

export const newJob = (id: string, over: Partial<NewJob> = {}): NewJob => ({
  id,
  projectId: 'p1',
  runId: `run-${id}`,
  backend: 'sagemaker',
  name: `job ${id}`,
  spec: { image: 'trainer:1', args: ['--epochs', 2], env: { A: '[redacted]' }, nested: { b: 1, a: [true, null] } },
  sagemakerJobName: `sm-${id}`,
  region: 'eu-west-1',
  idempotencyKey: null,
  requestHash: null,
  createdAt: T0,
  ...over
})

export const submitted: Omit<JobEvent, 'id' | 'jobId'> = { at: T0, status: 'SUBMITTING', secondaryStatus: null, message: 'accepted', source: 'api' }

export function jobsContract (t: Test, makeStore: MakeStore): void {
  t.test('jobs: insert, read, list, active', async t => {
    const { store, jobs } = await fresh(t, makeStore)
    await seedProject(store, 'p1')
    await seedProject(store, 'p2')
    const created = await jobs.insert(newJob('j1', { idempotencyKey: 'k1', requestHash: 'h1' }), submitted)
    t.equal(created.created, true)
    t.strictSame(created.job, {
      ...newJob('j1', { idempotencyKey: 'k1', requestHash: 'h1' }),
      status: 'SUBMITTING',
      secondaryStatus: null,
      failureReason: null,
      sagemakerJobArn: null,
      billableSeconds: null,
      trainingSeconds: null,
      cost: null,
      finalMetrics: [],
      pid: null,
      pidStart: null,
      exitCode: null,
      logPath: null,
      stopRequested: false,
      stateKey: null,
      lastModifiedAt: null,
      updatedAt: T0,
      startedAt: null,
      endedAt: null,
      lastEventAt: null,
      tuningJobId: null,
      trialIndex: null,
      hyperparameters: null,
      objective: null
    }, 'every field, defaults included')
    t.strictSame(await jobs.get('j1'), created.job)
    t.strictSame(await jobs.getBySageMakerName('sm-j1'), created.job)
    t.equal(await jobs.get('nope'), undefined)
    t.equal(await jobs.getBySageMakerName('nope'), undefined)
    t.strictSame((await jobs.events('j1')).map(e => ({ ...e, id: 0 })), [{ ...submitted, id: 0, jobId: 'j1' }], 'the first event')

    const retry = await jobs.insert(newJob('j1-retry', { idempotencyKey: 'k1' }), submitted)
    t.strictSame(retry, { created: false, job: created.job }, 'the same idempotency key: the first job')
    t.equal((await jobs.insert(newJob('j2', { idempotencyKey: 'k1', projectId: 'p2', sagemakerJobName: null }), submitted)).created, true, 'keys are per project')
    await t.rejects(jobs.insert(newJob('j3', { sagemakerJobName: 'sm-j1' }), submitted), 'SageMaker names are unique')

    await jobs.insert(newJob('j4', { backend: 'local', sagemakerJobName: null, createdAt: T0 + 2 }), submitted)
    await jobs.insert(newJob('j5', { backend: 'local', sagemakerJobName: null, createdAt: T0 + 2, runId: 'run-x' }), submitted)
    await jobs.insert(newJob('j6', { backend: 'local', sagemakerJobName: null, createdAt: T0 + 3 }), submitted)
    await jobs.update('j6', { status: 'COMPLETED' })
    const ids = async (f: Parameters<typeof jobs.list>[1], p = 'p1'): Promise<string[]> => (await jobs.list(p, f)).map(j => j.id)
    t.strictSame(await ids({ limit: 10 }), ['j6', 'j5', 'j4', 'j1'], 'newest first, then id desc')
    t.strictSame(await ids({ limit: 10, after: { createdAt: T0 + 2, id: 'j5' } }), ['j4', 'j1'])
    t.strictSame(await ids({ limit: 10, backend: 'local', status: 'SUBMITTING' }), ['j5', 'j4'])
    t.strictSame(await ids({ limit: 10, runId: 'run-x' }), ['j5'])
    t.strictSame(await ids({ limit: 1 }), ['j6'])
    t.strictSame(await ids({ limit: 10 }, 'p2'), ['j2'])
    t.strictSame((await jobs.active('local')).map(j => j.id).sort(), ['j4', 'j5'], 'not terminal')
    t.strictSame((await jobs.active('sagemaker')).map(j => j.id).sort(), ['j1', 'j2'])
  })

  t.test('jobs: update patches fields and records status changes', async t => {
    const { store, jobs } = await fresh(t, makeStore)
    await seedProject(store)
    await jobs.insert(newJob('j1'), submitted)
    const cost = { currency: 'USD' as const, pricePerInstanceHour: 1.5, instanceCount: 2, cost: 0.25, onDemandCost: 0.5, savings: 0.25, savingsPercent: 50 }
    const res = await jobs.update('j1', {
      status: 'RUNNING',
      secondaryStatus: 'Training',
      sagemakerJobArn: 'arn:x',
      cost,
      finalMetrics: [{ name: 'dice', value: 0.875 }],
      stopRequested: true,
      objective: 0.123456789012,
      pid: 4242,
      pidStart: '12345',
      lastModifiedAt: T0 + 5,
      startedAt: T0 + 5,
      billableSeconds: 3_000_000_000,
      hyperparameters: { lr: 0.1, layers: [1, 2] },
      failureReason: undefined
    }, { at: T0 + 10, message: 'started', source: 'poll' })
    t.match(res.job, {
      status: 'RUNNING',
      secondaryStatus: 'Training',
      sagemakerJobArn: 'arn:x',
      stopRequested: true,
      objective: 0.123456789012,
      pid: 4242,
      pidStart: '12345',
      startedAt: T0 + 5,
      updatedAt: T0 + 10,
      billableSeconds: 3_000_000_000,
      failureReason: null
    })
    t.strictSame(res.job.cost, cost)
    t.strictSame(res.job.finalMetrics, [{ name: 'dice', value: 0.875 }])
    t.strictSame(res.job.hyperparameters, { lr: 0.1, layers: [1, 2] })
    t.strictSame(res.event && { ...res.event, id: 0 }, { id: 0, jobId: 'j1', at: T0 + 10, status: 'RUNNING', secondaryStatus: 'Training', message: 'started', source: 'poll' })
    t.strictSame(await jobs.get('j1'), res.job, 'stored')

    const quiet = await jobs.update('j1', { logPath: '/tmp/log', cost: null, stopRequested: false }, { at: T0 + 20, message: null, source: 'poll' })
    t.equal(quiet.event, null, 'no status change, no event')
    t.match(quiet.job, { logPath: '/tmp/log', cost: null, stopRequested: false, updatedAt: T0 + 20, status: 'RUNNING' })
    const ended = await jobs.update('j1', { status: 'FAILED', exitCode: 3 })
    t.match(ended.event, { status: 'FAILED', secondaryStatus: 'Training', message: null, source: 'unknown' }, 'an event without a caller\'s: source unknown')
    const evs = await jobs.events('j1')
    t.strictSame(evs.map(e => e.status), ['SUBMITTING', 'RUNNING', 'FAILED'], 'in order')
    t.strictSame((await jobs.events('j1', evs[0]?.id)).map(e => e.status), ['RUNNING', 'FAILED'], 'after an id')
    await t.rejects(jobs.update('nope', { status: 'FAILED' }), /job nope missing/)
  })

  t.test('jobs: trials once per (tuning job, index), and one job per idempotency key at once', async t => {
    const { store, jobs } = await fresh(t, makeStore)
    await seedProject(store)
    const trial = (i: number, id: string) => newJob(id, { sagemakerJobName: null, trial: { tuningJobId: 'tj1', index: i, hyperparameters: { lr: i / 10, opt: 'adam', deep: { n: i } } } })
    await jobs.insert(trial(2, 't2'), submitted)
    await jobs.insert(trial(1, 't1'), submitted)
    const again = await jobs.insert(trial(1, 't1-other'), submitted)
    t.equal(again.created, false)
    t.equal(again.job.id, 't1', 'whoever saw it first')
    const trials = await jobs.trials('tj1')
    t.strictSame(trials.map(j => [j.id, j.trialIndex, j.tuningJobId]), [['t1', 1, 'tj1'], ['t2', 2, 'tj1']], 'by index')
    t.strictSame(trials[0]?.hyperparameters, { lr: 0.1, opt: 'adam', deep: { n: 1 } })
    t.strictSame(await jobs.trials('nope'), [])

    const racers = await Promise.all(range(1, 5).map(async i => await jobs.insert(newJob(`race-${i}`, { sagemakerJobName: null, idempotencyKey: 'same' }), submitted)))
    t.equal(racers.filter(r => r.created).length, 1, 'one created')
    t.equal(new Set(racers.map(r => r.job.id)).size, 1, 'all answered with it')
    const trialRace = await Promise.all(range(1, 4).map(async i => await jobs.insert(trial(7, `seven-${i}`), submitted)))
    t.equal(trialRace.filter(r => r.created).length, 1, 'one trial 7')
    t.equal((await jobs.trials('tj1')).length, 3)
  })
}
