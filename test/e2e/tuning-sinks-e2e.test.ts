import t from 'tap'
import { seedProject, startGateway } from '../helper.js'
import { emulator as mlflowEmulator, remoteRuns } from './mlflow-helper.js'
import { until, wandbEmulator, wandbEnv } from './e2e-helper.js'

/**
 * A local search fanned out to MLflow and W&B: in MLflow the trials are nested runs of the
 * search's run (`mlflow.parentRunId`) in one experiment, with the sampled values as params as the
 * Python client writes them; in W&B they share the search's group with job_type "trial".
 */
t.test('trials are nested MLflow runs and one W&B group', async t => {
  const mlflow = await mlflowEmulator(t)
  const wandb = await wandbEmulator(t)
  const g = await startGateway(t, { env: { ...wandbEnv(wandb), MLFLOW_TRACKING_URI: mlflow.url }, build: { launch: { tuningIntervalMs: 100 } } })
  const p = await seedProject(g)
  const created = await g.call('POST', '/v1/tuning-jobs', {
    auth: p.keys.write,
    body: {
      name: 'nested',
      backend: 'local',
      job: { name: 'sim', model: 'SegResNet', experiment: 'nested-exp', hyperparameters: { epochs: 1, steps_per_epoch: 2, step_sleep: 0 }, sinks: ['mlflow', 'wandb'] },
      ranges: { lr: { type: 'continuous', min: 1e-4, max: 1e-2, scaling: 'log' }, amp: { type: 'categorical', values: [true, false] } },
      objective: { metric: 'val:dice', type: 'Maximize' },
      strategy: 'Random',
      maxJobs: 3,
      maxParallelJobs: 2,
      randomSeed: 3
    }
  })
  t.equal(created.status, 201, created.status === 201 ? 'created' : JSON.stringify(created.body))
  const id = created.body.id as string
  const done = await until(async () => {
    const r = await g.call('GET', `/v1/tuning-jobs/${id}`, { auth: p.keys.read })
    return r.body.status === 'COMPLETED' ? r.body : undefined
  }, 60000, 'search completed')
  const runIds = [done.runId as string, ...done.trials.map((x: any) => x.runId as string)]
  await until(async () => {
    for (const r of runIds) {
      const s = await g.call('GET', `/v1/runs/${r}/sinks`, { auth: p.keys.read })
      if (!(s.body as Array<{ lag: number }>).every(x => x.lag === 0)) return false
    }
    return true
  }, 30000, 'every run delivered to both sinks')

  const parent = remoteRuns(mlflow, done.runId)
  t.equal(parent.length, 1, 'one MLflow run for the search')
  const parentId = parent[0]?.runId
  for (const trial of done.trials) {
    const [child] = remoteRuns(mlflow, trial.runId)
    t.equal(child?.tags['mlflow.parentRunId'], parentId, `trial ${trial.index as number} is nested under the search`)
    t.equal(child?.experimentId, parent[0]?.experimentId, 'in the same experiment')
    t.equal(child?.params.amp, trial.hyperparameters.amp === true ? 'True' : 'False', 'a boolean param as str(value)')
    t.equal(Number(child?.params.lr), trial.hyperparameters.lr)
    const w = wandb.run(trial.runId)
    t.equal(w?.group, done.group, 'W&B: the search\'s group')
    t.equal(w?.jobType, 'trial')
    t.equal((w?.config.amp as { value: unknown }).value, trial.hyperparameters.amp, 'W&B config keeps the boolean')
  }
  const root = wandb.run(done.runId)
  t.equal(root?.group, done.group)
  t.equal(root?.jobType, 'tuning')
})
