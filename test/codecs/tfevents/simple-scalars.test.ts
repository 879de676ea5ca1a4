import t from 'tap'
import { decodeEvent, decodeSimpleScalars, encodeEvent, encodeScalars, readRecords, type EventInit } from '../../../src/codecs/tfevents/index.js'

const payload = (framed: Buffer): Buffer => readRecords(framed).records[0] as Buffer

/** What the general decoder makes of the same record, in the fast path's shape. */
function general (p: Buffer): { wallTime: number, step: number, tags: string[], values: number[] } {
  const e = decodeEvent(p)
  const values = e.summary ?? []
  return { wallTime: e.wallTime, step: e.step, tags: values.map(v => v.tag), values: values.map(v => v.scalar as number) }
}

t.test('add_scalar-shaped records decode exactly as the general decoder decodes them', async t => {
  const cases: EventInit[] = [
    { wall_time: 1700000000.123456, step: 3, summary: { value: [{ tag: 'loss', simple_value: 0.25 }] } },
    { wall_time: 1, step: 0, summary: { value: [{ tag: 'a', simple_value: -1.5 }, { tag: 'b/ü', simple_value: 3e38 }] } },
    { wall_time: 2, step: 2 ** 40 + 7, summary: { value: [{ tag: 'big step', simple_value: Number.NaN }] } },
    { wall_time: 3, step: 9, summary: { value: Array.from({ length: 40 }, (_, i) => ({ tag: `train/metric_${i}`, simple_value: i / 7 })) } }
  ]
  for (const c of cases) {
    const p = payload(encodeEvent(c))
    const fast = decodeSimpleScalars(p, 0, p.length)
    t.ok(fast !== undefined, `fast path for ${JSON.stringify(c).slice(0, 60)}`)
    t.same(fast, general(p))
  }
  const hand = payload(encodeScalars(1700000001.5, 12, [{ tag: 'x', value: 0.125 }, { tag: 'y', value: 2 }]))
  t.same(decodeSimpleScalars(hand, 0, hand.length), general(hand), 'the sink\'s own encoder too')
})

t.test('anything else is left to the general decoder, never misread', async t => {
  const others: EventInit[] = [
    { wall_time: 1, file_version: 'brain.Event:2' },
    { wall_time: 1, step: -1, summary: { value: [{ tag: 'neg', simple_value: 1 }] } },
    { wall_time: 1, step: 2 ** 50, summary: { value: [{ tag: 'huge', simple_value: 1 }] } },
    { wall_time: 1, summary: { value: [{ tag: 't', tensor: { dtype: 1, float_val: [1] }, metadata: { plugin_data: { plugin_name: 'scalars' } } }] } },
    { wall_time: 1, session_log: { status: 1 } }
  ]
  for (const o of others) {
    const p = payload(encodeEvent(o))
    t.equal(decodeSimpleScalars(p, 0, p.length), undefined, JSON.stringify(o).slice(0, 80))
  }
})

t.test('cut or garbled bytes answer undefined or the general decoder\'s values, and never throw', async t => {
  const p = payload(encodeEvent({ wall_time: 5, step: 300, summary: { value: [{ tag: 'loss', simple_value: 0.5 }, { tag: 'acc', simple_value: 0.9 }] } }))
  let seed = 7
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  let checked = 0
  t.doesNotThrow(() => { for (let cut = 0; cut < p.length; cut++) decodeSimpleScalars(p, 0, cut) }, 'every cut')
  const differ: string[] = []
  for (let i = 0; i < 2000; i++) {
    const g = Buffer.from(p)
    g[Math.floor(rand() * g.length)] = Math.floor(rand() * 256)
    const fast = decodeSimpleScalars(g, 0, g.length)
    if (fast === undefined) continue
    let slow
    try { slow = general(g) } catch { continue } // the general decoder refuses it: the caller reports it
    if (slow.values.some(v => v === undefined)) continue
    if (JSON.stringify(fast) !== JSON.stringify(slow)) differ.push(g.toString('hex'))
    checked++
  }
  t.same(differ, [], 'no garbled record read differently')
  t.ok(checked > 0, `${checked} garbled records both decoders read agree`)
})
