import t from 'tap'
import { pgTestDatabase } from '../../pg-database.js'
import { PgStore } from '../../../src/store/postgres/pg-store.js'
import { partitionLease } from '../../../src/store/lease-store.js'
import { GRACE_MS } from './store-contract.js'
import { req, seedRun } from './contract-fixtures.js'

const db = await pgTestDatabase(t)

if (db !== undefined) {
  const open = async (): Promise<[PgStore, PgStore]> => {
    const url = await db.schemaUrl()
    const a = await PgStore.connect({ url, poolSize: 3, tokenGraceMs: GRACE_MS })
    const b = await PgStore.connect({ url, poolSize: 3, tokenGraceMs: GRACE_MS })
    t.teardown(async () => { await a.close(); await b.close() })
    return [a, b]
  }

  t.test('postgres leases: one holder at a time, tokens grow with every new holder', async t => {
    const [a, b] = await open()
    const name = partitionLease('tensorboard', 'r1')
    const racers = await Promise.all(Array.from({ length: 8 }, async (_, i) => await (i % 2 === 0 ? a : b).leases.acquireLease(name, `replica-${i}`, 60_000)))
    t.equal(racers.filter(l => l !== null).length, 1, 'eight replicas race, one wins')
    const winner = racers.find(l => l !== null)
    if (winner === undefined || winner === null) throw new Error('no winner')
    t.equal(winner.token, 1)
    const again = await a.leases.acquireLease(name, winner.owner, 60_000)
    t.match(again, { owner: winner.owner, token: 1 }, 'the holder re-acquiring keeps its token')
    t.same((await b.leases.leasesHeld(winner.owner)).map(l => l.name), [name], 'listed for its holder')
    await a.leases.releaseLease(winner)
    const next = await b.leases.acquireLease(name, 'other', 60_000)
    t.match(next, { owner: 'other', token: 2 }, 'after a release the next holder gets a larger token')
    t.equal(await a.leases.renewLease(winner, 60_000), null, 'the old holder cannot renew')
  })

  t.test('postgres leases: an expired lease is taken over and the old holder is fenced out', async t => {
    const [a, b] = await open()
    await seedRun(a, 'r1')
    await a.addCursor('r1', 'tensorboard', 1)
    await a.append([req('r1', 'b1'), req('r1', 'b2', {}, 2)])
    const name = partitionLease('tensorboard', 'r1')
    const old = await a.leases.acquireLease(name, 'paused-replica', 1)
    if (old === null) throw new Error('no lease')
    // Wait on the condition (the database's clock passing the expiry), not on a fixed time.
    let taken = null
    while (taken === null) taken = await b.leases.acquireLease(name, 'live-replica', 60_000)
    t.equal(taken.token, old.token + 1)
    await b.commitDelivery({ sink: 'tensorboard', runId: 'r1', deliveredSeq: 2, state: { s: 'live' }, wakeAt: null, deadLetters: [], replayed: [], now: 2, lease: taken })
    await t.rejects(a.commitDelivery({ sink: 'tensorboard', runId: 'r1', deliveredSeq: 1, state: { s: 'stale' }, wakeAt: null, deadLetters: [], replayed: [], now: 3, lease: old }), { code: 'TG_LEASE_LOST' }, 'a stale holder cannot move the cursor back')
    await t.rejects(a.recordFailure('tensorboard', 'r1', { attempts: 1, nextAttemptAt: 9, status: 'degraded', code: 'X', message: 'x' }, 3, old), { code: 'TG_LEASE_LOST' }, 'nor record a failure')
    t.match((await b.listCursors('r1')).find(c => c.sink === 'tensorboard'), { deliveredSeq: 2, state: { s: 'live' }, status: 'healthy' }, 'the live holder\'s commit stands')
    t.equal(await a.leases.renewLease(old, 60_000), null)
  })
}
