import t from 'tap'
import { assignmentKey, createRng, fits, gaussian, mixSeed, suggest, type Ranges, type SuggestInput } from '../../src/tuning/index.js'

t.test('createRng: seeded, in [0, 1), uniform enough', async (t) => {
  const a = createRng(7)
  const b = createRng(7)
  const xs = Array.from({ length: 10_000 }, () => a())
  t.same(Array.from({ length: 10_000 }, () => b()), xs, 'same seed, same stream')
  t.not(createRng(8)(), xs[0], 'another seed, another stream')
  t.ok(xs.every((x) => x >= 0 && x < 1))
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length
  t.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`)
  const deciles = Array.from({ length: 10 }, (_, d) => xs.filter((x) => Math.floor(x * 10) === d).length)
  t.ok(deciles.every((c) => c > 900 && c < 1100), `deciles ${deciles}`)
})

t.test('mixSeed: neighbouring trial indices get unrelated streams', async (t) => {
  t.equal(mixSeed(1, 2), mixSeed(1, 2))
  const firsts = Array.from({ length: 2000 }, (_, i) => createRng(mixSeed(1, i))())
  const seconds = firsts.slice(1)
  const n = seconds.length
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length
  const ma = mean(firsts.slice(0, n))
  const mb = mean(seconds)
  let cov = 0
  let va = 0
  let vb = 0
  for (let i = 0; i < n; i++) {
    cov += (firsts[i]! - ma) * (seconds[i]! - mb)
    va += (firsts[i]! - ma) ** 2
    vb += (seconds[i]! - mb) ** 2
  }
  const r = cov / Math.sqrt(va * vb)
  t.ok(Math.abs(r) < 0.1, `lag-1 correlation of first draws ${r.toFixed(3)}`)
  t.equal(new Set(firsts).size, firsts.length, 'no two indices start alike')
})

t.test('gaussian: standard normal', async (t) => {
  const rng = createRng(5)
  const zs = Array.from({ length: 20_000 }, () => gaussian(rng))
  const mean = zs.reduce((s, z) => s + z, 0) / zs.length
  const variance = zs.reduce((s, z) => s + (z - mean) ** 2, 0) / zs.length
  t.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`)
  t.ok(zs.every(Number.isFinite))
})

const ranges: Ranges = {
  lr: { type: 'continuous', min: 1e-5, max: 1e-1, scaling: 'log' },
  batch: { type: 'integer', min: 8, max: 256 },
  model: { type: 'categorical', values: ['unet', 'resnet'] }
}
const input: SuggestInput = { ranges, direction: 'Minimize', observations: [], pending: [], count: 4, seed: 11, trialIndex: 0 }

t.test('Random strategy: seeded by (seed, trial index), inside the ranges', async (t) => {
  const first = suggest('Random', input)
  t.equal(first.length, 4)
  t.ok(first.every((a) => fits(ranges, a)))
  t.same(suggest('Random', input), first, 'same input, same trials (a restarted gateway agrees)')
  const oneByOne = [0, 1, 2, 3].map((i) => suggest('Random', { ...input, count: 1, trialIndex: i, pending: first.slice(0, i) })[0])
  t.same(oneByOne, first, 'trial k is the same whether proposed alone or in a batch')
  t.notSame(suggest('Random', { ...input, seed: 12 }), first, 'another seed, other trials')
  t.equal(new Set(first.map(assignmentKey)).size, 4, 'distinct')
})

t.test('Random strategy: a small discrete space runs out instead of repeating', async (t) => {
  const small: Ranges = { opt: { type: 'categorical', values: ['sgd', 'adam', 'lion'] }, warm: { type: 'categorical', values: [true, false] } }
  const six = suggest('Random', { ...input, ranges: small, count: 10 })
  t.equal(six.length, 6, 'all six combinations, then nothing')
  t.equal(new Set(six.map(assignmentKey)).size, 6)
  t.same(suggest('Random', { ...input, ranges: small, count: 2, pending: six.slice(1) }), [six[0]], 'the one left')
})
