import t from 'tap'
import { decodeEvent, decodeHparamsPluginData, encodeEvent, readRecords, TfeventsDecodeError } from '../../../src/codecs/tfevents/index.js'

const T = 1700000000.25

function payloadOf (record: Buffer): Buffer {
  return readRecords(record).records[0] ?? Buffer.alloc(0)
}

/** Protobuf length-delimited field: key byte, one-byte length (payloads here are short), bytes. */
const ld = (key: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts)
  return Buffer.concat([Buffer.from([key, body.length]), body])
}
const f32 = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeFloatLE(v); return b }
const f64 = (v: number): Buffer => { const b = Buffer.alloc(8); b.writeDoubleLE(v); return b }
const scalarsMeta = ld(0x4a, ld(0x0a, ld(0x0a, Buffer.from('scalars'))))

/** Event{step: 7, summary{value{tag: 'x', tensor: <tensorBody>, metadata: scalars}}} by hand. */
const eventWithTensor = (tensorBody: Buffer): Buffer =>
  Buffer.concat([Buffer.from([0x10, 7]), ld(0x2a, ld(0x0a, ld(0x0a, Buffer.from('x')), ld(0x42, tensorBody), scalarsMeta))])

t.test('all three float scalar shapes decode to the number', async (t) => {
  const simple = decodeEvent(payloadOf(encodeEvent({ wall_time: T, step: 1, summary: { value: [{ tag: 'a', simple_value: 0.25 }] } })))
  t.match(simple.summary?.[0], { tag: 'a', kind: 'simple_value', scalar: 0.25 })

  const floatVal = decodeEvent(payloadOf(encodeEvent({
    wall_time: T, summary: { value: [{ tag: 'b', tensor: { dtype: 1, float_val: [-1.5] }, metadata: { plugin_data: { plugin_name: 'scalars' } } }] }
  })))
  t.match(floatVal.summary?.[0], { tag: 'b', kind: 'tensor', scalar: -1.5, tensorNumber: -1.5, pluginName: 'scalars' })

  const content = decodeEvent(payloadOf(encodeEvent({
    wall_time: T,
    summary: {
      value: [{
        tag: 'c',
        tensor: { dtype: 1, tensor_shape: {}, tensor_content: f32(0.1) },
        metadata: { plugin_data: { plugin_name: 'scalars' }, data_class: 1 }
      }]
    }
  })))
  t.match(content.summary?.[0], { tag: 'c', scalar: Math.fround(0.1), dataClass: 1 })

  const doubles = decodeEvent(payloadOf(encodeEvent({
    wall_time: T, summary: { value: [{ tag: 'd', tensor: { dtype: 2, double_val: [0.1] }, metadata: { plugin_data: { plugin_name: 'scalars' } } }] }
  })))
  t.equal(doubles.summary?.[0]?.scalar, 0.1, 'DT_DOUBLE keeps full precision')
})

t.test('packed and unpacked float_val/double_val are both accepted', async (t) => {
  const cases: Array<[string, Buffer, number]> = [
    ['packed float_val', Buffer.concat([Buffer.from([0x08, 1]), ld(0x2a, f32(2.5))]), 2.5],
    ['unpacked float_val', Buffer.concat([Buffer.from([0x08, 1, 0x2d]), f32(2.5)]), 2.5],
    ['packed double_val', Buffer.concat([Buffer.from([0x08, 2]), ld(0x32, f64(0.3))]), 0.3],
    ['unpacked double_val', Buffer.concat([Buffer.from([0x08, 2, 0x31]), f64(0.3)]), 0.3],
    ['tensor_content DT_DOUBLE', Buffer.concat([Buffer.from([0x08, 2, 0x12, 0]), ld(0x22, f64(-7.25))]), -7.25]
  ]
  for (const [name, body, want] of cases) {
    const e = decodeEvent(eventWithTensor(body))
    t.equal(e.step, 7, name)
    t.equal(e.summary?.[0]?.scalar, want, name)
  }
})

t.test('tensors that are not one number are not scalars', async (t) => {
  const cases: Array<[string, Buffer]> = [
    ['two float_val', Buffer.concat([Buffer.from([0x08, 1]), ld(0x2a, f32(1), f32(2))])],
    ['empty tensor', Buffer.from([0x08, 1])],
    ['shape [2]', Buffer.concat([Buffer.from([0x08, 1]), ld(0x12, ld(0x12, Buffer.from([0x08, 2]))), ld(0x2a, f32(1))])],
    ['DT_STRING', Buffer.concat([Buffer.from([0x08, 7]), ld(0x42, Buffer.from('hi'))])],
    ['content of the wrong size', Buffer.concat([Buffer.from([0x08, 1]), ld(0x22, Buffer.from([1, 2, 3]))])]
  ]
  for (const [name, body] of cases) {
    const v = decodeEvent(eventWithTensor(body)).summary?.[0]
    t.equal(v?.scalar, undefined, name)
    t.equal(v?.tensorNumber, undefined, name)
  }
})

t.test('a tensor without its own metadata is not a scalar by itself, but keeps its number', async (t) => {
  const e = decodeEvent(payloadOf(encodeEvent({ wall_time: T, summary: { value: [{ tag: 'b', tensor: { dtype: 1, float_val: [3] } }] } })))
  t.match(e.summary?.[0], { tag: 'b', tensorNumber: 3 })
  t.equal(e.summary?.[0]?.scalar, undefined)
})

t.test('fuzz: arbitrary payloads decode or throw TfeventsDecodeError, nothing else', async (t) => {
  let seed = 0x9e3779b9
  const rand = (): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5
    return (seed >>> 0) / 0x1_0000_0000
  }
  const valid = eventWithTensor(Buffer.concat([Buffer.from([0x08, 1]), ld(0x2a, f32(2.5))]))
  const unexpected: string[] = []
  for (let i = 0; i < 5000; i++) {
    const buf = i % 2 === 0 ? Buffer.alloc(Math.floor(rand() * 64)) : Buffer.from(valid)
    for (let j = 0; j < (i % 2 === 0 ? buf.length : 1 + Math.floor(rand() * 3)); j++) {
      const pos = i % 2 === 0 ? j : Math.floor(rand() * buf.length)
      buf[pos] = Math.floor(rand() * 256)
    }
    for (const decode of [decodeEvent, decodeHparamsPluginData]) {
      try {
        decode(buf)
      } catch (err) {
        if (!(err instanceof TfeventsDecodeError)) unexpected.push(`${buf.toString('hex')}: ${String(err)}`)
      }
    }
  }
  t.same(unexpected, [])
})
