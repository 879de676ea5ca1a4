import t from 'tap'
import { createWandbSink } from '../../../src/sinks/wandb/wandb-sink.js'
import { startWandbEmulator } from '../../emulators/wandb/index.js'
import { completed, Driver, sinkRun } from './driver.js'
import { expectedValue, same, stepMetrics } from './helpers.js'

const RUNS = 300
const STEPS = 200
const KEYS = ['train/loss', 'lr', 'grad_norm', 'ratio', 'epoch']

t.test(`${RUNS} concurrent runs × ${STEPS} steps × 5 metrics arrive whole, once, in order`, async (t) => {
  // The emulator enforces W&B's published limits (2 req/s per run, 500/s and 80 creations/s per
  // project); the sink must stay inside them on its own.
  const emu = await startWandbEmulator({ recordBodies: false })
  t.teardown(() => emu.close())
  const sink = createWandbSink({ baseUrl: emu.url, apiKey: emu.apiKey, project: 'scale', rowIdleMs: 60_000 })
  t.teardown(() => sink.close?.())
  const d = new Driver(sink, { maxBatch: 250 })
  for (let i = 0; i < RUNS; i++) {
    const id = `run-${String(i).padStart(3, '0')}`
    d.add(sinkRun(id, { name: `display-${i}`, experiment: `exp-${i % 3}` }))
    d.append(id, [{ kind: 'param', key: 'lr', value: 0.0003 }, { kind: 'param', key: 'seed', value: i }])
    // Trainers send several steps per callback; entries land in the log interleaved across runs.
    for (let s = 0; s < STEPS; s += 4) d.append(id, [s, s + 1, s + 2, s + 3].flatMap(stepMetrics))
    d.append(id, [{ kind: 'status', status: i % 10 === 9 ? 'FAILED' : 'FINISHED', timestamp: Date.now() }])
  }
  const started = Date.now()
  await d.run(completed, 40_000)
  t.comment(`delivered ${RUNS * STEPS} rows in ${Date.now() - started} ms; ${JSON.stringify(emu.stats())}`)
  t.comment(JSON.stringify(Object.entries(emu.requests.filter((r) => r.status === 429).reduce<Record<string, number>>((a, r) => { a[r.route + (r.op ?? '')] = (a[r.route + (r.op ?? '')] ?? 0) + 1; return a }, {}))))
  t.same(emu.violations(), [], 'no gaps, no decreasing steps, nothing after complete')
  t.same([...d.partitions.values()].filter((p) => p.paused !== undefined || p.deadLetters.length > 0).map((p) => p.run.id), [])

  let bad = 0
  for (let i = 0; i < RUNS; i++) {
    const id = `run-${String(i).padStart(3, '0')}`
    const run = emu.run(id, { entity: 'ml-team', project: 'scale' })
    if (run === undefined) { bad++; continue }
    const rowsOk = run.history.length === STEPS && run.history.every((row, offset) => row !== undefined && row._step === offset &&
      KEYS.every((k) => same(row[k], expectedValue(k, offset))) && Object.keys(row).length === 3 + KEYS.length)
    const s = run.summary
    const summaryOk = s !== undefined && s._step === STEPS - 1 && KEYS.every((k) => same(s[k], expectedValue(k, STEPS - 1))) &&
      (s._wandb as { runtime: number }).runtime === s._runtime
    const metaOk = run.displayName === `display-${i}` && run.group === `exp-${i % 3}` && run.jobType === 'train' &&
      run.tags.join() === 'team:seg' && (run.config.seed as { value: number }).value === i
    const stateOk = i % 10 === 9 ? run.state === 'failed' && run.exitcode === 1 : run.state === 'finished' && run.exitcode === 0
    if (!(rowsOk && summaryOk && metaOk && stateOk)) {
      if (bad++ < 3) t.fail(`${id}: rows ${rowsOk} summary ${summaryOk} meta ${metaOk} state ${stateOk} (${run.history.length} rows, ${run.state})`)
    }
  }
  t.equal(bad, 0, 'every run has exactly its rows, values, summary, metadata and state')
  t.ok(emu.stats().maxRunRequestsInAnySecond <= 2, 'no run sent more than 2 file_stream requests in any second')
})
