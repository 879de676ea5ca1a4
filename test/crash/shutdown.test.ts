import t from 'tap'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { startGateway, seedProject, eventually, tempDir, type Gateway } from '../helper.js'
import { FakeSink } from '../fake-sink.js'

/**
 * reliability.md §5.5 — graceful shutdown mid-send: a sink holds a delivery open while the app
 * closes. Ingest answers 503 (or the connection is refused once the listener is gone), the held
 * batch's cursor is not advanced, and a new gateway on the same data dir delivers it again, which
 * the sink's idempotency makes harmless: what it stores holds every record once.
 */

const GRACE_MS = 300

const batch = (batchId: string, from: number, n: number) => ({
  batchId,
  metrics: Array.from({ length: n }, (_, i) => ({ key: 'loss', value: from + i, step: from + i }))
})

const cursorInFile = (dataDir: string, sink: string, runId: string): { deliveredSeq: number, headSeq: number, batches: string[] } => {
  const db = new Database(join(dataDir, 'trackgate.sqlite'), { readonly: true })
  try {
    const c = db.prepare('SELECT delivered_seq FROM sink_cursors WHERE sink = ? AND run_id = ?').get(sink, runId) as { delivered_seq: number } | undefined
    const r = db.prepare('SELECT head_seq FROM runs WHERE id = ?').get(runId) as { head_seq: number }
    const b = db.prepare('SELECT batch_id FROM ingest_batches WHERE run_id = ? ORDER BY seq').all(runId) as Array<{ batch_id: string }>
    if (c === undefined) throw new Error('no cursor row')
    return { deliveredSeq: c.delivered_seq, headSeq: r.head_seq, batches: b.map(x => x.batch_id) }
  } finally {
    db.close()
  }
}

/**
 * Starts a POST whose body is not finished yet, so the request is in flight when the close
 * begins; `finish()` sends the rest and resolves with the status line's code.
 */
/** Requests the gateway has begun to handle (its pino 'incoming request' lines). */
const incoming = (g: { logs: string[] }): number => g.logs.filter(l => l.includes('"incoming request"')).length

function slowPost (url: string, path: string, auth: string, body: unknown): Promise<{ finish: () => Promise<number> }> {
  const { hostname, port } = new URL(url)
  const json = Buffer.from(JSON.stringify(body))
  const cut = Math.floor(json.length / 2)
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(Number(port), hostname, () => {
      sock.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${auth}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${json.length}\r\nConnection: close\r\n\r\n`)
      sock.write(json.subarray(0, cut))
      let text = ''
      const answered = new Promise<number>((resolve, reject) => {
        sock.on('data', d => { text += String(d) })
        sock.on('end', () => {
          const m = /^HTTP\/1\.1 (\d{3})/.exec(text)
          if (m === null) reject(new Error(`no status line in ${JSON.stringify(text.slice(0, 200))}`))
          else resolve(Number(m[1]))
        })
        sock.on('error', reject)
      })
      resolve({
        finish: async () => {
          sock.end(json.subarray(cut))
          return await answered
        }
      })
    })
    sock.on('error', reject)
  })
}

/**
 * The dispatcher's grace timer is unref'd and the fake's held promise holds no handle, so while
 * the close waits nothing would keep this process alive (a real sink's open socket would).
 */
async function keepAlive<T> (p: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000)
  try { return await p } finally { clearInterval(timer) }
}

/** A fetch that reports a refused/reset connection as status 0 instead of throwing. */
async function tryLog (g: Gateway, runId: string, auth: string, body: unknown): Promise<number> {
  try {
    return (await g.call('POST', `/v1/runs/${runId}/log`, { auth, body })).status
  } catch {
    return 0
  }
}

t.test('shutdown while a sink holds a delivery: 503, cursor kept, re-delivered once after restart', async (t) => {
  const sink = new FakeSink({ name: 'held' })
  const dataDir = tempDir(t)
  const g1 = await startGateway(t, { dataDir, build: { extraSinks: [sink] }, config: { shutdownGraceMs: GRACE_MS } })
  const p = await seedProject(g1)
  const run = await p.run({ name: 'r', experiment: 'e', sinks: ['held'] })

  // A first batch is delivered and committed normally.
  t.equal((await g1.call('POST', `/v1/runs/${run.id}/log`, { auth: p.keys.write, body: batch('b1', 0, 3) })).status, 202)
  await eventually(async () => cursorInFile(dataDir, 'held', run.id).deliveredSeq === 1 || undefined, 10000, 'b1 delivered')

  // The second is accepted by the remote, but its answer is held open.
  sink.mode = 'hold'
  const b2 = await g1.call('POST', `/v1/runs/${run.id}/log`, { auth: p.keys.write, body: batch('b2', 3, 4) })
  t.equal(b2.status, 202)
  const heldSeq = b2.body.seq as number
  t.ok(await sink.waitForHold(10000), 'the sink holds the delivery of b2')
  t.same(sink.storedFor(run.id).map(r => r.step), [0, 1, 2, 3, 4, 5, 6], 'the remote has stored b2 already')

  const seen = incoming(g1)
  const inFlight = await slowPost(g1.url, `/v1/runs/${run.id}/log`, p.keys.write, batch('during-close', 100, 2))
  await eventually(async () => incoming(g1) > seen, 10000, 'the server to have the request\'s head')
  const closed = keepAlive(g1.app.close())
  await eventually(async () => !g1.app.server.listening, 10000, 'the close to begin')
  const inFlightStatus = await inFlight.finish()
  t.equal(inFlightStatus, 503, 'a request in flight when the close begins is answered 503')
  const late = await tryLog(g1, run.id, p.keys.write, batch('after-close', 200, 2))
  t.ok(late === 503 || late === 0, `a new request during the close is refused (got ${late === 0 ? 'connection refused' : late})`)
  await closed
  t.equal(sink.holding, 0, 'the held delivery was aborted after the grace period')

  const after = cursorInFile(dataDir, 'held', run.id)
  t.ok(after.deliveredSeq < heldSeq, `cursor not advanced past the held batch (delivered_seq ${after.deliveredSeq}, held seq ${heldSeq})`)
  t.equal(after.deliveredSeq, 1, 'the cursor stays at the last committed batch')
  t.same(after.batches, ['b1', 'b2'], 'nothing sent during the close was stored')

  // A new gateway on the same data dir re-delivers b2; the remote stores it once.
  sink.mode = 'ok'
  const g2 = await startGateway(t, { dataDir, build: { extraSinks: [sink] }, config: { shutdownGraceMs: GRACE_MS } })
  await eventually(async () => {
    const s = await g2.call('GET', `/v1/runs/${run.id}/sinks`, { auth: p.keys.read })
    const held = (s.body as Array<{ sink: string, lag: number }>).find(x => x.sink === 'held')
    return held?.lag === 0 || undefined
  }, 10000, 'drain after restart')
  const receipts = sink.receiptsFor(run.id)
  t.equal(receipts.filter(r => r.startsWith(`${heldSeq}:`)).length, 8, 'the held batch (4 records) was sent twice: once before, once after the restart')
  t.equal(receipts.filter(r => r.startsWith('1:')).length, 3, 'the committed batch was not sent again')
  const stored = sink.storedFor(run.id)
  t.same(stored.map(r => r.step), [0, 1, 2, 3, 4, 5, 6], 'stored exactly once, in order')
  t.same(new Set(stored.map(r => `${r.seq}:${r.idx}`)).size, stored.length, 'no duplicates')
  t.same(sink.violations, [], 'no re-send of committed records, no concurrent deliveries')
  await g2.app.close()
  t.equal(cursorInFile(dataDir, 'held', run.id).deliveredSeq, heldSeq, 'cursor committed after the re-delivery')
})

t.test('a held delivery released within the grace period is committed, and not sent again', async (t) => {
  const sink = new FakeSink({ name: 'held' })
  const dataDir = tempDir(t)
  const g1 = await startGateway(t, { dataDir, build: { extraSinks: [sink] }, config: { shutdownGraceMs: 5000 } })
  const p = await seedProject(g1)
  const run = await p.run({ name: 'r', experiment: 'e', sinks: ['held'] })
  sink.mode = 'hold'
  const b1 = await g1.call('POST', `/v1/runs/${run.id}/log`, { auth: p.keys.write, body: batch('b1', 0, 3) })
  t.equal(b1.status, 202)
  t.ok(await sink.waitForHold(10000), 'held')
  const closed = keepAlive(g1.app.close())
  await eventually(async () => !g1.app.server.listening, 10000, 'the close to begin')
  sink.release()
  await closed
  t.equal(cursorInFile(dataDir, 'held', run.id).deliveredSeq, b1.body.seq, 'a send finished within the grace is committed')

  sink.mode = 'ok'
  const g2 = await startGateway(t, { dataDir, build: { extraSinks: [sink] }, config: { shutdownGraceMs: 5000 } })
  t.equal((await g2.call('POST', `/v1/runs/${run.id}/log`, { auth: p.keys.write, body: batch('b2', 3, 2) })).status, 202)
  await eventually(async () => sink.storedFor(run.id).length === 5 || undefined, 10000, 'b2 delivered')
  t.same(sink.receiptsFor(run.id), ['1:0', '1:1', '1:2', '2:0', '2:1'], 'each record sent exactly once')
  t.same(sink.violations, [])
})
