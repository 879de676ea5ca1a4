import t from 'tap'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ADMIN_KEY, eventually, startGateway, tempDir } from '../helper.js'
import { LATEST_SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js'

// test/fixtures/store-0.1.0/README.md says what the file holds.
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'store-0.1.0', 'trackgate.sqlite')
const PROJECT = '08309a58-e43e-4e8a-b3a4-afb595653cd1'
const FINISHED = '7b7fe1fd-b827-430c-bf34-69286b91e689'
const RUNNING = 'bc8ab02d-835c-4fcb-90ae-0cf2659f11ab'

t.test('a store written by release 0.1.0 opens, migrates once, and loses nothing', async t => {
  const dataDir = tempDir(t)
  copyFileSync(FIXTURE, join(dataDir, 'trackgate.sqlite'))
  const g = await startGateway(t, { dataDir, env: { TRACKGATE_DEFAULT_SINKS: 'tensorboard' } })
  const key = await g.call('POST', `/v1/projects/${PROJECT}/keys`, { auth: ADMIN_KEY, body: { role: 'write' } })
  t.equal(key.status, 201, 'the old project is there')
  const auth = key.body.key as string

  const done = await g.call('GET', `/v1/runs/${FINISHED}`, { auth })
  t.equal(done.body.status, 'FINISHED')
  t.same(done.body.params, { amp: 'true', epochs: '10', lr: '0.0003', optimizer: 'adamw', roi: '96,96,96' }, 'string params stay strings')
  t.same(done.body.tags, { team: 'seg' })
  const summary = await g.call('GET', `/v1/runs/${FINISHED}/summary`, { auth })
  t.same(summary.body.metrics, { 'train/loss': { value: 0.5, step: 1, timestamp: 1700000000000 }, 'val/dice': { value: 0.7, step: 1, timestamp: 1700000000000 } })
  t.same(summary.body.params, done.body.params)

  // The running run goes on: the old string param is immutable as a string; typed params are new keys.
  const conflict = await g.call('POST', `/v1/runs/${RUNNING}/log`, { auth, body: { batchId: 'after-upgrade-1', params: { batch_size: 2 } } })
  t.equal(conflict.status, 409, 'the string "2" is not the number 2')
  t.match(conflict.body.message, /"batch_size" is already "2" \(string\)/)
  const same = await g.call('POST', `/v1/runs/${RUNNING}/log`, {
    auth, body: { batchId: 'after-upgrade-2', params: { batch_size: '2', lr: 0.001 }, metrics: [{ key: 'train/loss', value: 0.8, step: 1, timestamp: 1700000001000 }] }
  })
  t.equal(same.status, 202)
  t.equal(same.body.seq, 3, 'appended after the old entries')
  const old = await g.call('POST', `/v1/runs/${RUNNING}/log`, { auth, body: { batchId: 'c1' } })
  t.same(old.body, { accepted: 1, duplicate: true, seq: 2 }, 'a batch id acknowledged by the old release is still known')
  const running = await g.call('GET', `/v1/runs/${RUNNING}`, { auth })
  t.same(running.body.params, { batch_size: '2', lr: 0.001 })
  const history = await g.call('GET', `/v1/runs/${RUNNING}/metrics`, { auth })
  t.same(history.body.items.map((p: { step: number, value: number }) => [p.step, p.value]), [[0, 0.9], [1, 0.8]])
  await eventually(async () => (await g.call('GET', `/v1/runs/${RUNNING}/sinks`, { auth })).body[0]?.lag === 0, 10000, 'delivery resumes')

  await g.app.close()
  const db = new Database(join(dataDir, 'trackgate.sqlite'), { readonly: true })
  t.teardown(() => db.close())
  t.same(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(), Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1), 'every migration once')
  t.same(db.prepare('SELECT version FROM job_migrations ORDER BY version').pluck().all(), [1, 2], 'and the jobs schema\'s')
  t.same(db.prepare('SELECT key, value, type FROM run_params WHERE run_id = ? ORDER BY key').all(RUNNING),
    [{ key: 'batch_size', value: '"2"', type: 'string' }, { key: 'lr', value: '0.001', type: 'number' }], 'value as JSON, with its type')
})
