import t from 'tap'
import { startGateway, seedProject, eventually, type Gateway } from '../helper.js'
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js'

/**
 * reliability.md §5.9 — a full disk, simulated with SQLite's `PRAGMA max_page_count` on the
 * store's own connection: ingest fails with 507 TG_STORE_FULL and no ack, the process keeps
 * serving, and once there is room again everything acknowledged before (and nothing that was
 * refused) is in the run log, and the TensorBoard sink catches up.
 */

interface Point { key: string, value: number | string, step: number }

const metrics = (from: number, n: number, key = 'loss'): Point[] =>
  Array.from({ length: n }, (_, i) => ({ key, value: from + i, step: from + i }))

async function history (g: Gateway, runId: string, auth: string, key: string): Promise<Point[]> {
  const out: Point[] = []
  let cursor: string | null = null
  do {
    const q: string = `/v1/runs/${runId}/metrics?key=${key}&limit=10000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    const page = await g.call('GET', q, { auth })
    if (page.status !== 200) throw new Error(`metrics: ${page.status} ${JSON.stringify(page.body)}`)
    out.push(...(page.body.items as Point[]).map(p => ({ key: p.key, value: p.value, step: p.step })))
    cursor = page.body.nextCursor
  } while (cursor !== null)
  return out
}

t.test('disk full: 507 TG_STORE_FULL without an ack; after more room, all acknowledged data is there', async (t) => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const run = await p.run({ name: 'full', experiment: 'disk' })
  const log = async (batchId: string, ms: Point[]) =>
    await g.call('POST', `/v1/runs/${run.id}/log`, { auth: p.keys.write, body: { batchId, metrics: ms } })

  const acked: Point[] = []
  for (let b = 0; b < 5; b++) {
    const ms = metrics(b * 100, 100)
    const r = await log(`before-${b}`, ms)
    t.equal(r.status, 202, `before-${b} acknowledged`)
    acked.push(...ms)
  }
  await eventually(async () => {
    const s = await g.call('GET', `/v1/runs/${run.id}/sinks`, { auth: p.keys.read })
    return s.body[0]?.lag === 0 || undefined
  }, 10000, 'tensorboard caught up before the disk fills')

  const db = (g.app.store as SqliteStore).db
  const defaultMax = db.pragma('max_page_count', { simple: true }) as number
  const pages = db.pragma('page_count', { simple: true }) as number
  // SQLite never lowers the limit below the current size: this is "the disk is full now".
  db.pragma(`max_page_count = ${pages}`)
  t.equal(db.pragma('max_page_count', { simple: true }), pages, 'limit set to the current size')

  const refused: string[] = []
  for (let b = 0; b < 3; b++) {
    const r = await log(`full-${b}`, metrics(10_000 + b * 2000, 2000, 'big'))
    t.equal(r.status, 507, `full-${b}: 507`)
    t.equal(r.body?.code, 'TG_STORE_FULL', `full-${b}: TG_STORE_FULL`)
    t.notOk('seq' in (r.body ?? {}), 'no seq, no ack')
    refused.push(`full-${b}`)
  }
  // Several requests in one group commit fail together, and none is acknowledged.
  const together = await Promise.all([0, 1, 2, 3].map(async i => await log(`full-group-${i}`, metrics(50_000 + i * 2000, 2000, 'big'))))
  t.same(together.map(r => r.status), [507, 507, 507, 507], 'a whole group commit refused')

  t.equal((await g.call('GET', '/healthz')).status, 200, 'still alive')
  t.equal((await g.call('GET', '/readyz')).status, 200, 'the store still answers')
  t.same(await history(g, run.id, p.keys.read, 'loss'), acked, 'reads still work while full')
  t.same(await history(g, run.id, p.keys.read, 'big'), [], 'nothing of the refused batches is stored')

  db.pragma(`max_page_count = ${defaultMax}`)
  const again = await log('full-0', metrics(10_000, 2000, 'big'))
  t.equal(again.status, 202, 'after more room the same batch is accepted')
  t.equal(again.body.duplicate, false, 'and it is new: the refused attempt stored nothing')
  const after = metrics(900, 50)
  t.equal((await log('after-0', after)).status, 202)
  acked.push(...after)

  t.same(await history(g, run.id, p.keys.read, 'loss'), acked, 'every point acknowledged before (and after) the full disk, in order')
  t.same(await history(g, run.id, p.keys.read, 'big'), metrics(10_000, 2000, 'big'), 'only the batch that was finally acknowledged')

  const sinks = await eventually(async () => {
    const s = await g.call('GET', `/v1/runs/${run.id}/sinks`, { auth: p.keys.read })
    return s.body[0]?.lag === 0 ? s.body : undefined
  }, 10000, 'tensorboard drains after the disk has room')
  t.equal(sinks[0].state, 'healthy')
  t.equal(sinks[0].deliveredSeq, again.body.seq + 1)
})
