import t from 'tap'
import { ADMIN_KEY, seedProject, startGateway } from '../helper.js'

t.test('no token or key ever appears in the logs', async t => {
  const g = await startGateway(t, { env: { LOG_LEVEL: 'trace' } })
  const p = await seedProject(g)
  const run = await p.run({ name: 'r' })
  await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, body: { batchId: 'b', metrics: [{ key: 'x', value: 1, step: 1 }] } })
  await g.call('POST', `/v1/runs/${run.id}/log`, { auth: run.token, raw: '{bad json' })
  await g.call('POST', `/v1/runs/${run.id}/log?token=${run.token}`, { auth: run.token, body: { batchId: 'c' } })
  await g.call('GET', `/v1/runs/${run.id}`, { auth: `${run.token}x` })
  await g.call('POST', `/v1/runs/${run.id}/finish`, { auth: run.token, body: { status: 'FINISHED' } })
  const text = g.logs.join('')
  t.ok(text.length > 1000, 'logs were captured')
  t.match(text, /"runId":"/, 'log lines carry the run id')
  for (const secret of [run.token, ADMIN_KEY, p.keys.write, p.keys.read, p.keys.admin]) {
    t.notOk(text.includes(secret), 'secret absent')
    t.notOk(text.includes(secret.slice(4, 24)), 'no fragment of it either')
  }
  for (const line of g.logs) t.doesNotThrow(() => JSON.parse(line), 'one JSON object per line')
})
