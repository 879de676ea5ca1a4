import t from 'tap'
import { seedProject, startGateway } from '../helper.js'

t.test('runs list newest first, filters, and pages with an opaque cursor', async t => {
  const g = await startGateway(t)
  const p = await seedProject(g)
  const ids: string[] = []
  for (let i = 0; i < 7; i++) {
    ids.push((await p.run({ name: `r${i}`, experiment: i % 2 === 0 ? 'even' : 'odd' })).id)
    await new Promise(resolve => setTimeout(resolve, 2)) // distinct creation times
  }
  await g.call('POST', `/v1/runs/${ids[0] as string}/finish`, { auth: p.keys.write, body: { status: 'FAILED' } })

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const q: string = cursor === null ? '' : `&cursor=${cursor}`
    const page: { status: number, body: { items: Array<{ id: string }>, nextCursor: string | null } } = await g.call('GET', `/v1/runs?limit=3${q}`, { auth: p.keys.read })
    t.equal(page.status, 200)
    seen.push(...page.body.items.map(r => r.id))
    cursor = page.body.nextCursor
    pages++
  } while (cursor !== null)
  t.same(seen, [...ids].reverse(), 'every run once, newest first')
  t.equal(pages, 3)

  const odd = await g.call('GET', '/v1/runs?experiment=odd', { auth: p.keys.read })
  t.same(odd.body.items.map((r: { name: string }) => r.name), ['r5', 'r3', 'r1'])
  const failed = await g.call('GET', '/v1/runs?status=FAILED', { auth: p.keys.read })
  t.same(failed.body.items.map((r: { id: string }) => r.id), [ids[0]])
  t.equal(failed.body.nextCursor, null)
  const forged = await g.call('GET', `/v1/runs?cursor=${Buffer.from('{"c":"x"}').toString('base64url')}`, { auth: p.keys.read })
  t.equal(forged.status, 400)
  t.equal(forged.body.code, 'TG_BAD_REQUEST')
})
