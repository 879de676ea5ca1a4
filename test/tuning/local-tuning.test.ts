import t from 'tap'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { eventually, seedProject, startGateway } from '../helper.js'
import { readSse } from '../launch/jobs-helper.js'
import { freePort } from '../crash/child.js'
import { readEventFile, decodeHparamsPluginData } from '../../src/codecs/tfevents/index.js'

const body = (over: Record<string, unknown> = {}) => ({
  name: 'hpo',
  backend: 'local',
  job: { name: 'sim', model: 'SegResNet', experiment: 'hpo-exp', hyperparameters: { epochs: 2, steps_per_epoch: 3, step_sleep: 0 } },
  ranges: {
    lr: { type: 'continuous', min: 1e-5, max: 1e-2, scaling: 'log' },
    batch_size: { type: 'integer', min: 1, max: 8 },
    model: { type: 'categorical', values: ['UNet', 'SegResNet'] }
  },
  objective: { metric: 'val:dice', type: 'Maximize' },
  strategy: 'Bayesian',
  maxJobs: 5,
  maxParallelJobs: 2,
  randomSeed: 7,
  ...over
})

t.test('a local Bayesian search: every trial a run under the search run, typed params, objective from the run, best trial, HParams per trial', async t => {
  const g = await startGateway(t, { build: { launch: { tuningIntervalMs: 100 } } })
  const p = await seedProject(g)
  const created = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: body(), headers: { 'idempotency-key': 'hpo-1' } })
  t.equal(created.status, 201, created.status === 201 ? 'created' : JSON.stringify(created.body))
  t.match(created.body, { name: 'hpo', backend: 'local', status: 'RUNNING', strategy: 'Bayesian', maxJobs: 5, maxParallelJobs: 2, sagemaker: null })
  const again = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: body(), headers: { 'idempotency-key': 'hpo-1' } })
  t.equal(again.body.id, created.body.id, 'a retried create answers the same search')
  const sse = readSse(`${g.url}/v1/tuning-jobs/${created.body.id as string}/events`, p.keys.read, 60000)

  const done = await eventually(async () => {
    const r = await g.call('GET', `/v1/tuning-jobs/${created.body.id as string}`, { auth: p.keys.read })
    return r.body.status === 'COMPLETED' ? r.body : undefined
  }, 60000, 'the search to complete')
  t.equal(done.trials.length, 5, 'maxJobs trials')
  t.same(done.trials.map((x: any) => x.index), [1, 2, 3, 4, 5])
  t.ok(done.trials.every((x: any) => x.status === 'COMPLETED' && typeof x.objective === 'number'), 'every trial completed with an objective')
  const bestValue = Math.max(...done.trials.map((x: any) => x.objective))
  t.equal(done.best.objective, bestValue, 'the best trial has the highest objective')
  t.match(done.counters, { completed: 5, inProgress: 0, objectiveSucceeded: 5 })

  for (const trial of done.trials) {
    t.ok(trial.hyperparameters.lr >= 1e-5 && trial.hyperparameters.lr <= 1e-2, 'lr within its range')
    t.ok(Number.isInteger(trial.hyperparameters.batch_size))
    const run = await g.call('GET', `/v1/runs/${trial.runId as string}`, { auth: p.keys.read })
    t.equal(run.body.parentRunId, done.runId, 'the trial run\'s parent is the search run')
    t.equal(run.body.group, done.group)
    t.equal(run.body.params.lr, trial.hyperparameters.lr, 'the sampled value is the run param, typed')
    t.equal(run.body.params.model, trial.hyperparameters.model)
    const summary = await g.call('GET', `/v1/runs/${trial.runId as string}/summary`, { auth: p.keys.read })
    t.equal(summary.body.metrics.val_dice.value, trial.objective, 'objective = the trial run\'s last val_dice')
  }
  const parent = await g.call('GET', `/v1/runs/${done.runId as string}/summary`, { auth: p.keys.read })
  t.equal(parent.body.status, 'FINISHED', 'the search run ended with the search')
  t.equal(parent.body.metrics.best_val_dice.value, bestValue, 'the search run shows the best objective so far')

  const events = await sse
  const kinds = events.map(e => e.event)
  t.equal(kinds.filter(k => k === 'trial-started').length, 5)
  t.equal(kinds.filter(k => k === 'trial-ended').length, 5)
  t.ok(kinds.includes('best'))
  t.equal(kinds.at(-1), 'end')

  // TensorBoard: one directory per trial under the search's, each an HParams session; the search's
  // own file says which hparams and which metric the dashboard compares.
  await eventually(async () => {
    const s = await g.call('GET', `/v1/runs/${done.runId as string}/sinks`, { auth: p.keys.read })
    return s.body[0]?.lag === 0
  }, 20000, 'the search run delivered')
  const groupDir = join(g.config.tensorboardDir, p.id, 'hpo-exp', done.group)
  const entries = readdirSync(groupDir, { withFileTypes: true })
  t.equal(entries.filter(e => e.isDirectory()).length, 5, 'a directory per trial')
  const rootFile = entries.find(e => e.isFile())
  const root = await readEventFile(join(groupDir, rootFile?.name ?? ''))
  const experiment = root.events.flatMap(e => e.summary ?? []).filter(v => v.pluginName === 'hparams').map(v => decodeHparamsPluginData(v.pluginContent as Uint8Array))[0]
  t.same(experiment?.experiment?.hparamInfos.map(h => h.name).sort(), ['batch_size', 'lr', 'model'])
  t.same(experiment?.experiment?.metricInfos.map(m => m.tag), ['val_dice'], 'the objective is the metric')
})

t.test('tuning requests are validated before anything runs: one clear 400 per problem', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ objective: { metric: 'val:accuracy', type: 'Maximize' } }, /objective\.metric: objective metric "val:accuracy" is not one of the job's metric definitions \(epoch, train:loss, .*val:dice\): add it to job\.metricDefinitions/],
    [{ ranges: { lr: { type: 'continuous', min: 0.1, max: 0.01 } } }, /ranges\.lr: .*min/],
    [{ ranges: { lr: { type: 'continuous', min: 0, max: 0.01, scaling: 'log' } } }, /ranges\.lr: .*log/i],
    [{ ranges: { strategy: { type: 'categorical', values: ['ddp'] } } }, /ranges\.strategy: .*reserved/],
    [{ ranges: { epochs: { type: 'integer', min: 1, max: 3 } } }, /ranges\.epochs: .*static hyperparameter/],
    [{ strategy: 'Grid' }, /ranges\.lr: .*[Gg]rid/],
    [{ strategy: 'Hyperband' }, /strategy: Hyperband runs on SageMaker only/],
    [{ job: { name: 'sim', model: 'SegResNet', keepAliveSeconds: 60 } }, /job\.keepAliveSeconds: tuning jobs do not keep warm pools/],
    [{ maxJobs: 2, maxParallelJobs: 3 }, /maxParallelJobs \(3\) is more than maxJobs \(2\)/],
    [{ ranges: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`p${i}`, { type: 'integer', min: 0, max: 1 }])) }, /30/]
  ]
  for (const [over, message] of cases) {
    const r = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: body(over) })
    t.equal(r.status, 400, JSON.stringify(over).slice(0, 80))
    t.equal(r.body.code, 'TG_INVALID_TUNING_JOB')
    t.match(r.body.message, message)
  }
  const schema = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: body({ ranges: { lr: { type: 'gaussian' } } }) })
  t.equal(schema.status, 400)
  t.equal(schema.body.code, 'TG_VALIDATION')
  t.same((await g.call('GET', '/v1/tuning-jobs', { auth: p.keys.read })).body.items, [], 'nothing was recorded')
})

t.test('early stopping Auto stops a trial worse than the median; stop and restart keep the search one story', async t => {
  const g = await startGateway(t, { build: { launch: { tuningIntervalMs: 50 } } })
  const p = await seedProject(g)
  const created = await g.call('POST', '/v1/tuning-jobs', {
    auth: p.keys.write,
    body: body({
      // Long enough trials that the client's 1 s flushes reach the gateway while a trial runs.
      job: { name: 'sim', model: 'SegResNet', experiment: 'es', hyperparameters: { epochs: 12, steps_per_epoch: 1, step_sleep: 0.25 } },
      ranges: { lr: { type: 'categorical', values: [0.0005, 0.0004, 0.0006, 0.000001] } },
      strategy: 'Grid',
      maxJobs: 4,
      maxParallelJobs: 1,
      earlyStopping: 'Auto'
    })
  })
  t.equal(created.status, 201, created.status === 201 ? 'created' : JSON.stringify(created.body))
  const done = await eventually(async () => {
    const r = await g.call('GET', `/v1/tuning-jobs/${created.body.id as string}`, { auth: p.keys.read })
    return r.body.status === 'COMPLETED' ? r.body : undefined
  }, 60000, 'the search completed')
  const bad = done.trials.find((x: any) => x.hyperparameters.lr === 0.000001)
  t.equal(bad.status, 'STOPPED', 'the trial far from the optimum was stopped early')
  t.ok(done.trials.filter((x: any) => x.status === 'COMPLETED').length === 3, 'the three good ones ran to the end')
  t.type(bad.objective, 'number', 'a stopped trial keeps the objective it reached')
  t.not(done.best.jobId, bad.jobId)
})

t.test('stop: running trials stop, the search ends STOPPED; a gateway restart resumes a search where it was', async t => {
  // One port for both gateways: the trial running across the restart calls back the same URL.
  const port = await freePort()
  const g = await startGateway(t, { port, build: { launch: { tuningIntervalMs: 50 } } })
  const p = await seedProject(g)
  const slow = body({ job: { name: 'sim', model: 'SegResNet', experiment: 'stop', hyperparameters: { epochs: 50, steps_per_epoch: 5, step_sleep: 0.05 } }, maxJobs: 4, maxParallelJobs: 2 })
  const a = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: slow })
  await eventually(async () => (await g.call('GET', `/v1/tuning-jobs/${a.body.id as string}`, { auth: p.keys.read })).body.trials.filter((x: any) => x.status === 'RUNNING').length === 2, 20000, 'two trials running')
  t.equal((await g.call('POST', `/v1/tuning-jobs/${a.body.id as string}/stop`, { auth: p.keys.write })).status, 200)
  const stopped = await eventually(async () => {
    const r = await g.call('GET', `/v1/tuning-jobs/${a.body.id as string}`, { auth: p.keys.read })
    return r.body.status === 'STOPPED' ? r.body : undefined
  }, 30000, 'the search stopped')
  t.equal(stopped.trials.length, 2, 'no trial launched after the stop')
  t.ok(stopped.trials.every((x: any) => x.status === 'STOPPED'))
  t.equal((await g.call('GET', `/v1/runs/${stopped.runId as string}`, { auth: p.keys.read })).body.status, 'KILLED')

  const quick = body({ job: { name: 'sim', model: 'SegResNet', experiment: 'restart', hyperparameters: { epochs: 2, steps_per_epoch: 3, step_sleep: 0.05 } }, maxJobs: 4, maxParallelJobs: 1 })
  const b = await g.call('POST', '/v1/tuning-jobs', { auth: p.keys.write, body: quick })
  await eventually(async () => (await g.call('GET', `/v1/tuning-jobs/${b.body.id as string}`, { auth: p.keys.read })).body.trials.length >= 2, 30000, 'a second trial')
  await g.app.close()
  const g2 = await startGateway(t, { dataDir: g.dataDir, port, build: { launch: { tuningIntervalMs: 50 } } })
  const done = await eventually(async () => {
    const r = await g2.call('GET', `/v1/tuning-jobs/${b.body.id as string}`, { auth: p.keys.read })
    return r.body.status === 'COMPLETED' ? r.body : undefined
  }, 60000, 'the search completed after the restart')
  t.same(done.trials.map((x: any) => x.index), [1, 2, 3, 4], 'every trial index once')
  t.ok(done.trials.every((x: any) => x.status === 'COMPLETED' && x.objective !== null), JSON.stringify(done.trials.map((x: any) => [x.index, x.status, x.objective])))
})
