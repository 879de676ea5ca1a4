import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchRow } from './types.js'
import { startNode } from './lib/processes.js'
import { startSageMakerEmulator } from '../test/emulators/sagemaker/index.js'
import { suggest } from '../src/tuning/strategy.js'
import { createRng } from '../src/tuning/random.js'
import type { Ranges } from '../src/tuning/ranges.js'

const ADMIN = 'bench-admin-key-0123456789abcdef0123456789'
const TRIALS = Number(process.env['BENCH_TUNING_TRIALS'] ?? 100)
const PARALLEL = 10
const LOCAL_TRIALS = Number(process.env['BENCH_TUNING_LOCAL_TRIALS'] ?? 12)

const cpuTicks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return Number(f[11]) + Number(f[12])
}
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

async function call (url: string, method: string, path: string, auth: string, body?: unknown): Promise<any> {
  const r = await fetch(url + path, { method, headers: { authorization: `Bearer ${auth}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, ...(body !== undefined && { body: JSON.stringify(body) }) })
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`)
  return await r.json()
}

async function project (url: string): Promise<string> {
  const p = await call(url, 'POST', '/v1/projects', ADMIN, { name: 'bench' })
  return (await call(url, 'POST', `/v1/projects/${p.id as string}/keys`, ADMIN, { role: 'write' })).key
}

async function until (url: string, key: string, id: string, ms: number): Promise<any> {
  const end = Date.now() + ms
  for (;;) {
    const t = await call(url, 'GET', `/v1/tuning-jobs/${id}`, key)
    if (['COMPLETED', 'FAILED', 'STOPPED'].includes(t.status)) return t
    if (Date.now() > end) throw new Error(`tuning job ${id} still ${t.status as string}`)
    await sleep(500)
  }
}

const ranges: Ranges = {
  lr: { type: 'continuous', min: 1e-5, max: 1e-2, scaling: 'log' },
  batch_size: { type: 'integer', min: 1, max: 8 },
  model: { type: 'categorical', values: ['UNet', 'SegResNet', 'SwinUNETR'] }
}

/** A 100-trial SageMaker tuning job tracked against the emulator; a local search's overhead per trial. */
export default async function tuningBench (): Promise<BenchRow[]> {
  const rows: BenchRow[] = []

  // 1. SageMaker: every trial's container claims its run and reports; the gateway discovers and tracks trials.
  const emu = await startSageMakerEmulator({ timings: { startingMs: 300, downloadingMs: 200, trainingMs: 1500, uploadingMs: 200, launchMs: 50 }, container: { epochs: 2, stepsPerEpoch: 5 } })
  const dir = mkdtempSync(join(tmpdir(), 'trackgate-bench-tuning-'))
  const gw = await startNode('src/server.ts', {
    TRACKGATE_DATA_DIR: dir,
    TRACKGATE_ADMIN_KEY: ADMIN,
    LOG_LEVEL: 'warn',
    TRACKGATE_SAGEMAKER_ROLE_ARN: 'arn:aws:iam::123456789012:role/SageMakerRole',
    TRACKGATE_SAGEMAKER_POLL_MIN_MS: '2000',
    TRACKGATE_SAGEMAKER_POLL_MAX_MS: '10000',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SAGEMAKER: emu.url,
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret'
  })
  try {
    const key = await project(gw.url)
    const c0 = cpuTicks(gw.proc.pid as number)
    const t0 = Date.now()
    const created = await call(gw.url, 'POST', '/v1/tuning-jobs', key, {
      name: 'bench-hpo',
      backend: 'sagemaker',
      job: { name: 'bench', model: 'SegResNet', instanceType: 'ml.g5.2xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/trackgate-trainer:1', outputS3Uri: 's3://bench/output', spot: { maxWaitSeconds: 172800 } },
      ranges,
      objective: { metric: 'val:dice', type: 'Maximize' },
      strategy: 'Bayesian',
      maxJobs: TRIALS,
      maxParallelJobs: PARALLEL
    })
    const done = await until(gw.url, key, created.id, 600_000)
    const minutes = (Date.now() - t0) / 60000
    const cpu = (cpuTicks(gw.proc.pid as number) - c0) / 100 / ((Date.now() - t0) / 1000) * 100
    const count = (op: string): number => emu.requests.filter(r => r.operation === op).length
    const label = `${TRIALS} trials, ${PARALLEL} at a time, ${minutes.toFixed(1)} min; emulated time, polls every 2–10 s`
    rows.push(
      { bench: 'tuning', metric: `SageMaker search tracked to the end (${label}): trials recorded`, value: done.trials.length, unit: 'trials', target: String(TRIALS) },
      { bench: 'tuning', metric: 'DescribeHyperParameterTuningJob', value: Number((count('DescribeHyperParameterTuningJob') / minutes).toFixed(1)), unit: 'calls/min', target: '' },
      { bench: 'tuning', metric: 'ListTrainingJobsForHyperParameterTuningJob', value: Number((count('ListTrainingJobsForHyperParameterTuningJob') / minutes).toFixed(1)), unit: 'calls/min', target: '≤ 120 (≈ 2/s List limit)' },
      { bench: 'tuning', metric: 'DescribeTrainingJob (trial tracking under the Describe budget, plus one per claim)', value: Number((count('DescribeTrainingJob') / minutes).toFixed(1)), unit: 'calls/min', target: '≤ 300 + claims (5/s budget)' },
      { bench: 'tuning', metric: 'DescribeTrainingJob per trial, whole search', value: Number((count('DescribeTrainingJob') / TRIALS).toFixed(1)), unit: 'calls', target: '' },
      { bench: 'tuning', metric: 'SageMaker API calls per trial, whole search (all operations)', value: Number((emu.requests.length / TRIALS).toFixed(1)), unit: 'calls', target: '' },
      { bench: 'tuning', metric: 'ThrottlingException answers', value: emu.requests.filter(r => r.errorType === 'ThrottlingException').length, unit: 'answers', target: '0' },
      { bench: 'tuning', metric: 'gateway CPU while the search runs', value: Number(cpu.toFixed(1)), unit: '% of a core', target: '' },
      { bench: 'tuning', metric: 'gateway RSS at the end', value: Math.round(gw.rssMb()), unit: 'MB', target: '' }
    )
  } finally {
    await gw.stop()
    await emu.close()
    rmSync(dir, { recursive: true, force: true })
  }

  // 2. Local: the gateway's own search over the simulator (one trial at a time, tiny trials).
  const localDir = mkdtempSync(join(tmpdir(), 'trackgate-bench-tuning-local-'))
  const local = await startNode('src/server.ts', { TRACKGATE_DATA_DIR: localDir, TRACKGATE_ADMIN_KEY: ADMIN, LOG_LEVEL: 'warn' })
  try {
    const key = await project(local.url)
    const created = await call(local.url, 'POST', '/v1/tuning-jobs', key, {
      name: 'bench-local',
      backend: 'local',
      job: { name: 'bench', model: 'SegResNet', hyperparameters: { epochs: 1, steps_per_epoch: 1, step_sleep: 0 } },
      ranges,
      objective: { metric: 'val:dice', type: 'Maximize' },
      strategy: 'Bayesian',
      maxJobs: LOCAL_TRIALS,
      maxParallelJobs: 1
    })
    const done = await until(local.url, key, created.id, 300_000)
    const trials = done.trials as Array<{ startedAt: string, endedAt: string }>
    const gaps = trials.slice(1).map((tr, i) => Date.parse(tr.startedAt) - Date.parse(trials[i]?.endedAt ?? tr.startedAt))
    const lengths = trials.map(tr => Date.parse(tr.endedAt) - Date.parse(tr.startedAt))
    rows.push(
      { bench: 'tuning', metric: `local search: trial end → next trial started (median of ${gaps.length}, Bayesian)`, value: median(gaps), unit: 'ms', target: '' },
      { bench: 'tuning', metric: 'local search: one simulator trial (python start to exit, for scale)', value: median(lengths), unit: 'ms', target: '' }
    )
  } finally {
    await local.stop()
    rmSync(localDir, { recursive: true, force: true })
  }

  // 3. The optimizer itself: one Bayesian suggestion from 100 observations.
  const rng = createRng(1)
  const observations = Array.from({ length: 100 }, () => ({
    assignment: { lr: 10 ** (-5 + 3 * rng()), batch_size: 1 + Math.floor(rng() * 8), model: ['UNet', 'SegResNet', 'SwinUNETR'][Math.floor(rng() * 3)] as string },
    objective: rng()
  }))
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const s = performance.now()
    suggest('Bayesian', { ranges, direction: 'Maximize', observations, pending: [], count: 1, seed: i, trialIndex: 100 })
    times.push(performance.now() - s)
  }
  rows.push({ bench: 'tuning', metric: 'Bayesian suggestion from 100 observations (3 ranges)', value: Number(median(times).toFixed(1)), unit: 'ms', target: '' })
  return rows
}
