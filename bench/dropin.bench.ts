import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFileVersion, encodeScalars } from '../src/codecs/tfevents/index.js'
import { frameUpload } from '../src/ingest/tfevents/upload-framing.js'
import { uploadContent } from '../src/ingest/tfevents/upload-records.js'
import type { BenchRow } from './types.js'
import { runNodeJson, startNode } from './lib/processes.js'
import { seedGateway } from './lib/seed.js'

const ADMIN = 'bench-admin-key-0123456789abcdef0123456789'
const DECODE_SCALARS = 2_000_000
const UPLOAD_SCALARS = 300_000
const CHUNK = 4 * 1024 * 1024
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6)
const POINTS = 100
const RUNS = 32

interface Load { rps: number, non2xx: number, errors: number, p50: number, p99: number }

/** An event file as SummaryWriter.add_scalar writes it: one Event per scalar, 20 tags. */
function eventFile (scalars: number): Buffer {
  const parts: Buffer[] = [encodeFileVersion(1_700_000_000)]
  for (let i = 0; i < scalars; i++) {
    const step = Math.floor(i / 20)
    parts.push(encodeScalars(1_700_000_000 + step * 0.01, step, [{ tag: `train/metric_${i % 20}`, value: Math.sin(i * 0.001) }]))
  }
  return Buffer.concat(parts)
}

/** The gateway's decode path (framing with both CRCs, event decoding, keys) over 4 MB uploads. */
function decodeRate (file: Buffer): { rate: number, scalars: number } {
  const t0 = process.hrtime.bigint()
  let offset = 0
  let scalars = 0
  while (offset < file.length) {
    const framed = frameUpload(file.subarray(offset, offset + CHUNK), offset, CHUNK)
    const content = uploadContent(framed.records, '', framed.end, Number.MAX_SAFE_INTEGER)
    scalars += content.scalars
    offset = content.end
  }
  return { rate: scalars / (Number(process.hrtime.bigint() - t0) / 1e9), scalars }
}

/**
 * What a Python writer with SummaryWriter's framing writes per second (the stdlib writer of the
 * container tests: no protobuf, no queue, so faster than SummaryWriter itself, which this machine
 * cannot run: PyTorch's writer needs the `tensorboard` package).
 */
function pythonWriterRate (): number | undefined {
  const code = `
import sys, time, os, tempfile
sys.path.insert(0, 'containers/tests')
from tfrecord_writer import frame, scalar_event
n = 200000
with tempfile.TemporaryFile() as f:
    t0 = time.perf_counter()
    for i in range(n):
        f.write(frame(scalar_event(time.time(), i // 20, "train/metric_%d" % (i % 20), 0.5)))
    f.flush()
    print(n / (time.perf_counter() - t0))
`
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', timeout: 300_000 })
  return r.status === 0 ? Number(r.stdout.trim()) : undefined
}

async function uploadAll (url: string, runId: string, key: string, file: Buffer): Promise<number> {
  const t0 = process.hrtime.bigint()
  let offset = 0
  let scalars = 0
  while (offset < file.length) {
    const r = await fetch(`${url}/v1/runs/${runId}/tfevents?file=events.out.tfevents.1700000000.bench.1.0&offset=${offset}`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' }, body: file.subarray(offset, offset + CHUNK)
    })
    const body = await r.json() as { consumed: number, scalars: number }
    if (r.status !== 202) throw new Error(`tfevents upload: ${r.status} ${JSON.stringify(body)}`)
    scalars += body.scalars
    offset = body.consumed
  }
  if (scalars !== UPLOAD_SCALARS) throw new Error(`tfevents upload stored ${scalars} of ${UPLOAD_SCALARS} scalars`)
  return scalars / (Number(process.hrtime.bigint() - t0) / 1e9)
}

/**
 * Drop-in ingest: the event-file decode rate against a Python writer's rate; one client uploading
 * an event file to a gateway (durable, synchronous=FULL); MLflow-compatible `runs/log-batch`
 * against the native `/v1/runs/{id}/log` with the same 100 points per request, one gateway.
 */
export default async function dropinBench (): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  decodeRate(eventFile(100_000)) // let the JIT settle
  const decode = decodeRate(eventFile(DECODE_SCALARS))
  const py = pythonWriterRate()
  rows.push({ bench: 'drop-in ingest', metric: `event-file decode (${decode.scalars.toLocaleString('en-US')} scalars, 1 per event, CRC-checked)`, value: Math.round(decode.rate), unit: 'scalars/s', target: '≥ 1,000,000' })
  if (py !== undefined) {
    rows.push(
      { bench: 'drop-in ingest', metric: 'Python writer, SummaryWriter framing (stdlib, 1 core)', value: Math.round(py), unit: 'scalars/s', target: '' },
      // SummaryWriter itself (protobuf objects, a queue, a writer thread) is slower than this writer,
      // so the ratio to it is higher than this one; it is not installable here (no tensorboard package).
      { bench: 'drop-in ingest', metric: 'decode rate / that writer\'s rate (SummaryWriter is slower still)', value: Number((decode.rate / py).toFixed(1)), unit: '×', target: '≥ 65 vs SummaryWriter' }
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'trackgate-bench-dropin-'))
  const gw = await startNode('src/server.ts', { TRACKGATE_DATA_DIR: dir, TRACKGATE_ADMIN_KEY: ADMIN, LOG_LEVEL: 'warn' })
  try {
    const { key, runIds } = await seedGateway(gw.url, ADMIN, RUNS + 1)
    const [uploadRun, ...runs] = runIds as [string, ...string[]]
    const upload = await uploadAll(gw.url, uploadRun, key, eventFile(UPLOAD_SCALARS))
    rows.push({ bench: 'drop-in ingest', metric: `event-file upload, 1 client, 4 MB chunks (${UPLOAD_SCALARS.toLocaleString('en-US')} scalars, durable)`, value: Math.round(upload), unit: 'scalars/s', target: '' })
    const args = { url: gw.url, auth: key, runIds: runs, connections: CONNECTIONS, points: POINTS }
    const measure = async (mlflow: boolean): Promise<Load> => {
      await runNodeJson<Load>('bench/lib/load.ts', { ...args, mlflow, durationS: 2 })
      return await runNodeJson<Load>('bench/lib/load.ts', { ...args, mlflow, durationS: DURATION_S })
    }
    const native = await measure(false)
    const mlflow = await measure(true)
    for (const [name, l] of [['native /v1/runs/{id}/log', native], ['MLflow runs/log-batch', mlflow]] as const) {
      rows.push(
        { bench: 'drop-in ingest', metric: `${name}: req/s (${POINTS} points, ${CONNECTIONS} conns)`, value: Math.round(l.rps), unit: 'req/s', target: '' },
        { bench: 'drop-in ingest', metric: `${name}: p99`, value: l.p99, unit: 'ms', target: '' },
        { bench: 'drop-in ingest', metric: `${name}: failed requests`, value: l.non2xx + l.errors, unit: 'req', target: '0' }
      )
    }
    rows.push({ bench: 'drop-in ingest', metric: 'MLflow log-batch / native, req/s', value: Number((mlflow.rps / native.rps).toFixed(2)), unit: '×', target: '' })
  } finally {
    await gw.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}
