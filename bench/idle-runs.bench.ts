import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchRow } from './types.js'
import { startNode } from './lib/processes.js'
import { seedGateway } from './lib/seed.js'

const ADMIN = 'bench-admin-key-0123456789abcdef0123456789'

/** Memory with many idle runs: 10,000 runs created (each with params, delivered to TensorBoard), then left idle. */
export default async function idleRunsBench (): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'trackgate-bench-'))
  const gw = await startNode('src/server.ts', { TRACKGATE_DATA_DIR: dir, TRACKGATE_ADMIN_KEY: ADMIN, LOG_LEVEL: 'warn' })
  try {
    const started = Date.now()
    await seedGateway(gw.url, ADMIN, 10_000, 16)
    const createS = (Date.now() - started) / 1000
    await new Promise(resolve => setTimeout(resolve, 5000)) // several dispatcher scans while idle
    return [
      { bench: 'idle runs', metric: 'runs created/s (each with params)', value: Math.round(10_000 / createS), unit: 'runs/s', target: '' },
      { bench: 'idle runs', metric: 'gateway RSS with 10,000 idle runs', value: Math.round(gw.rssMb()), unit: 'MB', target: '< 300' }
    ]
  } finally {
    await gw.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
