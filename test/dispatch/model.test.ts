import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { build } from '../../src/app.js'
import { ADMIN_KEY, testConfig } from '../helper.js'
import { FakeSink, type FakeMode, type StoredRecord } from '../fake-sink.js'

/**
 * reliability.md §5.8 — a model-based test of the dispatcher against the real app (real HTTP,
 * real SQLite file) and an in-memory fake sink whose behaviour the command sequence controls.
 *
 * Model: per run, the records whose batch was acknowledged (202), and which of them are poison
 * (refused for good by the sink). Invariants on what the sink STORES, after every command:
 * stored ⊆ acknowledged; per run strictly increasing (seq, idx); nothing stored twice; the sink
 * never gets a committed record again nor two deliveries of one run at once. After a final drain
 * with every fault off: stored = acknowledged − poison, and the dead letters listed by the API are
 * exactly the poison records.
 */

type Command =
  | { c: 'ingest', run: number, n: number }
  | { c: 'sinkOk' }
  | { c: 'sinkFail', kind: 'transient' | 'transient-after-store' | 'throttle' | 'poison', run: number }
  | { c: 'crash' }
  | { c: 'restart' }
  | { c: 'pause', ms: number }

const RUNS = 2

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ c: fc.constant('ingest' as const), run: fc.nat(RUNS - 1), n: fc.integer({ min: 1, max: 6 }) }), weight: 5 },
  { arbitrary: fc.constant({ c: 'sinkOk' as const }), weight: 2 },
  {
    arbitrary: fc.record({
      c: fc.constant('sinkFail' as const),
      kind: fc.constantFrom('transient' as const, 'transient-after-store' as const, 'throttle' as const, 'poison' as const),
      run: fc.nat(RUNS - 1)
    }),
    weight: 3
  },
  { arbitrary: fc.constant({ c: 'crash' as const }), weight: 1 },
  { arbitrary: fc.constant({ c: 'restart' as const }), weight: 1 },
  { arbitrary: fc.record({ c: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 60 }) }), weight: 2 }
)

interface Acked extends StoredRecord { poison: boolean }

interface Real {
  dataDir: string
  sink: FakeSink
  app: FastifyInstance
  url: string
  writeKey: string
  readKey: string
  runIds: string[]
  steps: number[]
  batches: number
  logs: string[]
}

/** What the generated sequences exercised (printed, so a reader can see the faults really happened). */
const stats = { sequences: 0, crashesMidSend: 0, resends: 0, deadLetters: 0 }

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

async function http (url: string, method: string, path: string, auth: string, body?: unknown): Promise<{ status: number, body: any }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  return { status: res.status, body: text === '' ? null : JSON.parse(text) }
}

async function open (real: Pick<Real, 'dataDir' | 'sink' | 'logs'>): Promise<{ app: FastifyInstance, url: string }> {
  const config = testConfig(real.dataDir, { LOG_LEVEL: 'warn' }, { shutdownGraceMs: 0, dispatchScanMs: 20 })
  const logStream = new Writable({ write (chunk, _enc, cb) { real.logs.push(String(chunk)); cb() } })
  const app = await build(config, { logStream, extraSinks: [real.sink] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const addr = app.server.address()
  return { app, url: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}` }
}

/** The dispatcher's grace timer is unref'd: keep the process alive while a close waits on it. */
async function close (app: FastifyInstance): Promise<void> {
  const timer = setInterval(() => {}, 1000)
  try { await app.close() } finally { clearInterval(timer) }
}

async function setup (): Promise<Real> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trackgate-model-'))
  const sink = new FakeSink({ name: 'fake', maxBatchRecords: 7 })
  const logs: string[] = []
  const { app, url } = await open({ dataDir, sink, logs })
  const p = await http(url, 'POST', '/v1/projects', ADMIN_KEY, { name: 'model' })
  const key = async (role: string): Promise<string> => (await http(url, 'POST', `/v1/projects/${p.body.id}/keys`, ADMIN_KEY, { role })).body.key
  const writeKey = await key('write')
  const readKey = await key('read')
  const runIds: string[] = []
  for (let i = 0; i < RUNS; i++) {
    const r = await http(url, 'POST', '/v1/runs', writeKey, { name: `r${i}`, experiment: 'model', sinks: ['fake'] })
    if (r.status !== 201) throw new Error(`run: ${r.status}`)
    runIds.push(r.body.id)
  }
  return { dataDir, sink, app, url, writeKey, readKey, runIds, steps: runIds.map(() => 0), batches: 0, logs }
}

/** Ingest `n` metrics (one of them poison if asked) into run `i`; the model learns them only on a 202. */
async function ingest (real: Real, model: Acked[][], i: number, n: number, poisonAt: number | undefined): Promise<void> {
  const metrics = Array.from({ length: n }, (_, j) => {
    const step = real.steps[i]! + j
    return { key: j === poisonAt ? real.sink.poisonKey : `m${j % 2}`, value: step, step }
  })
  real.steps[i]! += n
  const res = await http(real.url, 'POST', `/v1/runs/${real.runIds[i]}/log`, real.writeKey, { batchId: `b${real.batches++}`, metrics })
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`)
  if (res.body.duplicate !== false) throw new Error('a fresh batch id was reported as a duplicate')
  const seq = res.body.seq as number
  model[i]!.push(...metrics.map((m, idx) => ({ seq, idx, key: m.key, step: m.step, value: m.value, poison: idx === poisonAt })))
}

const addr = (r: { seq: number, idx: number }): string => `${r.seq}:${r.idx}`

/** The invariants that hold at every moment, whatever the faults. */
function checkSafety (real: Real, model: Acked[][]): void {
  if (real.sink.violations.length > 0) throw new Error(`sink saw a protocol violation: ${real.sink.violations[0]}`)
  real.runIds.forEach((runId, i) => {
    const acked = new Map(model[i]!.map(r => [addr(r), r]))
    const stored = real.sink.storedFor(runId)
    const seen = new Set<string>()
    let prev: StoredRecord | undefined
    for (const s of stored) {
      const a = acked.get(addr(s))
      if (a === undefined) throw new Error(`run ${i}: stored ${addr(s)} was never acknowledged`)
      if (a.key !== s.key || a.step !== s.step || a.value !== s.value) throw new Error(`run ${i}: stored ${addr(s)} differs from what was acknowledged`)
      if (a.poison) throw new Error(`run ${i}: poison record ${addr(s)} was stored`)
      if (seen.has(addr(s))) throw new Error(`run ${i}: ${addr(s)} stored twice`)
      seen.add(addr(s))
      if (prev !== undefined && (s.seq < prev.seq || (s.seq === prev.seq && s.idx <= prev.idx))) {
        throw new Error(`run ${i}: ${addr(s)} stored after ${addr(prev)}`)
      }
      prev = s
    }
  })
}

async function drainAndCheck (real: Real, model: Acked[][]): Promise<void> {
  real.sink.mode = 'ok'
  real.sink.release()
  const until = Date.now() + 20000
  for (;;) {
    const done = real.runIds.every((runId, i) => real.sink.storedFor(runId).length === model[i]!.filter(r => !r.poison).length)
    let lagZero = true
    if (done) {
      for (const runId of real.runIds) {
        const s = await http(real.url, 'GET', `/v1/runs/${runId}/sinks`, real.readKey)
        const fake = (s.body as Array<{ sink: string, lag: number }>).find(x => x.sink === 'fake')
        if (fake?.lag !== 0) lagZero = false
      }
      if (lagZero) break
    }
    if (Date.now() > until) {
      const lag = await Promise.all(real.runIds.map(async id => (await http(real.url, 'GET', `/v1/runs/${id}/sinks`, real.readKey)).body))
      throw new Error(`no drain: stored ${real.runIds.map(id => real.sink.storedFor(id).length)} expected ${model.map(m => m.filter(r => !r.poison).length)} sinks ${JSON.stringify(lag)}`)
    }
    await sleep(20)
  }
  checkSafety(real, model)
  for (const [i, runId] of real.runIds.entries()) {
    const want = model[i]!.filter(r => !r.poison).map(addr)
    const got = real.sink.storedFor(runId).map(addr)
    if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`run ${i}: stored ${got.join(',')} but acknowledged minus poison is ${want.join(',')}`)
    const dl = await http(real.url, 'GET', `/v1/dead-letters?runId=${runId}&sink=fake&limit=1000`, real.readKey)
    if (dl.status !== 200) throw new Error(`dead letters: ${dl.status}`)
    const dead = dl.body.items as Array<{ seq: number, idx: number, status: string, record: { key?: string } }>
    const wantDead = model[i]!.filter(r => r.poison).map(addr).sort()
    const gotDead = dead.map(addr).sort()
    if (JSON.stringify(gotDead) !== JSON.stringify(wantDead)) throw new Error(`run ${i}: dead letters ${gotDead.join(',')} but poison records are ${wantDead.join(',')}`)
    stats.deadLetters += dead.length
    const receipts = real.sink.receiptsFor(runId)
    stats.resends += receipts.length - new Set(receipts).size
    if (dead.some(d => d.status !== 'dead' || d.record.key !== real.sink.poisonKey)) throw new Error(`run ${i}: a dead letter is not the poison record it should be`)
  }
}

async function execute (cmds: Command[]): Promise<void> {
  const real = await setup()
  const model: Acked[][] = real.runIds.map(() => [])
  try {
    for (const cmd of cmds) {
      switch (cmd.c) {
        case 'ingest':
          await ingest(real, model, cmd.run, cmd.n, undefined)
          break
        case 'sinkOk':
          real.sink.mode = 'ok'
          break
        case 'sinkFail':
          if (cmd.kind === 'poison') await ingest(real, model, cmd.run, 3, 1)
          else real.sink.mode = cmd.kind
          break
        case 'pause':
          await sleep(cmd.ms)
          break
        case 'crash':
        case 'restart': {
          // crash: the remote accepts the next batch but never answers; the app is closed with no
          // grace (the dispatcher aborts the send), so the cursor stays behind what the remote stored.
          const before: FakeMode = real.sink.mode
          if (cmd.c === 'crash') {
            real.sink.mode = 'hold'
            await ingest(real, model, 0, 2, undefined)
            if (await real.sink.waitForHold(300)) stats.crashesMidSend++
          }
          await close(real.app)
          real.sink.mode = before
          const { app, url } = await open(real)
          real.app = app
          real.url = url
          break
        }
      }
      checkSafety(real, model)
    }
    await drainAndCheck(real, model)
  } finally {
    await close(real.app)
    rmSync(real.dataDir, { recursive: true, force: true })
  }
}

t.test('dispatcher model: stored ⊆ acked, ordered, once; drained = acked − dead letters', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(commandArb, { minLength: 3, maxLength: 14 }), async (cmds) => {
      stats.sequences++
      await execute(cmds)
    }),
    { numRuns: 20, endOnFailure: true, interruptAfterTimeLimit: 50_000 }
  )
  t.ok(stats.sequences > 0)
  t.comment(`exercised: ${JSON.stringify(stats)}`)
})

t.test('dispatcher model: a fixed sequence with every kind of fault', async () => {
  await execute([
    { c: 'ingest', run: 0, n: 5 },
    { c: 'sinkFail', kind: 'transient-after-store', run: 0 },
    { c: 'ingest', run: 1, n: 6 },
    { c: 'pause', ms: 30 },
    { c: 'sinkFail', kind: 'poison', run: 1 },
    { c: 'crash' },
    { c: 'sinkFail', kind: 'throttle', run: 0 },
    { c: 'ingest', run: 0, n: 4 },
    { c: 'sinkOk' },
    { c: 'sinkFail', kind: 'poison', run: 0 },
    { c: 'crash' },
    { c: 'restart' },
    { c: 'ingest', run: 1, n: 2 }
  ])
})
