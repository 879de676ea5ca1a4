// The reason the Bayesian strategy exists: on a budget of 20–25 trials it must find clearly
// better hyperparameters than random search. Both are run here, over the same ten seeds, so this
// fails if the model stops helping (a broken kernel, EI or encoding degrades to random or worse).
import t from 'tap'
import { suggest, type Assignment, type Direction, type Observation, type Ranges } from '../../src/tuning/index.js'

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]

/** Best objective found by a sequential search of `budget` trials. */
function search (strategy: 'Random' | 'Bayesian', ranges: Ranges, f: (a: Assignment) => number, direction: Direction, budget: number, seed: number): number {
  const observations: Observation[] = []
  for (let i = 0; i < budget; i++) {
    const [a] = suggest(strategy, { ranges, direction, observations, pending: [], count: 1, seed, trialIndex: i })
    observations.push({ assignment: a!, objective: f(a!) })
  }
  const values = observations.map((o) => o.objective as number)
  return direction === 'Maximize' ? Math.max(...values) : Math.min(...values)
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b)
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2
}
const show = (v: number[]): string => v.map((x) => x.toFixed(3)).join(' ')

t.test('Branin (minimise, 2 continuous, 25 trials)', async (t) => {
  // Three global minima of 0.397887 on [-5, 10] × [0, 15].
  const branin = (a: Assignment): number => {
    const x1 = a.x1 as number
    const x2 = a.x2 as number
    return (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 * x1 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10
  }
  const ranges: Ranges = { x1: { type: 'continuous', min: -5, max: 10 }, x2: { type: 'continuous', min: 0, max: 15 } }
  const regret = (best: number) => best - 0.397887
  const random = SEEDS.map((s) => regret(search('Random', ranges, branin, 'Minimize', 25, s)))
  const bayes = SEEDS.map((s) => regret(search('Bayesian', ranges, branin, 'Minimize', 25, s)))
  t.comment(`regret, random:   ${show(random)}  median ${median(random).toFixed(3)}`)
  t.comment(`regret, Bayesian: ${show(bayes)}  median ${median(bayes).toFixed(3)}`)
  t.ok(median(bayes) < 0.5 * median(random), `median regret ${median(bayes).toFixed(3)} under half of random's ${median(random).toFixed(3)}`)
  const wins = SEEDS.filter((_, i) => bayes[i]! < random[i]!).length
  t.ok(wins >= 7, `Bayesian better on ${wins} of 10 seeds`)
})

t.test('a training-like bump (maximise, log lr × integer batch × categorical model, 20 trials)', async (t) => {
  const bonus: Record<string, number> = { unet: 0, resnet: -0.3, vit: -0.6 }
  // Peak 1 at lr = 1e-3, batch = 96, unet; half a decade and 80 wide.
  const score = (a: Assignment): number =>
    bonus[a.model as string]! +
    Math.exp(-((Math.log10(a.lr as number) + 3) ** 2) / (2 * 0.5 ** 2)) * Math.exp(-((((a.batch as number) - 96) / 80) ** 2) / 2)
  const ranges: Ranges = {
    lr: { type: 'continuous', min: 1e-5, max: 1, scaling: 'log' },
    batch: { type: 'integer', min: 8, max: 512 },
    model: { type: 'categorical', values: ['resnet', 'unet', 'vit'] }
  }
  const random = SEEDS.map((s) => search('Random', ranges, score, 'Maximize', 20, s))
  const bayes = SEEDS.map((s) => search('Bayesian', ranges, score, 'Maximize', 20, s))
  t.comment(`best, random:   ${show(random)}  median ${median(random).toFixed(3)}`)
  t.comment(`best, Bayesian: ${show(bayes)}  median ${median(bayes).toFixed(3)}`)
  t.ok(median(bayes) > median(random) + 0.2, `median best ${median(bayes).toFixed(3)} clearly above random's ${median(random).toFixed(3)}`)
  const wins = SEEDS.filter((_, i) => bayes[i]! > random[i]!).length
  t.ok(wins >= 7, `Bayesian better on ${wins} of 10 seeds`)
})
