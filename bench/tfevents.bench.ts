import { open, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeEvent, encodeFileVersion, encodeScalars, type ScalarValue } from '../src/codecs/tfevents/index.js'
import type { BenchRow } from './types.js'

const TAGS = 50
const SCALARS = 2_000_000
// The sink's shape: one encodeScalars per step, records gathered and appended in big writes.
const FLUSH_BYTES = 4 * 1024 * 1024

interface Result { seconds: number, bytes: number, scalars: number }

async function encodeAndWrite (file: string, scalars: number): Promise<Result> {
  const tags = Array.from({ length: TAGS }, (_, i) => `train/metric_${String(i).padStart(2, '0')}`)
  const values: ScalarValue[] = tags.map((tag) => ({ tag, value: 0 }))
  const steps = Math.ceil(scalars / TAGS)
  const t0 = process.hrtime.bigint()
  const fh = await open(file, 'w')
  let bytes = 0
  try {
    let chunks: Buffer[] = [encodeFileVersion(Date.now() / 1000)]
    let pending = chunks[0]?.length ?? 0
    for (let step = 0; step < steps; step++) {
      for (let i = 0; i < TAGS; i++) (values[i] as ScalarValue).value = Math.sin(step * 0.001 + i)
      const record = encodeScalars(1_700_000_000 + step * 0.01, step, values)
      chunks.push(record)
      pending += record.length
      if (pending >= FLUSH_BYTES) {
        await fh.writev(chunks)
        bytes += pending
        chunks = []
        pending = 0
      }
    }
    if (pending > 0) await fh.writev(chunks)
    bytes += pending
  } finally {
    await fh.close()
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  if ((await stat(file)).size !== bytes) throw new Error('tfevents bench: file size differs from bytes written')
  return { seconds, bytes, scalars: steps * TAGS }
}

/** Encode-only rate of the protobufjs reflection path, the reason the scalar encoder is hand-written. */
function protobufjsRate (scalars: number): number {
  const tags = Array.from({ length: TAGS }, (_, i) => `train/metric_${String(i).padStart(2, '0')}`)
  const steps = Math.ceil(scalars / TAGS)
  const t0 = process.hrtime.bigint()
  for (let step = 0; step < steps; step++) {
    encodeEvent({ wall_time: 1_700_000_000 + step, step, summary: { value: tags.map((tag, i) => ({ tag, simple_value: i + step })) } })
  }
  return (steps * TAGS) / (Number(process.hrtime.bigint() - t0) / 1e9)
}

export default async function tfeventsBench (): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tfevents-bench-'))
  try {
    await encodeAndWrite(join(dir, 'warmup.tfevents'), 200_000) // let the JIT settle first
    const r = await encodeAndWrite(join(dir, 'events.out.tfevents.bench'), SCALARS)
    const label = `encode + write, ${TAGS} tags/step, ${(r.scalars / 1e6).toFixed(1)}M scalars`
    return [
      { bench: 'tfevents', metric: `scalars/s (${label})`, value: Math.round(r.scalars / r.seconds), unit: 'scalars/s', target: '≥ 1,000,000 scalars/s' },
      { bench: 'tfevents', metric: `MB/s written (${label})`, value: Number((r.bytes / 1e6 / r.seconds).toFixed(1)), unit: 'MB/s', target: '' },
      { bench: 'tfevents', metric: 'scalars/s encode only, protobufjs reflection (for comparison)', value: Math.round(protobufjsRate(200_000)), unit: 'scalars/s', target: '' }
    ]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
