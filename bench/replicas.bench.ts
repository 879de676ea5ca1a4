import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { BenchRow } from './types.js'
import { runNodeJson, startNode, type Child } from './lib/processes.js'
import { seedGateway } from './lib/seed.js'

interface Load { rps: number, non2xx: number, errors: number, p50: number, p99: number }

const ADMIN = 'bench-admin-key-0123456789abcdef0123456789'
const SERVER = process.env.TRACKGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6)
const POINTS = 100
const RUNS = 32

const withDb = (url: string, db: string): string => { const u = new URL(url); u.pathname = `/${db}`; return u.toString() }

/** The same load spread over the replicas, one load process each; rates add up, the worst p99 is kept. */
async function spread (urls: string[], key: string, runIds: string[], rate?: number): Promise<Load> {
  const loads = await Promise.all(urls.map(async url => await runNodeJson<Load>('bench/lib/load.ts', {
    url,
    auth: key,
    runIds,
    connections: Math.max(1, Math.round(CONNECTIONS / urls.length)),
    points: POINTS,
    durationS: DURATION_S,
    ...(rate !== undefined && { overallRate: Math.max(1, Math.round(rate / urls.length)) })
  })))
  return loads.reduce((a, l) => ({ rps: a.rps + l.rps, non2xx: a.non2xx + l.non2xx, errors: a.errors + l.errors, p50: Math.max(a.p50, l.p50), p99: Math.max(a.p99, l.p99) }))
}

/** Until every sink has caught up (the backlog gauge reads 0), so the latency phase starts clean. */
async function drained (url: string): Promise<void> {
  const until = Date.now() + 180_000
  while (Date.now() < until) {
    const text = await (await fetch(`${url}/metrics`)).text()
    if ([...text.matchAll(/^trackgate_sink_backlog_entries\{[^}]*\} (\d+)/gm)].every(m => m[1] === '0')) return
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}

async function measure (name: string, replicas: Child[], rows: BenchRow[]): Promise<void> {
  const urls = replicas.map(r => r.url)
  const { key, runIds } = await seedGateway(urls[0] as string, ADMIN, RUNS)
  await spread(urls, key, runIds.slice(0, 4)) // warm-up (JIT, prepared statements)
  const peak = await spread(urls, key, runIds)
  await drained(urls[0] as string)
  const half = await spread(urls, key, runIds, peak.rps / 2)
  rows.push(
    { bench: 'replicas', metric: `${name}: points/s at peak (${CONNECTIONS} conns, ${POINTS}/request)`, value: Math.round(peak.rps * POINTS), unit: 'points/s', target: '' },
    { bench: 'replicas', metric: `${name}: p99 ack at peak`, value: peak.p99, unit: 'ms', target: '' },
    { bench: 'replicas', metric: `${name}: p99 ack at half peak (${Math.round(half.rps)} req/s)`, value: half.p99, unit: 'ms', target: '' },
    { bench: 'replicas', metric: `${name}: failed requests`, value: peak.non2xx + peak.errors + half.non2xx + half.errors, unit: 'req', target: '0' }
  )
}

/**
 * Durable ingest on the embedded SQLite store and on PostgreSQL with 1, 2 and 3 replicas, in one
 * run on one box: every replica, the database and the load generators share its cores, so more
 * replicas here show the cost of sharing, not the gain of more machines.
 */
export default async function replicasBench (): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const dir = mkdtempSync(join(tmpdir(), 'trackgate-bench-replicas-'))
  try {
    const sqlite = await startNode('src/server.ts', { TRACKGATE_DATA_DIR: join(dir, 'sqlite'), TRACKGATE_ADMIN_KEY: ADMIN, LOG_LEVEL: 'warn' })
    try { await measure('SQLite, 1 process', [sqlite], rows) } finally { await sqlite.stop() }

    const admin = new pg.Client({ connectionString: SERVER })
    try {
      await admin.connect()
    } catch {
      rows.push({ bench: 'replicas', metric: `PostgreSQL: skipped (no server at ${new URL(SERVER).host})`, value: 0, unit: '', target: '' })
      return rows
    }
    try {
      for (const n of [1, 2, 3]) {
        const db = `tg_bench_${randomBytes(4).toString('hex')}`
        await admin.query(`CREATE DATABASE ${db}`)
        const replicas: Child[] = []
        try {
          // One at a time: the first migrates, the others find the schema.
          for (let i = 0; i < n; i++) {
            replicas.push(await startNode('src/server.ts', {
              TRACKGATE_DATA_DIR: join(dir, `${db}-${i}`),
              TRACKGATE_ADMIN_KEY: ADMIN,
              LOG_LEVEL: 'warn',
              TRACKGATE_DATABASE_URL: withDb(SERVER, db),
              TRACKGATE_REPLICA_ID: `bench-${i}`
            }))
          }
          await measure(`PostgreSQL, ${n} replica${n > 1 ? 's' : ''}`, replicas, rows)
        } finally {
          for (const r of replicas) await r.stop()
          await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
        }
      }
    } finally {
      await admin.end()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}
