import t from 'tap'
import { bestTrial } from '../../src/tuning/index.js'

const trials = [
  { id: 'a', objective: 0.8, endedAt: 3000 },
  { id: 'b', objective: 0.9, endedAt: 5000 },
  { id: 'c', objective: null, endedAt: 1000 },
  { id: 'd', objective: 0.9, endedAt: 4000 },
  { id: 'e', objective: NaN, endedAt: 2000 },
  { id: 'f', objective: 0.1, endedAt: 6000 }
]

t.test('Maximize: the largest objective, ties to the earliest ended', async (t) => {
  t.equal(bestTrial(trials, 'Maximize')?.id, 'd', '0.9 twice; d ended first')
})

t.test('Minimize: the smallest objective', async (t) => {
  t.equal(bestTrial(trials, 'Minimize')?.id, 'f')
})

t.test('nulls and NaN are ignored; nothing usable gives undefined', async (t) => {
  t.equal(bestTrial([{ id: 'x', objective: null, endedAt: 1 }, { id: 'y', objective: NaN, endedAt: 2 }], 'Maximize'), undefined)
  t.equal(bestTrial([], 'Minimize'), undefined)
  t.equal(bestTrial([{ id: 'x', objective: null, endedAt: 1 }, { id: 'y', objective: -5, endedAt: 2 }], 'Maximize')?.id, 'y')
})

t.test('ties: an ended trial beats a running one, then list order', async (t) => {
  const tied = [
    { id: 'running', objective: 1, endedAt: null },
    { id: 'ended', objective: 1, endedAt: 9000 },
    { id: 'same-time', objective: 1, endedAt: 9000 }
  ]
  t.equal(bestTrial(tied, 'Maximize')?.id, 'ended')
  t.equal(bestTrial(tied.slice(0, 1), 'Maximize')?.id, 'running')
})

t.test('returns the caller\'s own object', async (t) => {
  const rows = [{ id: 'k', objective: 2, endedAt: 1, extra: 'kept' }]
  t.equal(bestTrial(rows, 'Maximize'), rows[0])
})
