import t from 'tap'
import { readScalars } from '../../src/codecs/tfevents/index.js'
import { pgTestDatabase } from '../pg-database.js'
import { ADMIN_KEY, tempDir } from '../helper.js'
import { freePort, GatewayProcess, seedProjectOn } from '../crash/child.js'
import { startSageMakerEmulator } from '../emulators/sagemaker/index.js'
import { allDrained, FAST, postLog, rowProblems, steps, until, waitSinks, wandbEmulator, wandbEnv, type Answer, type Call } from '../e2e/e2e-helper.js'
import { emulator as mlflowEmulator, remoteRuns } from '../e2e/mlflow-helper.js'
import { AWS_TEST_CREDENTIALS, ROLE, smSpec } from '../launch/jobs-helper.js'

/**
 * Issue "Several gateway replicas on PostgreSQL", fault test: three replicas (real processes) on
 * one database, callbacks through all three, a random replica SIGKILLed at 20 moments spread
 * over the load (each restarted), and then: every acknowledged point exactly once in each sink's
 * emulator (TensorBoard files, MLflow, W&B), in step order per run, and a SageMaker job tracked to
 * its end. Kill moments follow the acknowledged count (a condition), not a clock.
 */
// Three processes starting 23 times in all: longer than tap's per-file default on a busy 2-core box.
t.setTimeout(600_000)
const db = await pgTestDatabase(t)

const RUNS = 6
const BATCHES = 24
const STEPS_PER_BATCH = 4
const KILLS = 20

// A seeded random source, so a failure can be replayed with the seed it prints.
const seed = Number(process.env.TG_FAULT_SEED ?? Date.now() % 100000)
let state = seed
const random = (): number => { state = (state * 1103515245 + 12345) % 2 ** 31; return state / 2 ** 31 }

if (db !== undefined) {
  t.test(`3 replicas, ${KILLS} SIGKILLs under load: every acked point once in every sink, jobs tracked to the end (seed ${seed})`, { timeout: 600_000 }, async t => {
    const url = await db.schemaUrl()
    const mlflow = await mlflowEmulator(t)
    const wandb = await wandbEmulator(t)
    const sm = await startSageMakerEmulator({ timings: { startingMs: 200, downloadingMs: 200, trainingMs: 12_000, uploadingMs: 200, stoppingMs: 60 }, container: undefined })
    t.teardown(sm.close)
    const tensorboardDir = tempDir(t, 'trackgate-replicas-tb-')
    const env = {
      ...FAST,
      ...wandbEnv(wandb),
      TRACKGATE_DATABASE_URL: url,
      TRACKGATE_DATABASE_POOL_SIZE: '4',
      TRACKGATE_LEASE_TTL_MS: '1500',
      TRACKGATE_TENSORBOARD_DIR: tensorboardDir,
      TRACKGATE_DEFAULT_SINKS: 'tensorboard,mlflow,wandb',
      MLFLOW_TRACKING_URI: mlflow.url,
      TRACKGATE_SAGEMAKER_ROLE_ARN: ROLE,
      AWS_ENDPOINT_URL_SAGEMAKER: sm.url,
      AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      TRACKGATE_SAGEMAKER_POLL_MIN_MS: '200',
      TRACKGATE_SAGEMAKER_POLL_MAX_MS: '1000'
    }
    const replicas = await Promise.all([0, 1, 2].map(async i => new GatewayProcess({
      port: await freePort(), dataDir: tempDir(t, `trackgate-replica-${i}-`), adminKey: ADMIN_KEY, env: { ...env, TRACKGATE_REPLICA_ID: `replica-${i}` }
    })))
    t.teardown(async () => { for (const r of replicas) await r.kill() })
    await Promise.all(replicas.map(async r => { await r.start() }))

    // Any replica that is up; the load balancer of this test.
    const live = (): Call => {
      const up = replicas.filter(r => r.running)
      const r = up[Math.floor(random() * up.length)] ?? replicas[0] as GatewayProcess
      return async (method, path, auth, body) => await r.call(method, path, auth, body)
    }
    const retrying = async (fn: () => Promise<Answer>, what: string): Promise<Answer> => await until(async () => {
      try { const a = await fn(); return a.status < 500 ? a : undefined } catch { return undefined }
    }, 60_000, what)

    const keys = await seedProjectOn(replicas[0] as GatewayProcess, ADMIN_KEY)
    const job = await retrying(async () => await live()('POST', '/v1/jobs', keys.write, smSpec({ name: 'through-kills' })), 'job created')
    t.equal(job.status, 201, JSON.stringify(job.body))
    const runs: Array<{ id: string, token: string, createdAt: number }> = []
    for (let i = 0; i < RUNS; i++) {
      const r = await retrying(async () => await live()('POST', '/v1/runs', keys.write, { name: `replicated-${i}`, experiment: 'replicas' }), 'run created')
      runs.push({ id: r.body.id, token: r.body.token, createdAt: Date.parse(r.body.createdAt) })
    }

    const t0 = Date.now()
    let acked = 0
    const total = RUNS * BATCHES
    const writers = runs.map(async run => {
      for (let b = 0; b < BATCHES; b++) {
        const a = await postLog(live, run.id, run.token, { batchId: `b${b}`, metrics: steps(t0, b * STEPS_PER_BATCH, STEPS_PER_BATCH) }, 120_000)
        if (a.status !== 202) throw new Error(`batch ${b} of ${run.id}: ${a.status} ${JSON.stringify(a.body)}`)
        acked++
      }
    })
    let kills = 0
    const killer = (async () => {
      for (let k = 0; k < KILLS; k++) {
        const at = Math.floor(((k + random()) / KILLS) * total * 0.95)
        await until(() => acked >= at || undefined, 240_000, `ack ${at}`)
        const victim = replicas[Math.floor(random() * replicas.length)] as GatewayProcess
        await victim.kill()
        kills++
        await victim.start()
      }
    })()
    await Promise.all([...writers, killer])
    t.equal(acked, total, 'every batch acknowledged')
    t.equal(kills, KILLS, `${KILLS} replicas killed and restarted while the load ran`)
    for (const run of runs) {
      const f = await retrying(async () => await live()('POST', `/v1/runs/${run.id}/finish`, run.token, { status: 'FINISHED' }), 'finished')
      t.equal(f.status, 200)
    }
    for (const run of runs) await waitSinks(live(), run.id, keys.read, allDrained, 120_000, `run ${run.id} delivered to every sink`)

    const stepsWanted = Array.from({ length: BATCHES * STEPS_PER_BATCH }, (_, i) => i)
    const scalars = await readScalars(tensorboardDir)
    for (const run of runs) {
      const mine = scalars.filter(s => s.run.includes(run.id.slice(0, 8)) && s.tag === 'train/loss')
      t.same(mine.map(s => s.step), stepsWanted, `TensorBoard ${run.id.slice(0, 8)}: every step once, in order`)
      const remote = remoteRuns(mlflow, run.id)
      t.equal(remote.length, 1, 'one MLflow run')
      t.same((remote[0]?.metrics['train/loss'] ?? []).map(p => p.step).sort((a, b) => a - b), stepsWanted, 'MLflow: every step once')
      await until(() => wandb.run(run.id)?.state === 'finished', 30_000, 'W&B run finished')
      t.same(rowProblems(wandb.run(run.id), t0, run.createdAt, stepsWanted), [], 'W&B: one row per step, in order, every value')
    }
    t.same(wandb.violations(), [], 'W&B saw no protocol violation (gaps, decreasing steps)')
    const ended = await until(async () => {
      const j = await retrying(async () => await live()('GET', `/v1/jobs/${job.body.id as string}`, keys.read), 'job read')
      return j.body.status === 'COMPLETED' ? j.body : undefined
    }, 120_000, 'the SageMaker job tracked to its end')
    t.equal(ended.status, 'COMPLETED')
  })
}
