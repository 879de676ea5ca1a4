import t, { type Test } from 'tap'
import { join } from 'node:path'
import { listRuns, readEventFile, readScalars, type DecodedEvent, type ScalarPoint } from '../../src/codecs/tfevents/index.js'
import { ADMIN_KEY, tempDir } from '../helper.js'
import { drained, freePort, GatewayProcess, seedProjectOn, sleep } from './child.js'

/**
 * reliability.md §5.1 — crash during ingest and delivery. The real gateway runs as a child process
 * (`node --import tsx src/server.ts`) and is SIGKILLed at random moments while the test sends
 * batches to several runs; it is restarted on the same data dir and port, and some batches that
 * got no answer are re-sent with the same batch id (as a real client would) and some never again.
 * After a final drain the TensorBoard files are read back: every acknowledged point is there
 * exactly once, per tag in step order; nothing appears that was never sent; points of batches that
 * never got an answer may appear (their commit may have happened just before the kill) but never
 * twice; no event file has a torn tail. The run log read through the API obeys the same rules.
 */

const ROUNDS = 10
const RUNS = 3
const WRITERS = 3 // concurrent writers per run, each with its own tags, sequential per writer
const STEPS = 5 // steps per batch; a batch holds STEPS × 2 points (w<j>/loss, w<j>/acc)

// An event file whose every point is written again in a later file of the same run would be an
// orphan of a crashed first delivery (fixed: file names no longer depend on the clock); it fails.

/** The scalar points of one event file's events, in file order (our tags only). */
function scalarsOf (events: DecodedEvent[]): ScalarPoint[] {
  const out: ScalarPoint[] = []
  for (const e of events) {
    for (const v of e.summary ?? []) {
      const value = v.scalar ?? v.tensorNumber
      if (/^w\d+\/(loss|acc)$/.test(v.tag) && value !== undefined) out.push({ run: '', tag: v.tag, step: e.step, value, wallTime: e.wallTime })
    }
  }
  return out
}

interface Batch { id: string, run: number, writer: number, from: number, state: 'sent' | 'acked' | 'unanswered' | 'abandoned' }

const valueOf = (tag: string, step: number): number => tag.endsWith('/loss') ? step : -step
const body = (b: Batch) => ({
  batchId: b.id,
  metrics: Array.from({ length: STEPS }, (_, i) => b.from + i).flatMap(step => [
    { key: `w${b.writer}/loss`, value: valueOf('/loss', step), step },
    { key: `w${b.writer}/acc`, value: valueOf('/acc', step), step }
  ])
})

t.test('SIGKILL at random moments: every acknowledged point in TensorBoard exactly once, in order', async (t) => {
  const dataDir = tempDir(t, 'trackgate-sigkill-')
  const g = new GatewayProcess({ port: await freePort(), dataDir, adminKey: ADMIN_KEY })
  t.teardown(async () => { await g.kill() })
  await g.start()
  const keys = await seedProjectOn(g, ADMIN_KEY)
  const runIds: string[] = []
  for (let r = 0; r < RUNS; r++) {
    const res = await g.call('POST', '/v1/runs', keys.write, { name: `r${r}`, experiment: 'crash' })
    t.equal(res.status, 201)
    runIds.push(res.body.id)
  }

  const batches: Batch[] = []
  const nextFrom: number[][] = runIds.map(() => Array.from({ length: WRITERS }, () => 0))
  /** Per writer, the batch that got no answer (if any), to re-send or abandon after the restart. */
  const pending: Array<Array<Batch | undefined>> = runIds.map(() => Array.from({ length: WRITERS }, () => undefined))
  let resent = 0
  let resentDuplicate = 0
  let unansweredTotal = 0

  /** Returns false when the answer never came (the process is gone). */
  const send = async (b: Batch): Promise<boolean> => {
    try {
      const res = await g.call('POST', `/v1/runs/${runIds[b.run]}/log`, keys.write, body(b))
      if (res.status !== 202) throw new Error(`batch ${b.id}: ${res.status} ${JSON.stringify(res.body)}`)
      if (b.state === 'unanswered' && res.body.duplicate === true) resentDuplicate++
      b.state = 'acked'
      return true
    } catch (err) {
      if ((err as Error).message.startsWith(`batch ${b.id}:`)) throw err
      if (b.state !== 'unanswered') unansweredTotal++
      b.state = 'unanswered'
      return false
    }
  }

  const writer = async (run: number, w: number, resend: boolean): Promise<void> => {
    const p = pending[run]![w]
    if (p !== undefined) {
      if (resend) {
        resent++
        if (!await send(p)) return
      } else {
        p.state = 'abandoned'
      }
      pending[run]![w] = undefined
    }
    for (;;) {
      const b: Batch = { id: `r${run}-w${w}-${nextFrom[run]![w]}`, run, writer: w, from: nextFrom[run]![w]!, state: 'sent' }
      nextFrom[run]![w]! += STEPS
      batches.push(b)
      if (!await send(b)) { pending[run]![w] = b; return }
    }
  }

  for (let round = 0; round < ROUNDS; round++) {
    if (!g.running) await g.start()
    const writers: Array<Promise<void>> = []
    for (let r = 0; r < RUNS; r++) for (let w = 0; w < WRITERS; w++) writers.push(writer(r, w, Math.random() < 0.6))
    await sleep(Math.floor(Math.random() * 400))
    await g.kill()
    await Promise.all(writers)
  }

  // Last start: re-send some of what is still unanswered, then let every sink drain.
  await g.start()
  for (let r = 0; r < RUNS; r++) {
    for (let w = 0; w < WRITERS; w++) {
      const p = pending[r]![w]
      if (p === undefined) continue
      if (Math.random() < 0.5) { resent++; t.ok(await send(p), `re-sent ${p.id}`) } else p.state = 'abandoned'
    }
  }
  const cursors = await Promise.all(runIds.map(async id => await drained(g, id, keys.read)))
  for (const c of cursors) t.equal(c.find(x => x.sink === 'tensorboard')?.deliveredSeq, c[0]?.headSeq, 'tensorboard delivered the whole log')

  const acked = batches.filter(b => b.state === 'acked')
  t.ok(acked.length > ROUNDS, `${acked.length} batches acknowledged, ${unansweredTotal} went unanswered, ${resent} re-sent (${resentDuplicate} of them had been committed before the kill), ${batches.filter(b => b.state === 'abandoned').length} abandoned`)

  // The TensorBoard files, read back.
  const logdir = join(dataDir, 'tensorboard')
  for (const [run, files] of await listRuns(logdir)) {
    for (const f of files) {
      const { stop } = await readEventFile(f)
      t.equal(stop, undefined, `${run}/${f.slice(f.lastIndexOf('/') + 1)}: no torn or corrupt tail`)
    }
  }
  const points = await readScalars(logdir)
  const runDirs = await listRuns(logdir)
  for (let r = 0; r < RUNS; r++) {
    const suffix = `/r${r}-${runIds[r]!.slice(0, 8)}`
    const dir = [...runDirs.keys()].find(d => d.endsWith(suffix))
    if (dir === undefined) { t.fail(`no TensorBoard run for r${r}`); continue }
    const files = runDirs.get(dir) ?? []
    const perFile = await Promise.all(files.map(async f => scalarsOf((await readEventFile(f)).events)))
    t.equal(points.filter(p => p.run === dir).length, perFile.flat().length, `tensorboard r${r}: readScalars agrees with the files (${files.length} event file(s))`)
    // A file whose every point is written again in a later file of the run is an orphan.
    const orphan = perFile.map((pts, i) => {
      if (i === perFile.length - 1 || pts.length === 0) return false
      const later = new Set(perFile.slice(i + 1).flat().map(p => `${p.tag}@${p.step}`))
      return pts.every(p => later.has(`${p.tag}@${p.step}`))
    })
    const orphans = files.filter((_, i) => orphan[i]).map(f => f.slice(f.lastIndexOf('/') + 1))
    t.same(orphans, [], `tensorboard r${r}: no orphaned event file whose points are all written again in a later one`)
    checkRun(t, `tensorboard r${r}`, perFile.flat(), batches.filter(b => b.run === r))
  }

  // The run log (the API) obeys the same rules: acknowledged once, nothing unsent, nothing twice.
  for (let r = 0; r < RUNS; r++) {
    const all: ScalarPoint[] = []
    for (let w = 0; w < WRITERS; w++) {
      for (const tag of [`w${w}/loss`, `w${w}/acc`]) {
        let cursor: string | null = null
        do {
          const q: string = `/v1/runs/${runIds[r]}/metrics?key=${encodeURIComponent(tag)}&limit=10000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
          const page = await g.call('GET', q, keys.read)
          t.equal(page.status, 200)
          for (const p of page.body.items as Array<{ key: string, value: number, step: number }>) all.push({ run: 'api', tag: p.key, step: p.step, value: p.value, wallTime: 0 })
          cursor = page.body.nextCursor
        } while (cursor !== null)
      }
    }
    checkRun(t, `run log r${r}`, all, batches.filter(b => b.run === r))
  }
  await g.stop()
})

/** The four properties, for one run's points (in file / log order) against what was sent. */
function checkRun (t: Test, what: string, points: ScalarPoint[], sent: Batch[]): void {
  const byPoint = new Map<string, Batch>()
  for (const b of sent) {
    for (let s = b.from; s < b.from + STEPS; s++) {
      byPoint.set(`w${b.writer}/loss@${s}`, b)
      byPoint.set(`w${b.writer}/acc@${s}`, b)
    }
  }
  const count = new Map<string, number>()
  const unsent: string[] = []
  const wrong: string[] = []
  const disorder: string[] = []
  const lastStep = new Map<string, number>()
  for (const p of points) {
    const k = `${p.tag}@${p.step}`
    count.set(k, (count.get(k) ?? 0) + 1)
    if (!byPoint.has(k)) unsent.push(k)
    else if (p.value !== valueOf(p.tag, p.step)) wrong.push(`${k}=${p.value}`)
    const prev = lastStep.get(p.tag)
    if (prev !== undefined && p.step <= prev) disorder.push(`${p.tag}: ${p.step} after ${prev}`)
    lastStep.set(p.tag, p.step)
  }
  const twice = [...count].filter(([, n]) => n > 1).map(([k, n]) => `${k}×${n}`)
  const missing: string[] = []
  let fromUnacked = 0
  for (const [k, b] of byPoint) {
    if (b.state === 'acked' && count.get(k) !== 1) missing.push(`${k} (${b.id})`)
    if (b.state !== 'acked' && count.has(k)) fromUnacked++
  }
  t.same(missing, [], `${what}: every acknowledged point present`)
  t.same(twice, [], `${what}: no point twice`)
  t.same(unsent, [], `${what}: no point that was never sent`)
  t.same(wrong, [], `${what}: values as sent`)
  t.same(disorder, [], `${what}: steps in order per tag`)
  t.comment(`${what}: ${points.length} points, ${fromUnacked} of them from batches that never got an answer`)
}
