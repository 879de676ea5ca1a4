import t from 'tap'
import { ADMIN_KEY, seedProject, startGateway, tempDir } from '../helper.js'
import { freePort, GatewayProcess, seedProjectOn } from '../crash/child.js'
import { fault } from '../emulators/wandb/index.js'
import { allDrained, callOf, FAST, KEYS, pool, postLog, rowProblems, steps, stepMetrics, stepTs, until, waitSinks, wandbEmulator as emulator, wandbEnv, type Call } from './e2e-helper.js'

/**
 * Issue 4 ("Tests"), end to end: container-style callbacks through the real gateway (real HTTP,
 * SQLite run log, dispatcher, the W&B sink wired from WANDB_* variables) into the W&B emulator,
 * which enforces W&B's per-run and per-project request limits and flags protocol violations
 * (gaps, decreasing steps, history after complete).
 */

t.test('metrics of one step over three callbacks → one row; a late metric → a dead letter with a clear code in the API', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: wandbEnv(emu) })
  const call = callOf(g)
  const p = await seedProject(g)
  const run = await p.run({ name: 'split', experiment: 'rows', sinks: ['wandb'] })
  const created = Date.parse((await call('GET', `/v1/runs/${run.id}`, p.keys.read)).body.createdAt)
  const t0 = Date.now()
  const s0 = stepMetrics(t0, 0)
  const send = async (batchId: string, metrics: unknown[]): Promise<void> => {
    t.equal((await postLog(() => call, run.id, run.token, { batchId, metrics })).status, 202, `callback ${batchId}`)
    // Each callback is delivered (and its partial row committed in the sink state) before the next.
    await waitSinks(call, run.id, p.keys.read, allDrained, 10000, `${batchId} delivered`)
  }
  await send('s0-a', s0.slice(0, 2))
  await send('s0-b', s0.slice(2, 4))
  await send('s0-c', s0.slice(4))
  await send('s1-3', steps(t0, 1, 3))
  // train/loss of step 1 again, after steps 2 and 3 were sent: W&B would drop it.
  await send('late', [{ key: 'train/loss', value: 42, step: 1, timestamp: stepTs(t0, 1) }, ...stepMetrics(t0, 4)])
  t.equal((await call('POST', `/v1/runs/${run.id}/finish`, run.token, { status: 'FINISHED' })).status, 200)
  await until(() => emu.run(run.id)?.state === 'finished', 15000, 'run finished on W&B')
  await waitSinks(call, run.id, p.keys.read, allDrained, 10000, 'drained')

  const view = emu.run(run.id)
  t.same(rowProblems(view, t0, created, [0, 1, 2, 3, 4]), [], 'steps 0..4, one row each, every value (train/loss of step 1 is the first one)')
  t.same(Object.keys(view?.history[0] ?? {}).sort(), ['_runtime', '_step', '_timestamp', ...KEYS].sort(), 'step 0: all five metrics from three callbacks in one row')
  t.same(emu.violations(), [])

  const dl = await call('GET', `/v1/dead-letters?runId=${run.id}&sink=wandb`, p.keys.read)
  t.equal(dl.status, 200)
  t.equal(dl.body.items.length, 1, 'exactly one dead letter: the late metric')
  t.match(dl.body.items[0], { sink: 'wandb', runId: run.id, status: 'dead', code: 'TG_LATE_STEP', record: { kind: 'metric', key: 'train/loss', value: 42, step: 1 } })
  t.match(dl.body.items[0]?.message, /^late_step: .*step 1\b.*W&B drops decreasing steps/, 'the message starts with the late_step code and says why')
})

// Regression: when every record of a batch is dead-lettered, the sink must still be asked what it
// wants next, or the wake-up it had scheduled (W&B's paced send of the last row and `complete`)
// would be lost and the W&B run would stay `running` forever.
t.test('a callback accepted after the run finished → after_status dead letters, and the W&B run still completes', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: wandbEnv(emu) })
  const call = callOf(g)
  const p = await seedProject(g)
  const run = await p.run({ name: 'late-callback', experiment: 'rows', sinks: ['wandb'] })
  const t0 = Date.now()
  t.equal((await postLog(() => call, run.id, run.token, { batchId: 'steps', metrics: steps(t0, 0, 10) })).status, 202)
  await until(() => (emu.run(run.id)?.history.length ?? 0) >= 9, 10000, 'rows 0..8 on W&B (row 9 still open)')
  t.equal((await call('POST', `/v1/runs/${run.id}/finish`, run.token, { status: 'FINISHED' })).status, 200)
  // The status is delivered (its send deferred by the per-run pacing) before the late callback lands.
  await waitSinks(call, run.id, p.keys.read, allDrained, 10000, 'status delivered')
  t.equal(emu.run(run.id)?.state, 'running', 'complete not sent yet (pacing)')
  const late = await postLog(() => call, run.id, run.token, { batchId: 'after-finish', metrics: stepMetrics(t0, 10) })
  t.equal(late.status, 202, 'accepted while the token is still valid')
  await waitSinks(call, run.id, p.keys.read, allDrained, 10000, 'drained')
  const dl = await call('GET', `/v1/dead-letters?runId=${run.id}`, p.keys.read)
  t.equal(dl.body.items.length, 5, 'each metric of the late callback is a dead letter')
  t.ok(dl.body.items.every((d: { message: string, code: string }) => /^after_status: /.test(d.message) && d.code === 'TG_AFTER_STATUS'), 'with the after_status code')
  let done = true
  try { await until(() => emu.run(run.id)?.state === 'finished', 5000, 'W&B run finished') } catch { done = false }
  t.ok(done, 'the W&B run still completes (last row, summary, complete)')
  if (done) t.same(rowProblems(emu.run(run.id), t0, Date.parse((await call('GET', `/v1/runs/${run.id}`, p.keys.read)).body.createdAt), Array.from({ length: 10 }, (_, i) => i)), [])
})

t.test('gateway SIGKILL mid-stream (once while W&B holds an applied file_stream answer, once at a random point) and restart → no duplicate or missing rows', async t => {
  const emu = await emulator(t)
  const dataDir = tempDir(t, 'trackgate-e2e-wandb-')
  const gw = new GatewayProcess({ port: await freePort(), dataDir, adminKey: ADMIN_KEY, env: { ...wandbEnv(emu), TRACKGATE_DEFAULT_SINKS: 'wandb', LOG_LEVEL: 'warn' } })
  t.teardown(() => gw.kill())
  await gw.start()
  const call: Call = async (...a) => await callOf(gw)(...a)
  const keys = await seedProjectOn(gw, ADMIN_KEY)
  const N = 20; const S = 120; const PER = 10
  const t0 = Date.now()
  const runs: Array<{ id: string, token: string }> = []
  for (let i = 0; i < N; i++) {
    const r = await call('POST', '/v1/runs', keys.write, { name: `crash-${i}`, experiment: 'crash' })
    t.equal(r.status, 201)
    runs.push({ id: r.body.id, token: r.body.token })
  }
  const chunk = (c: number) => runs.map(r => async () => {
    const res = await postLog(() => call, r.id, r.token, { batchId: `c${c}`, metrics: steps(t0, c * PER, PER) }, 50000)
    if (res.status !== 202) throw new Error(`${r.id} c${c}: ${res.status}`)
  })

  // First half, then kill while the emulator holds the answer to a file_stream it already applied.
  for (let c = 0; c < S / PER / 2; c++) await pool(8, chunk(c))
  const held = emu.hold({ route: 'file_stream' })
  const arrived = await held.arrived
  t.ok(arrived.run !== undefined, `held a file_stream of ${String(arrived.run)}`)
  await gw.kill()
  held.drop()
  const linesAtKill = emu.stats().historyLines
  t.ok(linesAtKill > 0 && linesAtKill < N * S, `killed mid-stream (${linesAtKill} of ${N * S} rows on W&B)`)
  await gw.start()

  // Second half, with another SIGKILL while callbacks and deliveries are in flight.
  const second = (async () => {
    for (let c = S / PER / 2; c < S / PER; c++) await pool(8, chunk(c))
  })()
  await until(() => emu.stats().historyLines > linesAtKill + 100, 20000, 'more rows after the restart')
  await gw.kill()
  await gw.start()
  await second
  for (const r of runs) t.equal((await call('POST', `/v1/runs/${r.id}/finish`, r.token, { status: 'FINISHED' })).status, 200)
  await until(() => runs.every(r => emu.run(r.id)?.state === 'finished'), 30000, 'every run finished on W&B')
  for (const r of runs) await waitSinks(call, r.id, keys.read, allDrained, 10000, 'drained')

  t.same(emu.violations(), [], 'no gaps, no decreasing steps, nothing after complete')
  const stepList = Array.from({ length: S }, (_, i) => i)
  let bad = 0
  for (const r of runs) {
    const createdAt = Date.parse((await call('GET', `/v1/runs/${r.id}`, keys.read)).body.createdAt)
    const problems = rowProblems(emu.run(r.id), t0, createdAt, stepList)
    if (problems.length > 0 && bad++ < 3) t.fail(`${r.id}: ${problems.join('; ')}`)
  }
  t.equal(bad, 0, `every run: exactly ${S} rows, contiguous, no duplicate, none missing`)
  t.equal(emu.runs().length, N, 'one W&B run per run')
})

t.test('429 with Retry-After, a 5xx window and a 413 split → complete, nothing early, nothing lost, same offsets', async t => {
  const emu = await emulator(t, { maxBodyBytes: 12_000 })
  const g = await startGateway(t, { env: wandbEnv(emu) })
  const call = callOf(g)
  const p = await seedProject(g)
  const t0 = Date.now()
  const mk = async (name: string) => {
    const r = await p.run({ name, experiment: 'faults', sinks: ['wandb'] })
    await waitSinks(call, r.id, p.keys.read, allDrained, 10000, `${name} created`)
    return r
  }
  const r429 = await mk('throttled')
  const r5xx = await mk('outage')
  const r413 = await mk('big')
  emu.script(fault.throttle(2, { route: 'file_stream', run: r429.id }))
  emu.outage(1500, { kind: 'status', status: 503 }, { route: 'file_stream', run: r5xx.id })
  const outageEnds = Date.now() + 1500

  for (let c = 0; c < 3; c++) {
    await postLog(() => call, r429.id, r429.token, { batchId: `c${c}`, metrics: steps(t0, c * 10, 10) })
    await postLog(() => call, r5xx.id, r5xx.token, { batchId: `c${c}`, metrics: steps(t0, c * 10, 10) })
  }
  // 200 rows in one callback: the first file_stream request (~30 kB) is above the 12 kB limit.
  await postLog(() => call, r413.id, r413.token, { batchId: 'all', metrics: steps(t0, 0, 200) })
  const degraded = await waitSinks(call, r5xx.id, p.keys.read, s => s.wandb?.state === 'degraded', 5000, 'the 5xx run degraded')
  t.match(degraded.wandb?.lastError, { code: /TG_SINK_(UNAVAILABLE|THROTTLED)/ }, 'with its last error')
  for (const r of [r429, r5xx, r413]) t.equal((await call('POST', `/v1/runs/${r.id}/finish`, r.token, { status: 'FINISHED' })).status, 200)
  await until(() => [r429, r5xx, r413].every(r => emu.run(r.id)?.state === 'finished'), 25000, 'all three finished on W&B')

  const fs = (id: string) => emu.requests.filter(r => r.route === 'file_stream' && r.run === id)
  // 429: nothing for that run before Retry-After (2 s) elapsed.
  const first429 = fs(r429.id).find(r => r.status === 429)
  t.ok(first429 !== undefined, 'the run got a 429')
  if (first429 !== undefined) {
    const next = fs(r429.id).find(r => r.at > first429.at)
    t.ok(next !== undefined && next.at - first429.at >= 2000, `next file_stream ${next === undefined ? 'never' : `${next.at - first429.at} ms`} after the 429 (Retry-After: 2)`)
  }
  // 5xx: failed during the window, delivered after it.
  t.ok(fs(r5xx.id).some(r => r.status === 503), 'the run got 503s')
  t.ok(fs(r5xx.id).filter(r => r.status === 200).every(r => r.at >= outageEnds - 5), 'nothing accepted during the outage window')
  // 413: split and resent at the same offsets.
  t.ok(fs(r413.id).some(r => r.status === 413), 'the big request got 413')

  for (const [r, n] of [[r429, 30], [r5xx, 30], [r413, 200]] as const) {
    const created = Date.parse((await call('GET', `/v1/runs/${r.id}`, p.keys.read)).body.createdAt)
    t.same(rowProblems(emu.run(r.id), t0, created, Array.from({ length: n }, (_, i) => i)), [], `${r.id}: all ${n} rows, once, at their offsets`)
    // Accepted history writes cover offsets 0..n-1 in order, each exactly once.
    const written = fs(r.id).filter(x => x.status === 200).flatMap(x => {
      const h = (x.body as { files?: Record<string, { offset: number, content: string[] }> }).files?.['wandb-history.jsonl']
      return h === undefined ? [] : h.content.map((_, i) => h.offset + i)
    })
    t.same(written, Array.from({ length: n }, (_, i) => i), `${r.id}: accepted writes are offsets 0..${n - 1}, in order, once each`)
  }
  const bigOk = fs(r413.id).filter(r => r.status === 200 && (r.body as { files?: object }).files !== undefined)
  t.ok(bigOk.length >= 3, `the 200 rows went in ${bigOk.length} smaller requests`)
  t.ok(bigOk.every(r => r.bytes <= 12_000), 'each under the limit')
  t.same(emu.violations(), [])
})

t.test('a run asking for wandb without any W&B target → 400 TG_SINK_NOT_CONFIGURED; a project target through the API hides the key and is used', async t => {
  const emu = await emulator(t, { apiKeys: ['project-wandb-key-0000000000000000000000000'] })
  const g = await startGateway(t, { env: FAST })
  const call = callOf(g)
  const p = await seedProject(g)
  const refused = await call('POST', '/v1/runs', p.keys.write, { sinks: ['wandb'] })
  t.equal(refused.status, 400)
  t.equal(refused.body.code, 'TG_SINK_NOT_CONFIGURED')
  const put = await call('PUT', `/v1/projects/${p.id}/targets/wandb`, p.keys.admin, { baseUrl: emu.url, apiKey: 'project-wandb-key-0000000000000000000000000', project: 'proj-own', entity: 'ml-team' })
  t.equal(put.status, 200)
  t.same(put.body.config, { baseUrl: emu.url, apiKeySet: true, project: 'proj-own', entity: 'ml-team' })
  const got = await call('GET', `/v1/projects/${p.id}/targets`, p.keys.admin)
  t.notMatch(JSON.stringify(got.body), 'project-wandb-key', 'the key is never returned')
  const run = await p.run({ name: 'own-target', experiment: 'x', params: { lr: '1e-3' }, sinks: ['wandb'] })
  await postLog(() => call, run.id, run.token, { batchId: 'b', metrics: steps(Date.now(), 0, 3) })
  await call('POST', `/v1/runs/${run.id}/finish`, run.token, { status: 'FAILED' })
  await until(() => emu.run(run.id)?.state === 'failed', 10000, 'run failed on W&B')
  const view = emu.run(run.id)
  t.match(view, { entity: 'ml-team', project: 'proj-own', displayName: 'own-target', group: 'x', exitcode: 1 })
  t.same(view?.history.length, 3)
  t.equal((view?.config as Record<string, { value: unknown }>).lr?.value, '1e-3', 'a string param stays a string')
  t.notOk(g.logs.join('').includes('project-wandb-key'), 'the key is not in the logs')
})

t.test('W&B\'s stop flag is surfaced on the run as a tag, and delivery goes on', async t => {
  const emu = await emulator(t)
  const g = await startGateway(t, { env: wandbEnv(emu) })
  const call = callOf(g)
  const p = await seedProject(g)
  const run = await p.run({ name: 'stop-me', experiment: 'rows', sinks: ['wandb'] })
  const t0 = Date.now()
  t.equal((await postLog(() => call, run.id, run.token, { batchId: 'a', metrics: steps(t0, 0, 3) })).status, 202)
  await until(() => (emu.run(run.id)?.history.length ?? 0) >= 2, 10000, 'first rows on W&B')
  emu.setStopped(run.id)
  t.equal((await postLog(() => call, run.id, run.token, { batchId: 'b', metrics: steps(t0, 3, 3) })).status, 202)
  const tags = await until(async () => {
    const r = await call('GET', `/v1/runs/${run.id}`, p.keys.read)
    return r.body.tags['trackgate.wandb_stop_requested'] === 'true' ? r.body.tags : undefined
  }, 10000, 'stop tag')
  t.equal(tags['trackgate.wandb_stop_requested'], 'true', 'the run carries trackgate.wandb_stop_requested=true')
  await until(() => (emu.run(run.id)?.history.length ?? 0) >= 5, 10000, 'rows after the stop request still delivered')
  t.match(g.logs.join(''), /W&B asked to stop this run/)
})
