import t from 'tap'
import fc from 'fast-check'
import type { MetricRecord } from '../../../src/domain/records.js'
import { encodeLogBatches, LOG_BATCH_LIMITS, paramTooLong, truncateChars, wireValue, type BatchableRecord } from '../../../src/sinks/mlflow/encode.js'
import { T0 } from './helpers.js'

const metric = (i: number, key = 'loss', value = i / 10): MetricRecord => ({ kind: 'metric', key, value, step: i, timestamp: T0 + i })
const size = (b: unknown): number => Buffer.byteLength(JSON.stringify(b))

t.test('non-finite values use the REST API strings; finite stay numbers', async (t) => {
  t.same([NaN, Infinity, -Infinity, 0.5, -0, 1e-7].map(wireValue), ['NaN', 'Infinity', '-Infinity', 0.5, -0, 1e-7])
  const [body] = encodeLogBatches('r', [metric(1, 'a', NaN), metric(2, 'a', Infinity), metric(3, 'a', -Infinity)])
  const text = JSON.stringify(body)
  t.match(text, /"value":"NaN".*"value":"Infinity".*"value":"-Infinity"/)
  t.notMatch(text, /null/, 'JSON.stringify(NaN) would give null, which MLflow rejects')
  t.match(text, /"timestamp":1700000000001,"step":1/, 'int64 as JSON numbers')
})

t.test('chunks 10,000 points into 10 bodies of 1000 metrics', async (t) => {
  const recs = Array.from({ length: 10_000 }, (_, i) => metric(i))
  const bodies = encodeLogBatches('r', recs)
  t.equal(bodies.length, 10)
  t.ok(bodies.every(b => b.metrics?.length === 1000 && b.params === undefined && b.tags === undefined))
  t.same(bodies.flatMap(b => b.metrics ?? []).map(m => m.step), recs.map(r => r.step), 'order kept')
})

t.test('params ≤ 100, tags ≤ 100, items ≤ 1000 per body', async (t) => {
  const recs: BatchableRecord[] = []
  for (let i = 0; i < 250; i++) recs.push({ kind: 'param', key: `p${i}`, value: String(i) })
  for (let i = 0; i < 230; i++) recs.push({ kind: 'tag', key: `t${i}`, value: String(i) })
  for (let i = 0; i < 1500; i++) recs.push(metric(i))
  const bodies = encodeLogBatches('r', recs)
  for (const b of bodies) {
    const n = (b.metrics?.length ?? 0) + (b.params?.length ?? 0) + (b.tags?.length ?? 0)
    t.ok((b.params?.length ?? 0) <= 100 && (b.tags?.length ?? 0) <= 100 && (b.metrics?.length ?? 0) <= 1000 && n <= 1000)
  }
  t.equal(bodies.flatMap(b => b.params ?? []).length, 250)
  t.equal(bodies.flatMap(b => b.tags ?? []).length, 230)
  t.equal(bodies.flatMap(b => b.metrics ?? []).length, 1500)
  t.ok(bodies.length <= 3, `packed into ${bodies.length} bodies (1980 items)`)
})

t.test('≤ 1 MB serialised even with long keys and values', async (t) => {
  const longKey = 'k'.repeat(240)
  const recs: BatchableRecord[] = []
  for (let i = 0; i < 100; i++) recs.push({ kind: 'tag', key: `t${i}`, value: 'v'.repeat(8000) })
  for (let i = 0; i < 100; i++) recs.push({ kind: 'param', key: `p${i}`, value: 'x'.repeat(6000) })
  for (let i = 0; i < 3000; i++) recs.push(metric(i, `${longKey}${i % 5}`))
  const bodies = encodeLogBatches('0123456789abcdef0123456789abcdef', recs)
  for (const b of bodies) t.ok(size(b) <= LOG_BATCH_LIMITS.bytes, `body of ${size(b)} bytes`)
  t.equal(bodies.flatMap(b => b.metrics ?? []).length, 3000)
  const tight = encodeLogBatches('r', recs.slice(0, 50), { ...LOG_BATCH_LIMITS, bytes: 50_000 })
  for (const b of tight) t.ok(size(b) <= 50_000)
})

t.test('a param key appears once per body; equal re-logs dropped, changed values sent later', async (t) => {
  const bodies = encodeLogBatches('r', [
    { kind: 'param', key: 'lr', value: '0.1' },
    { kind: 'param', key: 'bs', value: '32' },
    { kind: 'param', key: 'lr', value: '0.1' },
    metric(1),
    { kind: 'param', key: 'lr', value: '0.2' }
  ])
  t.equal(bodies.length, 2)
  t.same(bodies[0]?.params, [{ key: 'lr', value: '0.1' }, { key: 'bs', value: '32' }])
  t.same(bodies[1]?.params, [{ key: 'lr', value: '0.2' }], 'the server, not the encoder, decides on the conflict')
})

t.test('identical points sent once (two equal NaN points would fail a batch)', async (t) => {
  const [body] = encodeLogBatches('r', [metric(1, 'a', NaN), metric(1, 'a', NaN), metric(1, 'a', 0.5), metric(1, 'a', 0.5), metric(1, 'a', 0.6),
    metric(2, 'a', Infinity), metric(2, 'a', Number.MAX_VALUE)])
  t.same(body?.metrics?.map(m => m.value), ['NaN', 0.5, 0.6, 'Infinity'], '+Inf and max double are one stored point')
})

t.test('over-long tag values are cut by code points, as the server would; over-long params are refused', async (t) => {
  t.equal(truncateChars('ab', 5), 'ab')
  t.equal(truncateChars('😀'.repeat(6001), 6000), '😀'.repeat(6000))
  const [body] = encodeLogBatches('r', [{ kind: 'tag', key: 't', value: 'y'.repeat(9000) }])
  t.equal(body?.tags?.[0]?.value.length, 8000)
  t.equal(paramTooLong([{ kind: 'param', key: 'p', value: '😀'.repeat(6000) }], 6000), undefined, 'counted in code points')
  // 1500 one-digit numbers: 3001 characters of JSON, 4500 of str() ("[0, 0, ...]").
  const list = new Array(1500).fill(0)
  t.equal(paramTooLong([{ kind: 'param', key: 'l', value: list }], 6000), undefined)
  t.match(paramTooLong([{ kind: 'metric' }, { kind: 'param', key: 'l', value: list }], 4000),
    /^param_too_long: param "l" is 4500 characters as MLflow writes it \(str\(value\)\); this server keeps at most 4000$/)
})

t.test('typed params go out as the Python client writes them: str(value)', async (t) => {
  const [body] = encodeLogBatches('r', [
    { kind: 'param', key: 'lr', value: 0.001 },
    { kind: 'param', key: 'wd', value: 1e-5 },
    { kind: 'param', key: 'epochs', value: 10 },
    { kind: 'param', key: 'amp', value: true },
    { kind: 'param', key: 'none', value: null },
    { kind: 'param', key: 'roi', value: [96, 96, 96] },
    { kind: 'param', key: 'opt', value: { name: "adam'w", betas: [0.9, 0.999], nesterov: false } },
    { kind: 'param', key: 'name', value: 'it\'s' }
  ])
  t.same(body?.params, [
    { key: 'lr', value: '0.001' },
    { key: 'wd', value: '1e-05' },
    { key: 'epochs', value: '10' },
    { key: 'amp', value: 'True' },
    { key: 'none', value: 'None' },
    { key: 'roi', value: '[96, 96, 96]' },
    { key: 'opt', value: '{\'name\': "adam\'w", \'betas\': [0.9, 0.999], \'nesterov\': False}' },
    { key: 'name', value: "it's" }
  ])
})

t.test('property: every distinct record lands exactly once, in order, within limits', async (t) => {
  const rec = fc.oneof(
    fc.record({ kind: fc.constant('metric' as const), key: fc.constantFrom('a', 'b', 'c'), value: fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity)), step: fc.nat(50), timestamp: fc.nat(50) }),
    fc.record({ kind: fc.constant('param' as const), key: fc.constantFrom('p', 'q', 'r'), value: fc.constantFrom('1', '2') }),
    fc.record({ kind: fc.constant('tag' as const), key: fc.constantFrom('x', 'y'), value: fc.string({ maxLength: 5 }) })
  )
  fc.assert(fc.property(fc.array(rec, { maxLength: 400 }), fc.integer({ min: 1, max: 20 }), (recs, cap) => {
    const limits = { ...LOG_BATCH_LIMITS, metrics: cap, params: Math.max(1, cap >> 1), tags: Math.max(1, cap >> 2), items: cap }
    const bodies = encodeLogBatches('r', recs, limits)
    for (const b of bodies) {
      const keys = (b.params ?? []).map(p => p.key)
      if (new Set(keys).size !== keys.length) return false
      if ((b.metrics?.length ?? 0) + keys.length + (b.tags?.length ?? 0) > cap) return false
    }
    const sentTags = bodies.flatMap(b => b.tags ?? [])
    const wantTags = recs.filter(r => r.kind === 'tag')
    const metricIds = new Set(recs.flatMap(r => r.kind === 'metric' ? [r] : []).map(m => `${m.key}/${m.step}/${m.timestamp}/${String(wireValue(m.value === Number.MAX_VALUE ? Infinity : m.value === -Number.MAX_VALUE ? -Infinity : m.value))}`))
    return sentTags.length === wantTags.length && bodies.flatMap(b => b.metrics ?? []).length === metricIds.size
  }))
})
