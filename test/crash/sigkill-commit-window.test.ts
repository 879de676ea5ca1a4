import t, { type Test } from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { listRuns, readEventFile, readScalars } from '../../src/codecs/tfevents/index.js'
import { ADMIN_KEY, tempDir } from '../helper.js'
import { drained, freePort, GatewayProcess, seedProjectOn } from './child.js'

/**
 * reliability.md §5.1, second half — the SIGKILL placed exactly between "the sink accepted" and
 * "the cursor is committed". The child (test/crash/hold-server.ts) is the real gateway whose real
 * TensorBoard sink, on its N-th delivery, writes and fsyncs the bytes and then never answers; the
 * test SIGKILLs it there and restarts the plain gateway (src/server.ts) on the same data dir. The
 * TensorBoard run must then hold every point exactly once (invariant 4: "recovery truncates to the
 * committed offset before appending → exactly-once in the file").
 */

const batch = (batchId: string, from: number, n: number) => ({
  batchId,
  metrics: Array.from({ length: n }, (_, i) => ({ key: 'loss', value: from + i, step: from + i }))
})

const deliveredSeq = (dataDir: string, runId: string): number => {
  const db = new Database(join(dataDir, 'trackgate.sqlite'), { readonly: true })
  try {
    return (db.prepare('SELECT delivered_seq FROM sink_cursors WHERE sink = \'tensorboard\' AND run_id = ?').get(runId) as { delivered_seq: number }).delivered_seq
  } finally {
    db.close()
  }
}

/**
 * Kill on the `holdOn`-th delivery of one run (after `before` batches were delivered and
 * committed), restart, send one more batch, drain, and check the TensorBoard run.
 */
async function scenario (t: Test, holdOn: number, todo?: string): Promise<void> {
  const dataDir = tempDir(t, 'trackgate-window-')
  const port = await freePort()
  const held = new GatewayProcess({ port, dataDir, adminKey: ADMIN_KEY, entry: 'test/crash/hold-server.ts', env: { TG_TEST_HOLD_DELIVERY: String(holdOn) } })
  const plain = new GatewayProcess({ port, dataDir, adminKey: ADMIN_KEY })
  t.teardown(async () => { await held.kill(); await plain.kill() })

  await held.start()
  const keys = await seedProjectOn(held, ADMIN_KEY)
  const run = await held.call('POST', '/v1/runs', keys.write, { name: 'window', experiment: 'crash' })
  const runId = run.body.id as string
  const steps: number[] = []
  for (let b = 1; b < holdOn; b++) {
    t.equal((await held.call('POST', `/v1/runs/${runId}/log`, keys.write, batch(`b${b}`, steps.length, 5))).status, 202)
    for (let i = 0; i < 5; i++) steps.push(steps.length)
    await drained(held, runId, keys.read)
  }
  const heldBatch = await held.call('POST', `/v1/runs/${runId}/log`, keys.write, batch(`b${holdOn}`, steps.length, 5))
  t.equal(heldBatch.status, 202, 'the batch is acknowledged')
  for (let i = 0; i < 5; i++) steps.push(steps.length)
  const m = await held.waitForOutput(/HELD run=\S+ seqs=(\d+)-(\d+) state=(\w+)/, 20000)
  t.equal(Number(m[1]), heldBatch.body.seq, 'the sink holds the delivery of that batch')
  t.equal(m[3], holdOn === 1 ? 'null' : 'committed', holdOn === 1 ? 'it is the run\'s first delivery' : 'an earlier delivery was committed')
  const logdir = join(dataDir, 'tensorboard')
  const written = (await readScalars(logdir)).map(p => p.step)
  t.same(written, steps, 'the bytes are in the file before the kill')
  await held.kill()
  t.equal(deliveredSeq(dataDir, runId), heldBatch.body.seq - 1, 'and the cursor was not committed')

  await plain.start()
  t.equal((await plain.call('POST', `/v1/runs/${runId}/log`, keys.write, batch('after', steps.length, 5))).status, 202)
  for (let i = 0; i < 5; i++) steps.push(steps.length)
  await drained(plain, runId, keys.read)
  await plain.stop()

  const runs = await listRuns(logdir)
  for (const [dir, files] of runs) {
    for (const f of files) t.equal((await readEventFile(f)).stop, undefined, `${dir}: ${f.slice(f.lastIndexOf('/') + 1)} has no torn tail`)
  }
  t.same((await readScalars(logdir)).map(p => p.step), steps,
    `every point exactly once, in order (event files: ${[...runs.values()].flat().map(f => f.slice(f.lastIndexOf('/') + 1)).join(', ')})`,
    todo === undefined ? {} : { todo })
}

t.test('SIGKILL after the sink wrote a later batch, before its cursor commit: exactly once', async (t) => {
  await scenario(t, 2)
})

// Regression: the first event file's name depends on the run only, so a kill between writing a
// run's first batch and committing its cursor makes the retry overwrite that same file.
t.test('SIGKILL after the sink wrote a run\'s FIRST batch, before its cursor commit: exactly once', async (t) => {
  await scenario(t, 1)
})
