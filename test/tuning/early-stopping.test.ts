import t from 'tap'
import { shouldStop, stoppingDecision, type CurvePoint } from '../../src/tuning/index.js'

/** A curve reported every 10 steps: values[i] at step 10·(i + 1). */
const curve = (...values: number[]): CurvePoint[] => values.map((value, i) => ({ step: 10 * (i + 1), value }))
// Validation accuracy of four completed trials: running averages at step 20 are 0.55, 0.65, 0.75, 0.85.
const completed = [curve(0.5, 0.6, 0.7, 0.8), curve(0.6, 0.7, 0.8, 0.9), curve(0.7, 0.8, 0.85, 0.9), curve(0.8, 0.9, 0.92, 0.95)]

t.test('Maximize: a clearly bad curve stops, a good one continues', async (t) => {
  const bad = stoppingDecision({ direction: 'Maximize', curve: curve(0.1, 0.2), others: completed })
  t.equal(bad.stop, true)
  t.equal(bad.median, 0.7, 'median of the running averages 0.55, 0.65, 0.75, 0.85 at step 20')
  t.equal(bad.compared, 4)
  t.match(bad.reason, /best objective 0.2 by step 20 is worse than the median running average 0.7 of 4 completed trials/)
  t.equal(shouldStop({ direction: 'Maximize', curve: curve(0.6, 0.75), others: completed }), false, 'good: best 0.75 >= 0.7')
  t.equal(shouldStop({ direction: 'Maximize', curve: curve(0.7, 0.4), others: completed }), false,
    'the best so far counts, not the latest: one dip does not stop a trial')
  t.equal(shouldStop({ direction: 'Maximize', curve: curve(0.6, 0.7), others: completed }), false, 'equal to the median is not worse')
})

t.test('running averages use only steps up to the trial\'s current step', async (t) => {
  // At step 10 the averages are the first values: 0.5, 0.6, 0.7, 0.8; median 0.65.
  const early = stoppingDecision({ direction: 'Maximize', curve: curve(0.62), others: completed })
  t.ok(Math.abs(early.median! - 0.65) < 1e-12, `median ${early.median}`)
  t.equal(early.stop, true)
  t.equal(stoppingDecision({ direction: 'Maximize', curve: [{ step: 5, value: 0.1 }], others: completed }).compared, 0,
    'nothing completed had reported by step 5: no comparison, no stop')
})

t.test('Minimize mirrors it', async (t) => {
  const losses = [curve(2, 1.5, 1), curve(1.8, 1.2, 0.9), curve(1.5, 1, 0.8)]
  // Averages at step 20: 1.75, 1.5, 1.25; median 1.5.
  t.equal(shouldStop({ direction: 'Minimize', curve: curve(3, 2.5), others: losses }), true, 'loss 2.5 > 1.5')
  t.equal(shouldStop({ direction: 'Minimize', curve: curve(2, 1.1), others: losses }), false, 'loss 1.1 < 1.5')
})

t.test('never stops too early', async (t) => {
  t.same(stoppingDecision({ direction: 'Maximize', curve: [], others: completed }), { stop: false, reason: 'no objective reported yet', compared: 0 })
  t.equal(shouldStop({ direction: 'Maximize', curve: [{ step: 10, value: NaN }], others: completed }), false, 'NaN is not a report')
  const two = stoppingDecision({ direction: 'Maximize', curve: curve(0), others: completed.slice(0, 2) })
  t.equal(two.stop, false)
  t.equal(two.reason, '2 completed trials reported by step 10, 3 needed to compare')
  t.equal(shouldStop({ direction: 'Maximize', curve: curve(0), others: completed.slice(0, 2), minTrials: 2 }), true, 'minTrials is an option')
  t.equal(shouldStop({ direction: 'Maximize', curve: curve(0), others: [...completed.slice(0, 2), []] }), false, 'a completed trial without values does not count')
})
