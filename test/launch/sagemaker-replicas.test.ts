import t from 'tap'
import { pgTestDatabase } from '../pg-database.js'
import { eventually, seedProject, startGateway, tempDir, testConfig, type Gateway } from '../helper.js'
import { startSageMakerEmulator } from '../emulators/sagemaker/index.js'
import { AWS_TEST_CREDENTIALS, launchConfig, ROLE, smSpec, waitJob } from './jobs-helper.js'

// SageMaker jobs with two replicas on one PostgreSQL database: one replica tracks a job at a time
// (its lease), and when it stops the other adopts the job and tracks it to its end.
const db = await pgTestDatabase(t)

if (db !== undefined) {
  t.test('a SageMaker job is tracked by one replica, and by the other once the first stops', async t => {
    const emu = await startSageMakerEmulator({ timings: { startingMs: 100, downloadingMs: 100, trainingMs: 2500, uploadingMs: 100, stoppingMs: 60 }, container: undefined })
    t.teardown(emu.close)
    const url = await db.schemaUrl()
    const replica = async (id: string): Promise<Gateway> => {
      const dataDir = tempDir(t)
      const env = { TRACKGATE_DATABASE_URL: url, TRACKGATE_REPLICA_ID: id, TRACKGATE_LEASE_TTL_MS: '1000', TRACKGATE_SAGEMAKER_ROLE_ARN: ROLE }
      return await startGateway(t, {
        dataDir,
        env,
        config: launchConfig(testConfig(dataDir, env).launch, { pollMinMs: 20, pollMaxMs: 100, describePerSecond: 200 }),
        build: { launch: { sagemaker: { endpoint: emu.url, credentials: AWS_TEST_CREDENTIALS }, createRetryBaseMs: 20 } }
      })
    }
    const a = await replica('replica-a')
    const b = await replica('replica-b')
    const p = await seedProject(a)
    const r = await a.call('POST', '/v1/jobs', { auth: p.keys.write, body: smSpec({ name: 'handover' }) })
    t.equal(r.status, 201, JSON.stringify(r.body))
    const lease = `job:${r.body.id as string}`
    await waitJob(a, p.keys.read, r.body.id, 'RUNNING')
    const held = await a.call('GET', '/healthz')
    t.ok(held.body.replica.leases.some((l: { name: string }) => l.name === lease), 'the launching replica holds the job\'s lease')
    // B sweeps every third of the TTL; give it two sweeps' worth of chances, measured by its own sweeps.
    await eventually(async () => (await b.call('GET', '/healthz')).status === 200 && a.app.sagemakerTracker.stats.describes > 3, 10000, 'A polls')
    t.equal(b.app.sagemakerTracker.isTracked(r.body.id), false, 'the other replica does not track it meanwhile')
    t.equal(b.app.sagemakerTracker.stats.describes, 0, 'nor call SageMaker for it')

    await a.app.close() // a clean stop hands the lease back
    await eventually(async () => b.app.sagemakerTracker.isTracked(r.body.id) || undefined, 10000, 'B adopts the job')
    const done = await waitJob(b, p.keys.read, r.body.id, undefined, 20000)
    t.equal(done.status, 'COMPLETED', 'tracked to its end by the other replica')
    t.ok(b.app.sagemakerTracker.stats.describes > 0)
    t.equal((await b.call('GET', `/v1/runs/${r.body.runId as string}`, { auth: p.keys.read })).body.status, 'FINISHED')
  })
}
