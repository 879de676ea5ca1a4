import t from 'tap'
import { pgTestDatabase } from '../pg-database.js'
import { eventually, seedProject, startGateway } from '../helper.js'
import { FakeSink } from '../fake-sink.js'

// Two gateway replicas on one PostgreSQL database, sharing one remote (a FakeSink instance: its
// idempotency is the remote's, and it records any two deliveries for one run at once).
const db = await pgTestDatabase(t)

if (db !== undefined) {
  t.test('two replicas: callbacks through both, every point delivered once, in order, by one replica at a time', async t => {
    const url = await db.schemaUrl()
    const remote = new FakeSink({ name: 'fake', maxBatchRecords: 25 })
    const env = { TRACKGATE_DATABASE_URL: url, TRACKGATE_DEFAULT_SINKS: 'fake', TRACKGATE_LEASE_TTL_MS: '2000' }
    const a = await startGateway(t, { env: { ...env, TRACKGATE_REPLICA_ID: 'replica-a' }, build: { extraSinks: [remote] } })
    const b = await startGateway(t, { env: { ...env, TRACKGATE_REPLICA_ID: 'replica-b' }, build: { extraSinks: [remote] } })
    const p = await seedProject(a)
    const runs = await Promise.all(Array.from({ length: 4 }, async () => await p.run()))
    const BATCHES = 20
    await Promise.all(runs.map(async run => {
      for (let i = 0; i < BATCHES; i++) {
        const via = i % 2 === 0 ? a : b
        const r = await via.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: `b${i}`, metrics: [{ key: 'loss', value: i, step: i }, { key: 'acc', value: i / 10, step: i }] } })
        t.equal(r.status, 202, `batch ${i} acked`)
      }
    }))
    await eventually(async () => runs.every(run => remote.storedFor(run.id).length === BATCHES * 2), 20000, 'every point at the remote')
    for (const run of runs) {
      const loss = remote.storedFor(run.id).filter(r => r.key === 'loss')
      t.same(loss.map(r => r.step), Array.from({ length: BATCHES }, (_, i) => i), 'in step order, once each')
    }
    t.same(remote.violations, [], 'never two deliveries of one run at once, never a re-send after a commit')
    const ha = await a.call('GET', '/healthz')
    t.match(ha.body, { status: 'ok', replica: { id: 'replica-a', store: 'postgres', leases: Array } })
    const read = await b.call('GET', `/v1/runs/${runs[0]?.id as string}/summary`, { auth: p.keys.read })
    t.match(read.body.metrics, { loss: { value: BATCHES - 1 } }, 'any replica answers reads')
  })
}

if (db !== undefined) {
  t.test('two replicas: while one holds a partition\'s delivery open, the other does not deliver it', async t => {
    const url = await db.schemaUrl()
    const remote = new FakeSink({ name: 'fake' })
    const env = { TRACKGATE_DATABASE_URL: url, TRACKGATE_DEFAULT_SINKS: 'fake', TRACKGATE_LEASE_TTL_MS: '60000' }
    const a = await startGateway(t, { env: { ...env, TRACKGATE_REPLICA_ID: 'replica-a' }, build: { extraSinks: [remote] } })
    const b = await startGateway(t, { env: { ...env, TRACKGATE_REPLICA_ID: 'replica-b' }, build: { extraSinks: [remote] } })
    const p = await seedProject(a)
    const run = await p.run()
    remote.mode = 'hold'
    t.equal((await a.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'first', metrics: [{ key: 'loss', value: 1, step: 0 }] } })).status, 202)
    t.ok(await remote.waitForHold(10000), 'a delivery is held open')
    const holder = await eventually(async () => {
      for (const [g, name] of [[a, 'replica-a'], [b, 'replica-b']] as const) {
        const h = await g.call('GET', '/healthz')
        if (h.body.replica.leases.some((l: { name: string }) => l.name === `partition:fake:${run.id}`)) return name
      }
      return undefined
    }, 10000, 'the holder lists the lease')
    t.ok(holder, `held by ${holder}`)
    // Both replicas are told about new records (ingest on each); the partition stays with its holder.
    for (const g of [a, b]) t.equal((await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: `more-${g === a ? 'a' : 'b'}`, metrics: [{ key: 'loss', value: 2, step: 1 }] } })).status, 202)
    await eventually(async () => (await b.call('GET', `/v1/runs/${run.id}/sinks`, { auth: p.keys.read })).status === 200, 5000, 'b answers')
    t.equal(remote.holding, 1, 'still one delivery in flight: the other replica did not start a second')
    remote.mode = 'ok'
    remote.release()
    await eventually(async () => remote.storedFor(run.id).length === 3, 20000, 'everything delivered after the release')
    t.same(remote.violations, [])
  })
}

if (db !== undefined) {
  t.test('the database dropping every connection: callbacks get 202 or 503 with Retry-After, never a 500, and then flow again', async t => {
    const url = await db.schemaUrl()
    const g = await startGateway(t, { env: { TRACKGATE_DATABASE_URL: url, TRACKGATE_DEFAULT_SINKS: 'tensorboard' } })
    const p = await seedProject(g)
    const run = await p.run()
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \'trackgate\' AND pid <> pg_backend_pid()')
      const r = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: `t${i}`, metrics: [{ key: 'loss', value: i, step: i }] } })
      statuses.push(r.status)
      if (r.status === 503) t.match(r, { body: { code: 'TG_STORE_BUSY' }, headers: { get: Function } })
    }
    t.ok(statuses.every(s => s === 202 || s === 503), `answers: ${statuses.join(', ')}`)
    const after = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'after', metrics: [{ key: 'loss', value: 9, step: 9 }] } })
    t.equal(after.status, 202, 'the pool reconnects')
  })
}

t.test('text the store keeps as text refuses NUL characters with a 400 on both APIs (PostgreSQL cannot hold them)', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const run = await p.run()
  const bad = await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'a\u0000b', metrics: [{ key: 'loss', value: 1, step: 0 }] } })
  t.match(bad, { status: 400, body: { code: 'TG_VALIDATION' } })
  t.match(await g.call('POST', '/v1/runs', { auth: p.keys.write, body: { name: 'x\u0000' } }), { status: 400 })
  const ml = await g.call('POST', '/mlflow/api/2.0/mlflow/runs/create', { auth: p.keys.write, body: { experiment_id: '0', run_name: 'nul\u0000name' } })
  t.match(ml, { status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: /NUL/ } })
})
