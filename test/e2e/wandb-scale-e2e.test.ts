import t from 'tap'
import { ADMIN_KEY, tempDir } from '../helper.js'
import { freePort, GatewayProcess, seedProjectOn } from '../crash/child.js'
import { callOf, exitOf, limiter, pool, postLog, PROJECT, rowProblems, steps, until, wandbEmulator as emulator, wandbEnv } from './e2e-helper.js'

/**
 * Issue 4 ("Tests"), first item, end to end: 300 concurrent runs × 200 steps × 5 metrics sent as
 * container callbacks to the real gateway (a child process, as in production) with the W&B sink
 * wired from WANDB_* variables, into the W&B emulator (which enforces W&B's per-run and
 * per-project limits and flags gaps, decreasing steps and history after complete). Its own file
 * so that each e2e file stays well under 60 s. TG_E2E_WANDB_RUNS / TG_E2E_WANDB_STEPS shrink it.
 */

// 300 runs × 200 steps × 5 metrics = 300,000 points through HTTP.
const RUNS = Number(process.env.TG_E2E_WANDB_RUNS ?? 300)
const STEPS = Number(process.env.TG_E2E_WANDB_STEPS ?? 200)
const STEPS_PER_CALLBACK = 25

t.test(`${RUNS} concurrent runs × ${STEPS} steps × 5 metrics (NaN, ±Inf) → every W&B run has exactly its rows, contiguous offsets, every value, summary, metadata and final state`, async t => {
  const emu = await emulator(t, { recordBodies: false })
  // The gateway in a child process (its own core on this 2-core machine), as in production.
  const gw = new GatewayProcess({ port: await freePort(), dataDir: tempDir(t, 'trackgate-e2e-scale-'), adminKey: ADMIN_KEY, env: wandbEnv(emu, { TRACKGATE_BACKLOG_HIGH_WATER: '2000000', TRACKGATE_DISPATCH_LINGER_MS: '200', LOG_LEVEL: 'warn' }) })
  t.teardown(() => gw.kill())
  await gw.start()
  const call = callOf(gw)
  const keys = await seedProjectOn(gw, ADMIN_KEY)
  const p = {
    keys,
    run: async (body: Record<string, unknown>): Promise<{ id: string, token: string }> => {
      const r = await call('POST', '/v1/runs', keys.write, body)
      if (r.status !== 201) throw new Error(`run: ${r.status} ${JSON.stringify(r.body)}`)
      return { id: r.body.id, token: r.body.token }
    }
  }
  const t0 = Date.now()
  const started = Date.now()
  const statusOf = (i: number): string => i % 10 === 9 ? 'FAILED' : i % 50 === 7 ? 'KILLED' : 'FINISHED'

  const runs = await pool(16, Array.from({ length: RUNS }, (_, i) => async () => {
    const r = await p.run({ name: `display-${i}`, experiment: `exp-${i % 3}`, params: { lr: 0.0003, seed: i, optimizer: 'adamw', roi: [96, 96, 96], sched: { name: 'cosine', warmup: 5 } }, tags: { team: 'seg', fold: String(i % 5) }, sinks: ['wandb'] })
    return { ...r, i }
  }))
  // Every run sends its callbacks in order and then finishes, like a trainer; all 300 runs at
  // once, interleaved, with at most 32 requests in flight.
  const limit = limiter(32)
  await Promise.all(runs.map(async r => {
    for (let c = 0; c < STEPS / STEPS_PER_CALLBACK; c++) {
      const res = await limit(async () => await postLog(() => call, r.id, r.token, { batchId: `c${c}`, metrics: steps(t0, c * STEPS_PER_CALLBACK, STEPS_PER_CALLBACK) }))
      if (res.status !== 202) throw new Error(`callback ${c} of ${r.id}: ${res.status} ${JSON.stringify(res.body)}`)
    }
    const res = await limit(async () => await call('POST', `/v1/runs/${r.id}/finish`, r.token, { status: statusOf(r.i) }))
    if (res.status !== 200) throw new Error(`finish ${r.id}: ${res.status}`)
  }))
  const ingested = Date.now()
  t.comment(`ingested ${RUNS * STEPS * 5} points in ${RUNS * (STEPS / STEPS_PER_CALLBACK)} callbacks in ${ingested - started} ms`)

  await until(() => emu.runs().filter(r => r.state !== 'running').length >= RUNS && emu.runs().length >= RUNS, 45_000, 'every W&B run to end')
  t.comment(`delivered in ${Date.now() - started} ms (after ingest: ${Date.now() - ingested} ms); ${JSON.stringify(emu.stats())}`)
  t.same(emu.violations(), [], 'no gaps, no decreasing steps, nothing after complete')
  t.ok(emu.stats().maxRunRequestsInAnySecond <= 2, 'no run sent more than 2 file_stream requests in any second')

  const allSteps = Array.from({ length: STEPS }, (_, i) => i)
  let bad = 0
  for (const r of runs) {
    const run = emu.run(r.id, { project: PROJECT })
    const createdAt = Date.parse((await call('GET', `/v1/runs/${r.id}`, p.keys.read)).body.createdAt)
    const problems = rowProblems(run, t0, createdAt, allSteps)
    const want = exitOf[statusOf(r.i)] as { state: string, exitcode: number }
    if (run !== undefined) {
      if (run.state !== want.state || run.exitcode !== want.exitcode) problems.push(`state ${run.state}/${String(run.exitcode)}`)
      if (run.name !== r.id) problems.push(`name ${run.name}`)
      if (run.displayName !== `display-${r.i}`) problems.push(`displayName ${run.displayName}`)
      if (run.group !== `exp-${r.i % 3}`) problems.push(`group ${String(run.group)}`)
      if (run.jobType !== 'train') problems.push(`jobType ${String(run.jobType)}`)
      if (run.tags.join() !== [`fold:${r.i % 5}`, 'team:seg'].join()) problems.push(`tags ${run.tags.join()}`)
      const cfg = run.config as Record<string, { value: unknown }>
      if (cfg.lr?.value !== 0.0003 || cfg.seed?.value !== r.i || cfg.optimizer?.value !== 'adamw' || JSON.stringify(cfg.roi?.value) !== '[96,96,96]' || JSON.stringify(cfg.sched?.value) !== '{"name":"cosine","warmup":5}' || cfg._wandb === undefined) problems.push(`config ${JSON.stringify(cfg)}`)
    }
    if (problems.length > 0 && bad++ < 3) t.fail(`${r.id}: ${problems.join('; ')}`)
  }
  t.equal(bad, 0, `all ${RUNS} runs: exactly ${STEPS} rows at offsets 0..${STEPS - 1}, every value, summary, name/group/job type/tags/config, final state`)
  const sinks = await pool(16, runs.map(r => async () => (await call('GET', `/v1/runs/${r.id}/sinks`, p.keys.read)).body[0]))
  t.equal(sinks.filter(s => s?.state !== 'healthy' || s.lag !== 0).length, 0, 'every wandb cursor healthy with lag 0')
  const dl = await call('GET', '/v1/dead-letters?sink=wandb', p.keys.read)
  t.equal(dl.body.items.length, 0, 'no dead letters')
})
