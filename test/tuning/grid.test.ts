import t from 'tap'
import { assignmentKey, gridPoints, gridSize, iterateGrid, suggest, type Ranges, type SuggestInput } from '../../src/tuning/index.js'

const ranges: Ranges = {
  opt: { type: 'categorical', values: ['sgd', 'adam'] },
  depth: { type: 'integer', min: 2, max: 4, scaling: 'log' }
}

t.test('gridSize', async (t) => {
  t.equal(gridSize(ranges), 6)
  t.equal(gridSize({ ...ranges, lr: { type: 'continuous', min: 0, max: 1 } }), Infinity)
  t.equal(gridSize({ a: { type: 'integer', min: 0, max: 9 }, b: { type: 'integer', min: -5, max: 5 } }), 110)
})

t.test('gridPoints: every combination, sorted names, last name fastest, integers by 1', async (t) => {
  t.same(gridPoints(ranges), [
    { depth: 2, opt: 'sgd' }, { depth: 2, opt: 'adam' },
    { depth: 3, opt: 'sgd' }, { depth: 3, opt: 'adam' },
    { depth: 4, opt: 'sgd' }, { depth: 4, opt: 'adam' }
  ])
  const big: Ranges = { a: { type: 'integer', min: 0, max: 9 }, b: { type: 'categorical', values: [1, '1', true] }, c: { type: 'integer', min: -1, max: 1 } }
  const points = gridPoints(big)
  t.equal(points.length, gridSize(big))
  t.equal(new Set(points.map(assignmentKey)).size, points.length, 'all distinct')
  t.throws(() => gridPoints({ lr: { type: 'continuous', min: 0, max: 1 } }), /continuous range has no grid/)
})

t.test('iterateGrid is lazy', async (t) => {
  const huge: Ranges = { a: { type: 'integer', min: 0, max: 1e6 }, b: { type: 'integer', min: 0, max: 1e6 } }
  const first: unknown[] = []
  for (const p of iterateGrid(huge)) { first.push(p); if (first.length === 3) break }
  t.same(first, [{ a: 0, b: 0 }, { a: 0, b: 1 }, { a: 0, b: 2 }])
})

t.test('assignmentKey: key order does not matter, types do', async (t) => {
  t.equal(assignmentKey({ a: 1, b: 'x' }), assignmentKey({ b: 'x', a: 1 }))
  t.not(assignmentKey({ a: 1 }), assignmentKey({ a: '1' }))
  t.not(assignmentKey({ a: true }), assignmentKey({ a: 'true' }))
})

t.test('Grid strategy: next unused points in order, fewer when exhausted', async (t) => {
  const base: SuggestInput = { ranges, direction: 'Maximize', observations: [], pending: [], count: 2, seed: 1, trialIndex: 0 }
  t.same(suggest('Grid', base), [{ depth: 2, opt: 'sgd' }, { depth: 2, opt: 'adam' }])
  t.same(suggest('Grid', {
    ...base,
    count: 3,
    observations: [{ assignment: { opt: 'sgd', depth: 2 }, objective: 1 }, { assignment: { depth: 3, opt: 'sgd' }, objective: null }],
    pending: [{ depth: 2, opt: 'adam' }],
    trialIndex: 3
  }), [{ depth: 3, opt: 'adam' }, { depth: 4, opt: 'sgd' }, { depth: 4, opt: 'adam' }], 'skips observed (failed too) and pending')
  const all = gridPoints(ranges)
  t.same(suggest('Grid', { ...base, count: 5, pending: all.slice(0, 4) }), all.slice(4), 'two left for five slots')
  t.same(suggest('Grid', { ...base, pending: all }), [], 'exhausted')
  t.same(suggest('Grid', { ...base, count: 0 }), [])
})
