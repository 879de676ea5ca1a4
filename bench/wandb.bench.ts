import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { createWandbSink } from '../src/sinks/wandb/wandb-sink.js'
import { completed, Driver, sinkRun } from '../test/sinks/wandb/driver.js'
import { stepMetrics } from '../test/sinks/wandb/helpers.js'
import type { BenchRow } from './types.js'

const RUNS = 300
const STEPS = 200
const LATENCY_MS = 20

/**
 * 300 concurrent runs streamed to the W&B emulator (own process, 20 ms added latency, W&B's
 * published limits enforced) through the sink, driven like the dispatcher drives it.
 */
export default async function wandbBench (): Promise<BenchRow[]> {
  const cli = fileURLToPath(new URL('../test/emulators/wandb/cli.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', cli, JSON.stringify({ latencyMs: LATENCY_MS, recordBodies: false })], { stdio: ['pipe', 'pipe', 'inherit'] })
  try {
    const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string]
    const { url, apiKey } = JSON.parse(line) as { url: string, apiKey: string }
    const sink = createWandbSink({ baseUrl: url, apiKey, project: 'bench', rowIdleMs: 60_000 })
    const driver = new Driver(sink, { maxBatch: 250 })
    for (let i = 0; i < RUNS; i++) {
      const id = `bench-${i}`
      driver.add(sinkRun(id))
      for (let s = 0; s < STEPS; s += 4) driver.append(id, [s, s + 1, s + 2, s + 3].flatMap(stepMetrics))
      driver.append(id, [{ kind: 'status', status: 'FINISHED', timestamp: Date.now() }])
    }
    let rss = process.memoryUsage().rss
    const sampler = setInterval(() => { rss = Math.max(rss, process.memoryUsage().rss) }, 100)
    const started = Date.now()
    await driver.run(completed, 28_000).finally(() => clearInterval(sampler))
    const seconds = (Date.now() - started) / 1000
    await sink.close?.()
    const res = await request(`${url}/_emulator/stats`)
    const stats = await res.body.json() as { fileStreamRequests: number, maxRunRequestsInAnySecond: number, historyLines: number, throttled: number, violations: number }
    if (stats.historyLines !== RUNS * STEPS || stats.violations !== 0) throw new Error(`wandb bench: ${stats.historyLines} lines, ${stats.violations} violations`)
    const bench = `W&B sink (${RUNS} runs × ${STEPS} steps × 5 metrics, ${LATENCY_MS} ms latency)`
    return [
      { bench, metric: 'rows/s delivered (all runs complete)', value: Math.round((RUNS * STEPS) / seconds), unit: 'rows/s', target: '' },
      { bench, metric: 'file_stream requests per run per second (mean)', value: Number((stats.fileStreamRequests / RUNS / seconds).toFixed(2)), unit: 'req/s', target: '≤ 2' },
      { bench, metric: 'file_stream requests per run in any 1 s window (max)', value: stats.maxRunRequestsInAnySecond, unit: 'req', target: '≤ 2' },
      { bench, metric: 'answers 429 (all kinds)', value: stats.throttled, unit: 'requests', target: '' },
      { bench, metric: 'process RSS (max, sink + driver)', value: Math.round(rss / 2 ** 20), unit: 'MiB', target: '' }
    ]
  } finally {
    child.stdin?.end()
    if (child.exitCode === null) await once(child, 'exit')
  }
}
