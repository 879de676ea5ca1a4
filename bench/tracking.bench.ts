import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchRow } from './types.js'
import { startNode, type Child } from './lib/processes.js'
import { startSageMakerEmulator, type EmulatorOptions, type SageMakerEmulator } from '../test/emulators/sagemaker/index.js'
import { createSageMakerApi } from '../src/launch/sagemaker/client.js'

const ADMIN = 'bench-admin-key-0123456789abcdef0123456789'
const SECRET = 'bench-eventbridge-secret-0123456789'
const JOBS = Number(process.env['BENCH_TRACKING_JOBS'] ?? 1000)
const STEADY_S = Number(process.env['BENCH_TRACKING_STEADY_S'] ?? 15)
const STOPS = 50
const POLL = { min: 5000, max: 20000, rps: 50 }

const cpuTicks = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const describes = (emu: SageMakerEmulator): number => emu.requests.filter(r => r.operation === 'DescribeTrainingJob').length
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN

async function post (url: string, path: string, auth: string, body: unknown): Promise<any> {
  const r = await fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`)
  return await r.json()
}

/**
 * Stops `names` behind the gateway's back (straight at the emulator) and measures, per job, the
 * time from SageMaker's state change (Stopped) to the run's status change seen through the API.
 */
async function stateChangeLatency (gw: Child, key: string, emu: SageMakerEmulator, jobs: Array<{ name: string, runId: string }>, timeoutMs: number): Promise<{ ms: number[], missed: number }> {
  const api = createSageMakerApi({ region: 'us-east-1', endpoint: emu.url, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } })
  const changedAt = new Map<string, number>()
  await Promise.all(jobs.map(async j => {
    await api.stopTrainingJob(j.name)
    await emu.waitFor(j.name, 'Stopped', 10000)
    changedAt.set(j.runId, Date.now())
  }))
  api.close()
  const seen = new Map<string, number>()
  const until = Date.now() + timeoutMs
  while (seen.size < jobs.length && Date.now() < until) {
    const r = await fetch(`${gw.url}/v1/runs?status=KILLED&limit=1000`, { headers: { authorization: `Bearer ${key}` } })
    const page = await r.json() as { items: Array<{ id: string }> }
    const now = Date.now()
    for (const run of page.items) if (changedAt.has(run.id) && !seen.has(run.id)) seen.set(run.id, now)
    await sleep(50)
  }
  return { ms: [...seen.entries()].map(([id, at]) => at - (changedAt.get(id) ?? at)), missed: jobs.length - seen.size }
}

/** 1,000 concurrent SageMaker jobs tracked against the emulator, with and without EventBridge. */
export default async function trackingBench (): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const emuOptions: EmulatorOptions = { outcome: () => ({ kind: 'hang' }), timings: { stoppingMs: 200 } }
  const emu = await startSageMakerEmulator(emuOptions)
  const dir = mkdtempSync(join(tmpdir(), 'trackgate-bench-tracking-'))
  const gw = await startNode('src/server.ts', {
    TRACKGATE_DATA_DIR: dir,
    TRACKGATE_ADMIN_KEY: ADMIN,
    LOG_LEVEL: 'warn',
    TRACKGATE_SQLITE_SYNCHRONOUS: 'NORMAL',
    TRACKGATE_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/SageMakerRole',
    TRACKGATE_EVENTS_SECRET: SECRET,
    TRACKGATE_SAGEMAKER_POLL_MIN_MS: String(POLL.min),
    TRACKGATE_SAGEMAKER_POLL_MAX_MS: String(POLL.max),
    TRACKGATE_SAGEMAKER_DESCRIBE_RPS: String(POLL.rps),
    // The SDK's own settings: the emulator stands in for SageMaker.
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SAGEMAKER: emu.url,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret'
  })
  const label = `${JOBS} jobs, poll ${POLL.min / 1000}–${POLL.max / 1000} s, ≤ ${POLL.rps} Describe/s`
  try {
    const project = await post(gw.url, '/v1/projects', ADMIN, { name: 'bench' })
    const { key } = await post(gw.url, `/v1/projects/${project.id as string}/keys`, ADMIN, { role: 'write' })
    const jobs: Array<{ name: string, runId: string }> = []
    const t0 = Date.now()
    let next = 0
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < JOBS) {
        const i = next++
        const job = await post(gw.url, '/v1/jobs', key, {
          name: `bench-${i}`, backend: 'sagemaker', model: 'SegResNet', instanceType: 'ml.g5.2xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/trackgate-trainer:1', outputS3Uri: 's3://bench/output'
        })
        jobs.push({ name: job.sagemaker.trainingJobName, runId: job.runId })
      }
    }))
    rows.push({ bench: 'tracking', metric: `launch ${JOBS} jobs (POST /v1/jobs, 32 concurrent)`, value: Math.round(JOBS / ((Date.now() - t0) / 1000)), unit: 'jobs/s', target: '' })

    // Steady state without EventBridge: polls only.
    await sleep(POLL.min)
    const d0 = describes(emu)
    const c0 = cpuTicks(gw.proc.pid as number)
    await sleep(STEADY_S * 1000)
    const perJobMin = (describes(emu) - d0) / JOBS / (STEADY_S / 60)
    const cpu = (cpuTicks(gw.proc.pid as number) - c0) / 100 / STEADY_S * 100
    rows.push(
      { bench: 'tracking', metric: `DescribeTrainingJob per job per minute, polling only (${label})`, value: Number(perJobMin.toFixed(2)), unit: 'calls', target: '' },
      { bench: 'tracking', metric: `gateway CPU while tracking ${JOBS} jobs (polling)`, value: Number(cpu.toFixed(1)), unit: '% of a core', target: '' },
      { bench: 'tracking', metric: `gateway RSS while tracking ${JOBS} jobs`, value: Math.round(gw.rssMb()), unit: 'MB', target: '' }
    )

    const polled = await stateChangeLatency(gw, key, emu, jobs.slice(0, STOPS), POLL.max * 3)
    rows.push(
      { bench: 'tracking', metric: `state change → run status, polling only: p50 (${STOPS} jobs)`, value: pct(polled.ms, 0.5), unit: 'ms', target: '' },
      { bench: 'tracking', metric: 'state change → run status, polling only: p99', value: pct(polled.ms, 0.99), unit: 'ms', target: `≤ ${POLL.max * 1.2 + 1000} (poll ceiling + jitter)` }
    )

    // EventBridge on: the emulator posts every state change to the webhook.
    emuOptions.eventBridge = { url: `${gw.url}/v1/events/sagemaker`, secret: SECRET }
    const evented = await stateChangeLatency(gw, key, emu, jobs.slice(STOPS, 2 * STOPS), 10000)
    rows.push(
      { bench: 'tracking', metric: `state change → run status, EventBridge: p50 (${STOPS} jobs)`, value: pct(evented.ms, 0.5), unit: 'ms', target: '' },
      { bench: 'tracking', metric: 'state change → run status, EventBridge: p99', value: pct(evented.ms, 0.99), unit: 'ms', target: '< 1000' }
    )
    const d1 = describes(emu)
    const c1 = cpuTicks(gw.proc.pid as number)
    await sleep(STEADY_S * 500)
    rows.push(
      { bench: 'tracking', metric: 'DescribeTrainingJob per job per minute once events flow (reconciliation poll 15 min)', value: Number(((describes(emu) - d1) / JOBS / (STEADY_S / 120)).toFixed(2)), unit: 'calls', target: '' },
      { bench: 'tracking', metric: `gateway CPU while tracking ${JOBS} jobs (EventBridge)`, value: Number(((cpuTicks(gw.proc.pid as number) - c1) / 100 / (STEADY_S / 2) * 100).toFixed(1)), unit: '% of a core', target: '' }
    )
    if (polled.missed + evented.missed > 0) rows.push({ bench: 'tracking', metric: 'state changes never seen', value: polled.missed + evented.missed, unit: 'jobs', target: '0' })
  } finally {
    await gw.stop()
    await emu.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}
