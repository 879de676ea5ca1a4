import t from 'tap'
import { RecentEntries } from '../../src/store/sqlite/recent-entries.js'
import type { LogEntry } from '../../src/domain/log-entry.js'

const entry = (seq: number): LogEntry => ({ seq, body: { t: 'status', s: 'FINISHED', ts: seq }, createdAt: seq })

t.test('answers only contiguous ranges it holds up to the head', async t => {
  const r = new RecentEntries(5)
  for (let s = 1; s <= 3; s++) r.add('a', entry(s))
  t.same(r.get('a', 0, 10)?.map(e => e.seq), [1, 2, 3])
  t.same(r.get('a', 1, 1)?.map(e => e.seq), [2])
  t.same(r.get('a', 3, 10), [], 'nothing after the head')
  t.equal(r.get('b', 0, 10), undefined, 'unknown run: read the database')
  for (let s = 4; s <= 7; s++) r.add('a', entry(s))
  t.equal(r.get('a', 0, 10), undefined, 'evicted entries are not pretended away')
  t.same(r.get('a', 2, 10)?.map(e => e.seq), [3, 4, 5, 6, 7])
  r.add('a', entry(9))
  t.equal(r.get('a', 6, 10), undefined, 'a gap resets the run')
  t.same(r.get('a', 8, 10)?.map(e => e.seq), [9])
})

t.test('capacity is shared across runs, oldest first', async t => {
  const r = new RecentEntries(4)
  r.add('a', entry(1)); r.add('b', entry(1)); r.add('a', entry(2)); r.add('b', entry(2)); r.add('c', entry(1))
  t.equal(r.get('a', 0, 10), undefined, 'a:1 was the oldest')
  t.same(r.get('a', 1, 10)?.map(e => e.seq), [2])
  t.same(r.get('b', 0, 10)?.map(e => e.seq), [1, 2])
  t.same(r.get('c', 0, 10)?.map(e => e.seq), [1])
})
