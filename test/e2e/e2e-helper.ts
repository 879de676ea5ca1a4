/**
 * Shared bits of the end-to-end sink tests (test/e2e/*.test.ts): one way to call a gateway that
 * runs either in-process (test/helper.ts startGateway) or as a child process (test/crash/child.ts
 * GatewayProcess), waiting on `GET /v1/runs/{id}/sinks`, and a container-like callback client that
 * retries a batch with the same batchId (as gateway_client.py does) through 429/503 and restarts.
 * Not a test file itself (tap runs *.test.ts only).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Gateway } from '../helper.js'
import type { GatewayProcess } from '../crash/child.js'
import { startWandbEmulator, type RunView, type WandbEmulator, type WandbEmulatorOptions } from '../emulators/wandb/index.js'

export interface Answer { status: number, body: any, headers?: Headers }
/** `(method, path, secret?, body?)` against one gateway. */
export type Call = (method: string, path: string, auth?: string, body?: unknown) => Promise<Answer>

export const callOf = (g: Gateway | GatewayProcess): Call => {
  if ('app' in g) return async (method, path, auth, body) => await g.call(method, path, { ...(auth !== undefined ? { auth } : {}), ...(body !== undefined ? { body } : {}) })
  return async (method, path, auth, body) => await g.call(method, path, auth, body)
}

export interface SinkRow {
  sink: string
  state: 'healthy' | 'degraded' | 'paused'
  deliveredSeq: number
  headSeq: number
  lag: number
  attempts: number
  nextAttemptAt: string | null
  lastError: { code: string, message: string } | null
}

export async function sinksOf (call: Call, runId: string, key: string): Promise<Record<string, SinkRow>> {
  const r = await call('GET', `/v1/runs/${runId}/sinks`, key)
  if (r.status !== 200) throw new Error(`sinks of ${runId}: ${r.status} ${JSON.stringify(r.body)}`)
  return Object.fromEntries((r.body as SinkRow[]).map(s => [s.sink, s]))
}

/** Poll the run's sinks until `pred` holds; the error names the last answer. */
export async function waitSinks (call: Call, runId: string, key: string, pred: (s: Record<string, SinkRow>) => boolean, ms: number, what: string): Promise<Record<string, SinkRow>> {
  const until = Date.now() + ms
  let last: Record<string, SinkRow> | string = 'no answer'
  for (;;) {
    try {
      const s = await sinksOf(call, runId, key)
      last = s
      if (pred(s)) return s
    } catch (err) { last = String(err) }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`)
    await sleep(25)
  }
}

/** Every sink of the run has the whole log and is healthy. */
export const allDrained = (s: Record<string, SinkRow>): boolean =>
  Object.values(s).length > 0 && Object.values(s).every(r => r.lag === 0 && r.state === 'healthy')

/** Wait until `check` is truthy. */
export async function until<T> (check: () => T | undefined | false | Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/**
 * POST a callback batch like the container client: a connection error (gateway down), 429 or 503
 * is retried with the same batchId (honouring Retry-After, scaled to at most 200 ms between
 * tries) until `ms` passes; anything else is returned.
 */
export async function postLog (call: () => Call, runId: string, token: string, body: { batchId: string, [k: string]: unknown }, ms = 40000): Promise<Answer> {
  const end = Date.now() + ms
  for (;;) {
    let r: Answer | undefined
    try { r = await call()('POST', `/v1/runs/${runId}/log`, token, body) } catch {}
    if (r !== undefined && r.status !== 429 && r.status !== 503) return r
    if (Date.now() > end) throw new Error(`batch ${body.batchId} not accepted: ${r === undefined ? 'no answer' : `${r.status} ${JSON.stringify(r.body)}`}`)
    await sleep(r === undefined ? 50 : Math.min(200, 1000 * Number(r.headers?.get('retry-after') ?? '0.05')))
  }
}

/** Run `fns` with at most `n` in flight. */
export async function pool<T> (n: number, fns: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(fns.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(n, fns.length) }, async () => {
    while (next < fns.length) {
      const i = next++
      out[i] = await (fns[i] as () => Promise<T>)()
    }
  }))
  return out
}

export type Wire = number | 'NaN' | 'Infinity' | '-Infinity'
export const toNumber = (v: Wire): number => v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v
/** A value in a comparable form (NaN equals NaN). */
export const norm = (v: unknown): unknown => typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v

/** A semaphore: `limit(fn)` runs `fn` once fewer than `n` are in flight. */
export function limiter (n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>(resolve => waiting.push(resolve))
    active++
    try { return await fn() } finally {
      active--
      waiting.shift()?.()
    }
  }
}

// ---- W&B ----

export const FAST = { TRACKGATE_SHUTDOWN_GRACE_MS: '300', TRACKGATE_DISPATCH_LINGER_MS: '20' }
export const PROJECT = 'e2e'
export const KEYS = ['train/loss', 'lr', 'grad_norm', 'ratio', 'epoch'] as const

/** The five metrics of a step (NaN every 10th grad_norm, ±Infinity in ratio). */
export function value (key: string, step: number): Wire {
  switch (key) {
    case 'train/loss': return 1 / (step + 1)
    case 'lr': return 0.0003 * (1 - step / 1000)
    case 'grad_norm': return step % 10 === 3 ? 'NaN' : step * 0.5
    case 'ratio': return step % 7 === 1 ? 'Infinity' : step % 7 === 2 ? '-Infinity' : step
    default: return Math.floor(step / 10)
  }
}
export const stepTs = (t0: number, step: number): number => t0 + step * 10
export const stepMetrics = (t0: number, step: number) => KEYS.map(key => ({ key, value: value(key, step), step, timestamp: stepTs(t0, step) + (key === 'epoch' ? 1 : 0) }))
export const steps = (t0: number, from: number, n: number) => Array.from({ length: n }, (_, i) => stepMetrics(t0, from + i)).flat()

export const wandbEnv = (emu: WandbEmulator, extra: Record<string, string> = {}): Record<string, string> =>
  ({ ...FAST, WANDB_BASE_URL: emu.url, WANDB_API_KEY: emu.apiKey, WANDB_PROJECT: PROJECT, TRACKGATE_WANDB_ROW_IDLE_MS: '60000', ...extra })

export async function wandbEmulator (t: { teardown: (fn: () => unknown) => void }, opts: WandbEmulatorOptions = {}): Promise<WandbEmulator> {
  const emu = await startWandbEmulator(opts)
  t.teardown(() => emu.close())
  return emu
}

/**
 * Problems with one emulator run holding `n` steps (0..n-1, or the given list) written by a run
 * created at `createdAt` with metric times from `t0`: rows, offsets, values, row fields, summary.
 */
export function rowProblems (run: RunView | undefined, t0: number, createdAt: number, stepList: number[]): string[] {
  if (run === undefined) return ['no W&B run']
  const out: string[] = []
  if (run.history.length !== stepList.length) out.push(`${run.history.length} rows, expected ${stepList.length}`)
  if (run.historyLines.length !== run.history.length || run.historyLines.some(l => l === undefined)) out.push('gap in history offsets')
  stepList.forEach((step, offset) => {
    const row = run.history[offset]
    if (row === undefined) { out.push(`no row at offset ${offset}`); return }
    if (row._step !== step) out.push(`offset ${offset}: _step ${String(row._step)} ≠ ${step}`)
    const ts = stepTs(t0, step) + 1
    if (row._timestamp !== ts / 1000) out.push(`offset ${offset}: _timestamp ${String(row._timestamp)}`)
    if (row._runtime !== Math.max(0, ts - createdAt) / 1000) out.push(`offset ${offset}: _runtime ${String(row._runtime)}`)
    for (const k of KEYS) if (norm(row[k]) !== norm(toNumber(value(k, step)))) out.push(`offset ${offset}: ${k} = ${String(row[k])}`)
    if (Object.keys(row).length !== 3 + KEYS.length) out.push(`offset ${offset}: keys ${Object.keys(row).join(',')}`)
  })
  const last = stepList.at(-1) as number
  const s = run.summary
  if (s === undefined) out.push('no summary')
  else {
    if (s._step !== last) out.push(`summary _step ${String(s._step)}`)
    for (const k of KEYS) if (norm(s[k]) !== norm(toNumber(value(k, last)))) out.push(`summary ${k} = ${String(s[k])}`)
  }
  return out.slice(0, 5)
}

export const exitOf: Record<string, { state: string, exitcode: number }> = {
  FINISHED: { state: 'finished', exitcode: 0 },
  FAILED: { state: 'failed', exitcode: 1 },
  KILLED: { state: 'failed', exitcode: 143 }
}
