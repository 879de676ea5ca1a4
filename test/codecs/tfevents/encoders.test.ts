import t from 'tap'
import {
  decodeEvent, encodeEvent, encodeFileVersion, encodeScalars, readRecords, TfeventsDecodeError,
  type ScalarValue
} from '../../../src/codecs/tfevents/index.js'

const hex = (s: string): string => s.replace(/\s+/g, '')
const T = 1700000000.25

/** The one payload inside a framed record, checking its CRCs on the way. */
function payloadOf (record: Buffer): Buffer {
  const { records, stop } = readRecords(record)
  if (stop !== undefined || records.length !== 1) throw new Error('expected exactly one valid record')
  return records[0] as Buffer
}

/** The same Event built through protobufjs reflection: the oracle for the hand-written encoder. */
const viaProtobufjs = (wallTime: number, step: number, values: ScalarValue[]): Buffer =>
  encodeEvent({ wall_time: wallTime, step, summary: { value: values.map(({ tag, value }) => ({ tag, simple_value: value })) } })

t.test('whole records from the reference, byte for byte', async (t) => {
  t.equal(encodeFileVersion(T, '').toString('hex'),
    hex('1800000000000000 a37f4b22 0900001040fc54d941 1a0d 627261696e2e4576656e743a32 338d2fe9'), 'file_version')
  t.equal(encodeScalars(T, 3, [{ tag: 'loss', value: 0.5 }]).toString('hex'),
    hex('1a00000000000000 129bd82d 0900001040fc54d941 1003 2a0d 0a0b 0a046c6f7373 150000003f 017aa16c'), 'simple_value scalar')
  const newStyle = encodeEvent({
    wall_time: T,
    step: 3,
    summary: { value: [{ tag: 'loss', tensor: { dtype: 1, float_val: [0.5] }, metadata: { plugin_data: { plugin_name: 'scalars' } } }] }
  })
  t.equal(newStyle.toString('hex'),
    hex('2c00000000000000 f4aecc45 0900001040fc54d94110032a1f0a1d0a046c6f7373 420808012a040000003f 4a0b0a090a077363616c617273 395b3a3f'), 'new-style tensor scalar')
})

t.test('encodeFileVersion names the writer in source_metadata and reads back', async (t) => {
  const e = decodeEvent(payloadOf(encodeFileVersion(T)))
  t.same(e, { wallTime: T, step: 0, what: 'file_version', fileVersion: 'brain.Event:2', sourceWriter: 'trackgate' })
})

t.test('hand-written scalar Events equal the protobufjs encoding byte for byte', async (t) => {
  const tags = ['loss', '', 'é/ünïcode/指标', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(20000), 'train/accuracy']
  const steps = [0, 1, 127, 128, 16384, 2 ** 31, 2 ** 32 + 5, 5_000_000_000, Number.MAX_SAFE_INTEGER, -1, -(2 ** 40)]
  const values = [0, -0, 0.5, -1.5, 1e-45, 3.4e38, 1e39, NaN, Infinity, -Infinity, 0.1]
  const wallTimes = [0, T, 1e-3, 1795686765.8730397]
  let cases = 0
  for (const [i, step] of steps.entries()) {
    for (const [j, wallTime] of wallTimes.entries()) {
      const vals = tags.map((tag, k) => ({ tag, value: values[(i + j + k) % values.length] as number }))
      for (const n of [1, 2, vals.length]) {
        const mine = encodeScalars(wallTime, step, vals.slice(0, n))
        const oracle = viaProtobufjs(wallTime, step, vals.slice(0, n))
        if (!mine.equals(oracle)) t.fail(`step ${step} wall ${wallTime} n ${n}: ${mine.toString('hex').slice(0, 80)}…`)
        cases++
      }
    }
  }
  t.equal(cases, steps.length * wallTimes.length * 3)
})

t.test('round trip of NaN, ±Infinity, -0, float32 rounding and a step beyond 2^32', async (t) => {
  const values = [
    { tag: 'nan', value: NaN }, { tag: 'inf', value: Infinity }, { tag: 'ninf', value: -Infinity },
    { tag: 'negzero', value: -0 }, { tag: 'point6', value: 0.6 }, { tag: 'huge', value: 1e39 }
  ]
  const e = decodeEvent(payloadOf(encodeScalars(T, 5_000_000_000, values)))
  t.equal(e.step, 5_000_000_000)
  t.equal(e.wallTime, T)
  const got = new Map((e.summary ?? []).map((v) => [v.tag, v.scalar]))
  t.ok(Number.isNaN(got.get('nan')), 'NaN')
  t.equal(got.get('inf'), Infinity)
  t.equal(got.get('ninf'), -Infinity)
  t.ok(Object.is(got.get('negzero'), -0), '-0 keeps its sign')
  t.equal(got.get('point6'), Math.fround(0.6), 'float32 as TensorBoard reads it')
  t.equal(got.get('huge'), Infinity, 'beyond float32 range saturates like Python struct/protobuf')
  t.ok((e.summary ?? []).every((v) => v.kind === 'simple_value' && v.pluginName === undefined))
})

t.test('one Event carries 1000 distinct tags in order', async (t) => {
  const values = Array.from({ length: 1000 }, (_, i) => ({ tag: `group${i % 7}/metric_${i}`, value: i / 8 }))
  const e = decodeEvent(payloadOf(encodeScalars(T, 42, values)))
  t.equal(e.step, 42)
  t.same((e.summary ?? []).map((v) => [v.tag, v.scalar]), values.map((v) => [v.tag, v.value]))
})

t.test('steps JS cannot represent are refused on both sides', async (t) => {
  t.throws(() => encodeScalars(T, 2 ** 53, [{ tag: 'a', value: 1 }]), RangeError)
  t.throws(() => encodeScalars(T, 1.5, [{ tag: 'a', value: 1 }]), RangeError)
  const tooBig = payloadOf(encodeEvent({ wall_time: T, step: 2 ** 60, file_version: 'x' }))
  t.throws(() => decodeEvent(tooBig), { name: 'TfeventsDecodeError', code: 'TG_TFEVENTS_DECODE', message: /1152921504606846976/ })
  const negative = payloadOf(encodeEvent({ wall_time: T, step: -7, file_version: 'x' }))
  t.equal(decodeEvent(negative).step, -7)
})

t.test('an empty value list encodes to nothing', async (t) => {
  t.equal(encodeScalars(T, 1, []).length, 0)
})

t.test('bytes that are not an Event give TfeventsDecodeError, not a protobufjs RangeError', async (t) => {
  t.throws(() => decodeEvent(Buffer.from([0x2a, 0x7f, 0x01])), TfeventsDecodeError)
})
