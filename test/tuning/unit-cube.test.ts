import t from 'tap'
import {
  createRng, cubeLayout, decode, dimensions, encode, fits, sampleUniform, warpOf, type Ranges
} from '../../src/tuning/index.js'

const close = (a: number, b: number, rel = 1e-9): boolean => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b))

t.test('layout: sorted names, one coordinate per number, one per category', async (t) => {
  const ranges: Ranges = {
    zeta: { type: 'continuous', min: 0, max: 1 },
    alpha: { type: 'categorical', values: ['a', 'b', 'c'] },
    mid: { type: 'integer', min: 1, max: 3 }
  }
  t.same(cubeLayout(ranges).map(({ name, offset, width }) => [name, offset, width]), [['alpha', 0, 3], ['mid', 3, 1], ['zeta', 4, 1]])
  t.equal(dimensions(ranges), 5)
  t.same(encode(ranges, { zeta: 0.25, mid: 2, alpha: 'b' }), [0, 1, 0, 0.5, 0.25])
})

t.test('linear and log continuous ranges', async (t) => {
  const ranges: Ranges = { x: { type: 'continuous', min: -2, max: 6, scaling: 'linear' }, lr: { type: 'continuous', min: 1e-5, max: 1e-1, scaling: 'log' } }
  t.same(encode(ranges, { x: -2, lr: 1e-5 }), [0, 0])
  const mid = encode(ranges, { x: 2, lr: 1e-3 })
  t.ok(close(mid[0]!, 0.5) && close(mid[1]!, 0.5), 'the middle of a log range is the geometric mean')
  const back = decode(ranges, [0.75, 0.5])
  t.ok(close(back.lr as number, 1e-2), `u = 0.75 of four decades is 1e-2 (got ${back.lr})`)
  t.equal(back.x, 2)
  t.same(decode(ranges, [1, 1]), { lr: 1e-1, x: 6 }, 'the edges decode exactly to min and max')
  const rng = createRng(1)
  for (let i = 0; i < 200; i++) {
    const a = sampleUniform(ranges, rng)
    const again = decode(ranges, encode(ranges, a))
    if (!close(again.lr as number, a.lr as number) || !close(again.x as number, a.x as number)) t.fail(`round trip of ${JSON.stringify(a)}`)
  }
})

t.test('reverseLog: dense near 1, monotone, round trip', async (t) => {
  const ranges: Ranges = { m: { type: 'continuous', min: 0.9, max: 0.999, scaling: 'reverseLog' } }
  // -ln(1 - x) is linear in u: 0.9, 0.99, 0.999 sit at u = 0, 0.5, 1.
  t.ok(close(encode(ranges, { m: 0.99 })[0]!, 0.5))
  t.ok(close(decode(ranges, [0.5]).m as number, 0.99))
  t.same(decode(ranges, [0]), { m: 0.9 })
  t.ok(close(decode(ranges, [1]).m as number, 0.999))
  let previous = -Infinity
  for (let u = 0; u <= 1; u += 0.01) {
    const m = decode(ranges, [u]).m as number
    if (!(m > previous)) t.fail(`not increasing at u = ${u}`)
    previous = m
    if (!close(encode(ranges, { m })[0]!, u, 1e-9)) t.fail(`round trip at u = ${u}`)
  }
  const rng = createRng(2)
  const draws = Array.from({ length: 2000 }, () => sampleUniform(ranges, rng).m as number)
  const above = draws.filter((m) => m >= 0.99).length / draws.length
  t.ok(above > 0.45 && above < 0.55, `half the draws are in [0.99, 0.999], a tenth of the interval (got ${above})`)
  t.same(encode({ m: { type: 'continuous', min: 0, max: 0.5, scaling: 'reverseLog' } }, { m: 0 }), [0], 'min 0 is allowed')
})

t.test('auto scaling', async (t) => {
  t.equal(warpOf({ type: 'continuous', min: 1e-4, max: 1 }), 'log', 'four decades: log')
  t.equal(warpOf({ type: 'continuous', min: 0.1, max: 1, scaling: 'auto' }), 'log', 'exactly one decade: log')
  t.equal(warpOf({ type: 'continuous', min: 0.1, max: 0.5 }), 'linear', 'less than a decade: linear')
  t.equal(warpOf({ type: 'continuous', min: 0, max: 100 }), 'linear', 'min 0 has no log: linear')
  t.equal(warpOf({ type: 'continuous', min: -1, max: 100 }), 'linear')
  t.equal(warpOf({ type: 'integer', min: 1, max: 1000 }), 'linear', 'integers: linear')
  t.equal(warpOf({ type: 'integer', min: 1, max: 1000, scaling: 'log' }), 'log')
  t.equal(warpOf({ type: 'continuous', min: 1e-4, max: 1, scaling: 'linear' }), 'linear', 'explicit scaling wins')
})

t.test('integers round into equal bins', async (t) => {
  const ranges: Ranges = { k: { type: 'integer', min: 1, max: 4 } }
  t.same([0, 0.24, 0.26, 0.49, 0.51, 0.74, 0.76, 1].map((u) => decode(ranges, [u]).k), [1, 1, 2, 2, 3, 3, 4, 4])
  for (let k = 1; k <= 4; k++) t.equal(decode(ranges, encode(ranges, { k })).k, k, `round trip of ${k}`)
  const rng = createRng(3)
  const counts = [0, 0, 0, 0]
  for (let i = 0; i < 4000; i++) counts[(sampleUniform(ranges, rng).k as number) - 1]!++
  t.ok(counts.every((c) => c > 880 && c < 1120), `each integer, the end ones too, drawn about a quarter of the time (${counts})`)

  const logRange: Ranges = { batch: { type: 'integer', min: 1, max: 1024, scaling: 'log' } }
  for (const batch of [1, 2, 3, 16, 100, 1000, 1024]) t.equal(decode(logRange, encode(logRange, { batch })).batch, batch, `log round trip of ${batch}`)
  const draws = Array.from({ length: 500 }, () => sampleUniform(logRange, rng).batch as number)
  t.ok(draws.every((b) => Number.isInteger(b) && b >= 1 && b <= 1024), 'every draw an integer in range')
  t.ok(draws.filter((b) => b <= 32).length > 200, 'log spacing: half the draws at or below 32')
})

t.test('categorical one-hot', async (t) => {
  const ranges: Ranges = { v: { type: 'categorical', values: [1, '1', true, 'adam'] } }
  t.same(encode(ranges, { v: '1' }), [0, 1, 0, 0], 'typed: "1" is not 1')
  t.same(encode(ranges, { v: 1 }), [1, 0, 0, 0])
  t.same(decode(ranges, [0.1, 0.2, 0.9, 0.3]), { v: true }, 'the largest coordinate wins')
  t.same(decode(ranges, [0.5, 0.5, 0, 0]), { v: 1 }, 'ties go to the first value')
  for (const v of [1, '1', true, 'adam']) t.same(decode(ranges, encode(ranges, { v })), { v })
})

t.test('encode refuses values outside the ranges; decode clamps', async (t) => {
  const ranges: Ranges = { x: { type: 'continuous', min: 0, max: 1 }, k: { type: 'integer', min: 0, max: 3 }, c: { type: 'categorical', values: ['a'] } }
  t.throws(() => encode(ranges, { x: 0.5, k: 1 }), /no value for "c"/)
  t.throws(() => encode(ranges, { x: 2, k: 1, c: 'a' }), /"x".*got 2/)
  t.throws(() => encode(ranges, { x: 0.5, k: 1.5, c: 'a' }), /"k"/)
  t.throws(() => encode(ranges, { x: '0.5', k: 1, c: 'a' }), /"x"/)
  t.ok(fits(ranges, { x: 0.5, k: 1, c: 'a', other: 'ignored' }))
  t.notOk(fits(ranges, { x: 0.5, k: 1, c: 'b' }))
  t.same(decode(ranges, [1, 2, -1]), { c: 'a', k: 3, x: 0 })
})

t.test('seeded sampling is deterministic', async (t) => {
  const ranges: Ranges = { x: { type: 'continuous', min: 0, max: 1 }, c: { type: 'categorical', values: ['a', 'b'] } }
  const draw = (seed: number) => { const rng = createRng(seed); return [sampleUniform(ranges, rng), sampleUniform(ranges, rng)] }
  t.same(draw(42), draw(42))
  t.not(JSON.stringify(draw(42)), JSON.stringify(draw(43)))
})
