import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { AddressedRecord } from '../src/domain/records.js'
import { createMlflowSink } from '../src/sinks/mlflow/index.js'
import type { SinkRun } from '../src/sinks/sink.js'
import type { BenchRow } from './types.js'

const RUNS = Number(process.env.MLFLOW_BENCH_RUNS ?? 50)
const POINTS_PER_RUN = 20_000
const KEYS = 20
const LATENCY_MS = Number(process.env.MLFLOW_BENCH_LATENCY_MS ?? 5)

function recordsFor (from: number, n: number, seqBase: number): AddressedRecord[] {
  const out: AddressedRecord[] = []
  for (let i = from; i < from + n; i++) {
    const step = Math.floor(i / KEYS)
    out.push({ kind: 'metric', key: `train/metric_${i % KEYS}`, value: Math.sin(i * 0.001), step, timestamp: 1_700_000_000_000 + step * 10, seq: seqBase + Math.floor((i - from) / 100), idx: (i - from) % 100 })
  }
  return out
}

/**
 * The MLflow sink against the emulator in a child process with 5 ms added per request:
 * 50 runs delivered concurrently, one deliver in flight per run, state threaded as the dispatcher does.
 */
export default async function bench (): Promise<BenchRow[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/emulators/mlflow/serve.ts', String(LATENCY_MS)], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string]
    const { url, stats } = JSON.parse(line) as { url: string, stats: string }
    const sink = createMlflowSink({ trackingUri: url })
    const signal = new AbortController().signal
    const t0 = performance.now()
    await Promise.all(Array.from({ length: RUNS }, async (_, r) => {
      const run: SinkRun = { id: `bench-${r}`, projectId: 'p', name: `bench-${r}`, experiment: 'bench', tags: {}, createdAt: 1_700_000_000_000, jobName: null, parentRunId: null, group: null }
      let state: unknown = null
      let seq = 1
      for (let from = 0; from < POINTS_PER_RUN; from += sink.maxBatchRecords) {
        const batch = recordsFor(from, Math.min(sink.maxBatchRecords, POINTS_PER_RUN - from), seq)
        seq = (batch.at(-1)?.seq ?? seq) + 1
        state = (await sink.deliver({ run, state, signal }, batch)).state
      }
      await sink.deliver({ run, state, signal }, [{ kind: 'status', status: 'FINISHED', timestamp: 1_700_000_999_000, seq, idx: 0 }])
    }))
    const seconds = (performance.now() - t0) / 1000
    await sink.close?.()
    const res = await fetch(stats)
    const s = await res.json() as { requests: number, runs: number, points: number, logBatch: number }
    if (s.points !== RUNS * POINTS_PER_RUN || s.runs !== RUNS) throw new Error(`emulator holds ${s.points} points in ${s.runs} runs`)
    const total = RUNS * POINTS_PER_RUN
    return [
      { bench: 'mlflow sink', metric: 'HTTP requests per 10,000 points (log-batch, run open)', value: Math.round(s.logBatch / total * 10_000 * 100) / 100, unit: 'requests', target: '≤ 11' },
      { bench: 'mlflow sink', metric: `HTTP requests per 10,000 points (whole run: setup + ${POINTS_PER_RUN / 1000}k points + FINISHED)`, value: Math.round(s.requests / total * 10_000 * 100) / 100, unit: 'requests', target: '' },
      { bench: 'mlflow sink', metric: `points/s delivered (${RUNS} runs concurrently, ${LATENCY_MS} ms added latency)`, value: Math.round(total / seconds), unit: 'points/s', target: '' }
    ]
  } finally {
    child.kill('SIGTERM'); await once(child, 'exit')
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) console.table(await bench())
