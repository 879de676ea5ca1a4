import type { Test } from 'tap'
import { startMlflowEmulator, type MlflowEmulator, type MlflowEmulatorOptions, type RunView } from '../emulators/mlflow/index.js'
import { norm, postLog, toNumber, type Call, type Wire } from './e2e-helper.js'

/** Shared pieces of the MLflow end-to-end tests. */
export const RUN_ID_TAG = 'trackgate.run_id'
// Short retries and a short shutdown grace: teardown must not wait for a held request.
export const FAST = { TRACKGATE_SHUTDOWN_GRACE_MS: '300', TRACKGATE_DISPATCH_LINGER_MS: '20' }

export interface Point { key: string, value: Wire, step: number, timestamp: number }

export async function emulator (t: Test, opts: MlflowEmulatorOptions = {}): Promise<MlflowEmulator> {
  const emu = await startMlflowEmulator(opts)
  t.teardown(() => emu.close())
  return emu
}

/** The emulator's single MLflow run created for our run (found by the tag the sink sets). */
export function remoteRuns (emu: MlflowEmulator, runId: string): RunView[] {
  return emu.runs().filter(r => r.tags[RUN_ID_TAG] === runId)
}

/** What MLflow stores for a point: NaN stays NaN, ±Inf becomes ±max double (SQL store). */
export const stored = (v: Wire): number => {
  const n = toNumber(v)
  return n === Infinity ? Number.MAX_VALUE : n === -Infinity ? -Number.MAX_VALUE : n
}
export const sortKey = (a: { step: number, timestamp: number, value: number }, b: { step: number, timestamp: number, value: number }): number =>
  a.step - b.step || a.timestamp - b.timestamp || String(a.value).localeCompare(String(b.value))

/** The remote run holds exactly these points, each once, with value, step and timestamp. */
export function assertPoints (t: Test, view: RunView, points: Point[], what: string): void {
  const want: Record<string, Array<{ value: unknown, step: number, timestamp: number }>> = {}
  for (const p of points) (want[p.key] ??= []).push({ value: stored(p.value), step: p.step, timestamp: p.timestamp })
  const asRows = (m: Record<string, Array<{ value: number, step: number, timestamp: number }>>) =>
    Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)).map(([k, l]) => [k, [...l].sort(sortKey).map(p => [norm(p.value), p.step, p.timestamp])]))
  const got = asRows(view.metrics)
  const exp = asRows(want as Record<string, Array<{ value: number, step: number, timestamp: number }>>)
  t.equal(Object.values(view.metrics).reduce((n, l) => n + l.length, 0), points.length, `${what}: point count`)
  t.same(Object.keys(got), Object.keys(exp), `${what}: the same keys`)
  let bad = 0
  for (const k of Object.keys(exp)) {
    if (JSON.stringify(got[k]) !== JSON.stringify(exp[k])) {
      if (bad++ < 3) t.same(got[k], exp[k], `${what}: key ${k}`)
    }
  }
  t.equal(bad, 0, `${what}: every key holds exactly the points sent, once`)
}

export const special = (t0: number): Point[] => [
  { key: 'loss', value: 'NaN', step: 0, timestamp: t0 },
  { key: 'loss', value: 'Infinity', step: 1, timestamp: t0 + 1 },
  { key: 'loss', value: '-Infinity', step: 2, timestamp: t0 + 2 },
  { key: 'loss', value: 0.5, step: 3, timestamp: t0 + 3 },
  { key: 'val/dice', value: 0.25, step: 3, timestamp: t0 + 3 },
  { key: 'val/dice', value: 'NaN', step: 4, timestamp: t0 + 4 }
]

/** 200 keys × 25 steps = 5,000 points (every key also has one NaN and one -Infinity). */
export const wide = (t0: number): Point[] => {
  const out: Point[] = []
  for (let s = 0; s < 25; s++) {
    for (let k = 0; k < 200; k++) {
      const key = `layer/${String(k).padStart(3, '0')}/grad_norm`
      const value: Wire = s === 7 ? 'NaN' : s === 11 && k % 2 === 0 ? '-Infinity' : Math.round((k * 1000 + s) * 37) / 1024
      out.push({ key, value, step: s, timestamp: t0 + 100 + s })
    }
  }
  return out
}

export const log = async (call: Call, run: { id: string, token: string }, batchId: string, metrics: Point[], extra: Record<string, unknown> = {}): Promise<void> => {
  const r = await postLog(() => call, run.id, run.token, { batchId, metrics, ...extra })
  if (r.status !== 202) throw new Error(`log ${batchId}: ${r.status} ${JSON.stringify(r.body)}`)
}
