import t from 'tap'
import { seedProject, startGateway } from '../helper.js'
import { emulator } from '../e2e/mlflow-helper.js'
import { allDrained, callOf, FAST, waitSinks } from '../e2e/e2e-helper.js'
import type { RoutedSink } from '../../src/sinks/routed-sink.js'

t.test('100 changes of a project\'s MLflow target: old sink instances are closed, handles stay bounded', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: { ...FAST } })
  const call = callOf(g)
  const p = await seedProject(g)
  t.equal((await call('PUT', `/v1/projects/${p.id}/targets/mlflow`, p.keys.admin, { trackingUri: emu.url, token: 'first' })).status, 200)
  const run = await p.run({ name: 'lifecycle', experiment: 'lifecycle', sinks: ['mlflow'] })
  const routed = g.app.sinks.get('mlflow') as RoutedSink
  const handles = (): number => process.getActiveResourcesInfo().filter(r => r !== 'Timeout' && r !== 'Immediate').length
  let before = 0
  for (let i = 0; i < 100; i++) {
    // A new token is a new target: a new sink instance with its own connections.
    t.equal((await call('PUT', `/v1/projects/${p.id}/targets/mlflow`, p.keys.admin, { trackingUri: emu.url, token: `token-${i}` })).status, 200)
    t.equal((await call('POST', `/v1/runs/${run.id}/log`, run.token, { batchId: `b${i}`, metrics: [{ key: 'loss', value: i, step: i }] })).status, 202)
    await waitSinks(call, run.id, p.keys.read, allDrained, 10000, `batch ${i} delivered`)
    if (i === 4) before = handles()
  }
  t.ok(routed.instanceCount <= 2, `instances alive: ${routed.instanceCount}`)
  const after = handles()
  t.ok(after <= before + 5, `active handles after 5 changes: ${before}, after 100: ${after}`)
  t.equal(emu.pointCount(), 100, 'every point delivered once across the changes')
})
