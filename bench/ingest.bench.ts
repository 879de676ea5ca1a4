import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchRow } from './types.js'
import { runNodeJson, startNode } from './lib/processes.js'
import { seedGateway } from './lib/seed.js'

interface Load { rps: number, total: number, non2xx: number, errors: number, p50: number, p99: number, statusCodes: unknown, errorKinds: unknown }

const ADMIN = 'bench-admin-key-0123456789abcdef0123456789'
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8)
const POINTS = 100
const RUNS = 32

/**
 * Durable ingest against the same load on a no-op Fastify route: three processes (server under
 * test, yardstick, load generator), 100 points per request, then the gateway again at half its
 * peak rate for latency. Done for SQLite synchronous=FULL and NORMAL.
 */
/** Seconds until every sink has caught up (the backlog gauge reads 0), so the next phase starts clean. */
async function drained (url: string): Promise<number> {
  const started = Date.now()
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text()
    const backlog = [...text.matchAll(/^trackgate_sink_backlog_entries\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
    if (backlog === 0 || Date.now() - started > 120_000) return (Date.now() - started) / 1000
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

export default async function ingestBench (): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  // The yardstick is measured before and after the gateway runs (this machine's speed drifts), and
  // the gateway is compared with the faster of the two: the conservative ratio.
  const noopRun = async (): Promise<Load> => {
    const noop = await startNode('bench/lib/noop-server.ts', {})
    try {
      await runNodeJson<Load>('bench/lib/load.ts', { url: noop.url, auth: 'x', runIds: ['r'], connections: CONNECTIONS, durationS: 2, points: POINTS })
      return await runNodeJson<Load>('bench/lib/load.ts', { url: noop.url, auth: 'x', runIds: ['r'], connections: CONNECTIONS, durationS: DURATION_S, points: POINTS })
    } finally {
      await noop.stop()
    }
  }
  const before = await noopRun()
  const measured: Array<{ sync: string, peak: Load, half: Load, drainS: number, rss: number }> = []
  for (const sync of ['FULL', 'NORMAL'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'trackgate-bench-'))
    const gw = await startNode('src/server.ts', { TRACKGATE_DATA_DIR: dir, TRACKGATE_ADMIN_KEY: ADMIN, LOG_LEVEL: 'warn', TRACKGATE_SQLITE_SYNCHRONOUS: sync })
    try {
      const { key, runIds } = await seedGateway(gw.url, ADMIN, RUNS)
      const args = { url: gw.url, auth: key, runIds, connections: CONNECTIONS, points: POINTS }
      await runNodeJson<Load>('bench/lib/load.ts', { ...args, durationS: 2 })
      const peak = await runNodeJson<Load>('bench/lib/load.ts', { ...args, durationS: DURATION_S })
      const drainS = await drained(gw.url)
      const half = await runNodeJson<Load>('bench/lib/load.ts', { ...args, durationS: DURATION_S, overallRate: Math.max(1, Math.round(peak.rps / 2)) })
      measured.push({ sync, peak, half, drainS, rss: gw.rssMb() })
    } finally {
      await gw.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const after = await noopRun()
  const base = Math.max(before.rps, after.rps)
  rows.push({ bench: 'durable ingest', metric: `no-op Fastify route, req/s (${CONNECTIONS} conns; before / after)`, value: Math.round(base), unit: `req/s (${Math.round(before.rps)} / ${Math.round(after.rps)})`, target: '' })
  for (const { sync, peak, half, drainS, rss } of measured) {
    const bad = peak.non2xx + peak.errors + half.non2xx + half.errors
    if (bad > 0) process.stderr.write(`bench: ${sync} failures: peak ${JSON.stringify([peak.statusCodes, peak.errorKinds])} half ${JSON.stringify([half.statusCodes, half.errorKinds])}\n`)
    rows.push(
      { bench: 'durable ingest', metric: `synchronous=${sync}: req/s at peak (${CONNECTIONS} conns)`, value: Math.round(peak.rps), unit: 'req/s', target: '' },
      { bench: 'durable ingest', metric: `synchronous=${sync}: points/s at peak`, value: Math.round(peak.rps * POINTS), unit: 'points/s', target: '' },
      { bench: 'durable ingest', metric: `synchronous=${sync}: ratio to the faster no-op run`, value: Number((peak.rps / base).toFixed(2)), unit: '×', target: '≥ 0.6' },
      { bench: 'durable ingest', metric: `synchronous=${sync}: p50 at half peak (${Math.round(half.rps)} req/s)`, value: half.p50, unit: 'ms', target: '' },
      { bench: 'durable ingest', metric: `synchronous=${sync}: p99 at half peak`, value: half.p99, unit: 'ms', target: '< 20' },
      { bench: 'durable ingest', metric: `synchronous=${sync}: TensorBoard backlog drained after peak`, value: Number(drainS.toFixed(1)), unit: 's', target: '' },
      { bench: 'durable ingest', metric: `synchronous=${sync}: failed requests`, value: bad, unit: 'req', target: '0' },
      { bench: 'durable ingest', metric: `synchronous=${sync}: gateway RSS after load`, value: Math.round(rss), unit: 'MB', target: '' }
    )
  }
  return rows
}
