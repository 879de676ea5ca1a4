import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Gateway } from '../../helper.js'

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
export const torchLogdir = resolve(repoRoot, '../shared/fixtures/torch_logdir')
export const torchExpectedJson = resolve(repoRoot, '../shared/fixtures/torch_logdir.expected.json')
export const RUN1_FILE = 'run1/events.out.tfevents.1795686765.vm.26673.0'
export const HPARAMS_FILE = 'run1/hparams/events.out.tfevents.1795686765.vm.26673.1'

export interface ExpectedScalar { run: string, tag: string, step: number, value: number, wall_time: number | null }
export const expected = JSON.parse(await readFile(torchExpectedJson, 'utf8')) as {
  scalars: ExpectedScalar[]
  hparams: { run: string, 'session_start_info.hparams': Record<string, unknown>, 'session_end_info.status': string }
}

export async function fixtureFile (file: string): Promise<Buffer> {
  return await readFile(resolve(torchLogdir, file))
}

export async function upload (g: Gateway, runId: string, auth: string, file: string, offset: number | string, bytes: Uint8Array): Promise<{ status: number, body: any, headers: Headers }> {
  const res = await fetch(`${g.url}/v1/runs/${runId}/tfevents?file=${encodeURIComponent(file)}&offset=${offset}`, {
    method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/octet-stream' }, body: bytes
  })
  const text = await res.text()
  return { status: res.status, body: text === '' ? null : JSON.parse(text), headers: res.headers }
}

export interface Point { key: string, value: number, step: number, timestamp: number }

export async function metrics (g: Gateway, runId: string, auth: string): Promise<Point[]> {
  const r = await g.call('GET', `/v1/runs/${runId}/metrics?limit=10000`, { auth })
  if (r.status !== 200) throw new Error(`metrics: ${r.status} ${JSON.stringify(r.body)}`)
  return r.body.items
}

/** Offsets where each record of a TFRecord file starts, and its end. */
export function recordStarts (buf: Buffer): number[] {
  const starts: number[] = []
  let pos = 0
  while (pos < buf.length) { starts.push(pos); pos += buf.readUInt32LE(pos) + 16 }
  return starts
}

export const byPoint = (a: Point, b: Point): number => a.key < b.key ? -1 : a.key > b.key ? 1 : a.step - b.step
