import t from 'tap'
import { createRng, expectedImprovement, fitGp, matern52 } from '../../src/tuning/index.js'

t.test('matern52', async (t) => {
  t.equal(matern52(0), 1)
  t.ok(matern52(0.5) > matern52(1) && matern52(1) > matern52(2) && matern52(3) > 0, 'decreasing, positive')
  // (1 + √5 + 5/3) e^{-√5} at one lengthscale.
  t.ok(Math.abs(matern52(1) - (1 + Math.sqrt(5) + 5 / 3) * Math.exp(-Math.sqrt(5))) < 1e-15)
})

t.test('fitGp interpolates a smooth function and is unsure far from the data', async (t) => {
  const f = (x: number) => Math.sin(6 * x) + 0.5 * x
  const xs = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8].map((x) => [x])
  const gp = fitGp(xs, xs.map(([x]) => f(x!)))
  const { mean, sd } = gp.predict([[0.15], [0.45], [0.75], [1]])
  for (const [i, x] of [0.15, 0.45, 0.75].entries()) {
    t.ok(Math.abs(mean[i]! - f(x)) < 0.05, `mean at ${x}: ${mean[i]!.toFixed(3)} vs ${f(x).toFixed(3)}`)
  }
  t.ok(sd[3]! > 3 * sd[1]!, `sd outside the data (${sd[3]!.toFixed(3)}) well above inside (${sd[1]!.toFixed(3)})`)
  t.ok(gp.lengthscale >= 0.1 && gp.lengthscale <= 1, `lengthscale ${gp.lengthscale}`)
  const atData = gp.predict([[0.3]])
  t.ok(atData.sd[0]! < 0.05, 'near-certain at an observed point')
})

t.test('fitGp copes with duplicate points and constant values', async (t) => {
  const gp = fitGp([[0.5, 0.5], [0.5, 0.5], [0.2, 0.9]], [1, 1.1, 3])
  const { mean } = gp.predict([[0.5, 0.5]])
  t.ok(Math.abs(mean[0]! - 1.05) < 0.2, `mean at the duplicate ${mean[0]}`)
  const flat = fitGp([[0.1], [0.9]], [2, 2])
  const p = flat.predict([[0.5]])
  t.ok(Number.isFinite(p.mean[0]) && Number.isFinite(p.sd[0]), 'finite for constant observations')
  t.throws(() => fitGp([], []), /at least one/)
})

t.test('fitGp picks a short lengthscale for a wiggly function, a long one for a smooth one', async (t) => {
  const rng = createRng(3)
  const xs = Array.from({ length: 40 }, () => [rng()])
  const smooth = fitGp(xs, xs.map(([x]) => x!))
  const wiggly = fitGp(xs, xs.map(([x]) => Math.sin(40 * x!)))
  t.ok(wiggly.lengthscale < smooth.lengthscale, `${wiggly.lengthscale} < ${smooth.lengthscale}`)
})

t.test('expectedImprovement', async (t) => {
  t.equal(expectedImprovement(1, 0, 0.5, 0), 0.5, 'no uncertainty: the plain gain')
  t.equal(expectedImprovement(0, 0, 0.5, 0), 0)
  // At mean = best, EI = sd·φ(0).
  t.ok(Math.abs(expectedImprovement(0, 2, 0, 0) - 2 / Math.sqrt(2 * Math.PI)) < 1e-6)
  t.ok(expectedImprovement(0, 1, 0, 0) > expectedImprovement(0, 0.5, 0, 0), 'more uncertainty, more EI')
  t.ok(expectedImprovement(0.2, 1, 0, 0) > expectedImprovement(0, 1, 0, 0), 'higher mean, more EI')
  t.ok(expectedImprovement(0, 1, 0, 0.1) < expectedImprovement(0, 1, 0, 0), 'xi asks for more')
  t.ok(expectedImprovement(-40, 1, 0, 0) >= 0, 'never negative')
})
