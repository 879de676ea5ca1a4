import t from 'tap'
import type { AddressedRecord, LogRecord } from '../../../src/domain/records.js'
import { applyRecords, closeRow } from '../../../src/sinks/wandb/rows.js'
import { initialState, nextOffset } from '../../../src/sinks/wandb/state.js'
import { planRequest } from '../../../src/sinks/wandb/stream.js'

let seq = 0
const m = (key: string, step: number, value = 1): AddressedRecord => ({ kind: 'metric', key, value, step, timestamp: 1000 + step, seq: ++seq, idx: 0 })
const r = (rec: LogRecord): AddressedRecord => ({ ...rec, seq: ++seq, idx: 0 } as AddressedRecord)

t.test('metrics of one step merge into one row; a higher step closes it with the next offset', async (t) => {
  const s = initialState(1 << 20)
  t.same(applyRecords(s, [m('a', 0), m('b', 0)], 0, 0), [])
  t.same(applyRecords(s, [m('c', 0)], 1, 0), [])
  t.equal(s.pending.length, 0, 'still open')
  applyRecords(s, [m('a', 5)], 2, 0)
  t.equal(s.pending.length, 1)
  t.match(s.pending[0], /"_step":0,.*"a":1,"b":1,"c":1/)
  t.equal(nextOffset(s), 1)
  t.equal(s.open?.step, 5)
})

t.test('late metrics are refused with late_step, leaving the state as it was', async (t) => {
  const s = initialState(1 << 20)
  applyRecords(s, [m('a', 3), m('a', 4)], 0, 0)
  const refused = applyRecords(s, [m('a', 3), m('b', 4), m('a', 2)], 0, 0)
  t.same(refused.map((x) => x.code), ['late_step', 'late_step'])
  t.match(refused[0]?.message, /late_step: metric "a" step 3/)
  closeRow(s, 0)
  t.same(applyRecords(s, [m('z', 4)], 0, 0).map((x) => x.code), ['late_step'], 'the sent row cannot grow')
})

t.test('status closes the row and sets the exit code; metrics after it are refused', async (t) => {
  const s = initialState(1 << 20)
  applyRecords(s, [m('a', 1), r({ kind: 'status', status: 'KILLED', timestamp: 5 })], 0, 0)
  t.equal(s.exit, 143)
  t.equal(s.pending.length, 1)
  t.same(applyRecords(s, [m('a', 9)], 0, 0).map((x) => x.code), ['after_status'])
  t.same(applyRecords(s, [r({ kind: 'metric', key: '_step', value: 1, step: 9, timestamp: 1 })], 0, 0).map((x) => x.code), ['after_status'])
})

t.test('reserved keys are refused; params and tags collect', async (t) => {
  const s = initialState(1 << 20)
  t.same(applyRecords(s, [m('_runtime', 1)], 0, 0).map((x) => x.code), ['reserved_key'])
  applyRecords(s, [r({ kind: 'param', key: 'lr', value: '0.1' }), r({ kind: 'tag', key: 'k', value: 'v' })], 0, 0)
  t.same(s.params, { lr: '0.1' })
  t.same(s.tags, { k: 'v' })
})

t.test('requests: rows merged up to the byte cap from the lowest unacked offset; summary with the last chunk', async (t) => {
  const s = initialState(1 << 20)
  for (let step = 0; step < 10; step++) applyRecords(s, [m('a', step, step)], 0, 0)
  closeRow(s, 0)
  s.chunkBytes = s.pending.slice(0, 3).reduce((n, line) => n + line.length + 8, 0)
  const first = planRequest(s, 0)
  t.equal(first.lines, 3)
  t.equal(first.summary, false)
  t.same(JSON.parse(first.body).files['wandb-history.jsonl'].offset, 0)
  s.chunkBytes = 1 << 20
  const all = planRequest(s, 0)
  t.equal(all.lines, 10)
  t.ok(all.summary)
  t.same(planRequest(s, 0).body, all.body, 'the same state always yields the same request')
})
