import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchRow } from './types.js'
import { startNode } from './lib/processes.js'
import { seedGateway } from './lib/seed.js'

const ADMIN = 'bench-admin-key-0123456789abcdef0123456789'

async function python (args: string[], env: Record<string, string> = {}): Promise<Record<string, number>> {
  return await new Promise((resolve, reject) => {
    const p = spawn(process.env.TRACKGATE_PYTHON ?? 'python3', ['containers/client/bench_client.py', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', d => { out += String(d) })
    p.on('exit', code => {
      if (code !== 0) { reject(new Error(`bench_client.py exited ${code}`)); return }
      resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, number>)
    })
  })
}

/** The Python callback client: cost of `log()` in the training loop, and delivery against the real gateway. */
export default async function clientBench (): Promise<BenchRow[]> {
  const enqueue = await python(['--points', '200000', '--keys', '4'])
  const dir = mkdtempSync(join(tmpdir(), 'trackgate-bench-'))
  const gw = await startNode('src/server.ts', { TRACKGATE_DATA_DIR: dir, TRACKGATE_ADMIN_KEY: ADMIN, LOG_LEVEL: 'warn' })
  try {
    const { key } = await seedGateway(gw.url, ADMIN, 0)
    const run = await fetch(`${gw.url}/v1/runs`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"name":"client-bench"}' })
    const { id, token } = await run.json() as { id: string, token: string }
    const live = await python([gw.url, '--run-id', id, '--token', token, '--points', '200000', '--keys', '4'])
    return [
      { bench: 'python client', metric: 'log() call, 4 metrics (training loop overhead)', value: enqueue.log_us_per_call ?? NaN, unit: 'µs', target: '< 20' },
      { bench: 'python client', metric: 'batches/s delivered to the gateway (500 points/batch)', value: live.batches_per_s ?? NaN, unit: 'batches/s', target: '' },
      { bench: 'python client', metric: 'points/s delivered end to end', value: live.points_per_s ?? NaN, unit: 'points/s', target: '' }
    ]
  } finally {
    await gw.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
