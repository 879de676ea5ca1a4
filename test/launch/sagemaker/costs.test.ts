import t from 'tap'
import { DEFAULT_PRICES_USD_PER_HOUR, estimateCost, loadPriceTable } from '../../../src/launch/sagemaker/costs.js'

t.test('on demand: billable instance-seconds at the hourly price', async t => {
  const e = estimateCost({ instanceType: 'ml.g5.12xlarge', instanceCount: 2, billableSeconds: 3600, trainingSeconds: 3600, spot: false })
  t.match(e, { currency: 'USD', pricePerInstanceHour: 7.09, cost: 14.18, onDemandCost: 14.18, savings: 0, savingsPercent: undefined })
})

t.test('spot: savings as SageMaker reports them (1 − billable/training)', async t => {
  // The model doc's example: 100 billable of 500 trained → 80 %.
  const e = estimateCost({ instanceType: 'ml.g5.2xlarge', instanceCount: 1, billableSeconds: 100, trainingSeconds: 500, spot: true })
  t.equal(e.savingsPercent, 80)
  t.equal(e.cost, Math.round(1.515 / 36 * 10000) / 10000)
  t.equal(e.onDemandCost, Math.round(1.515 * 500 / 3600 * 10000) / 10000)
  t.ok((e.savings ?? 0) > 0)
})

t.test('unknown instance type: no amounts, no guess', async t => {
  const e = estimateCost({ instanceType: 'ml.g7.2xlarge', instanceCount: 1, billableSeconds: 10, spot: false })
  t.match(e, { pricePerInstanceHour: undefined, cost: undefined, savings: undefined, trainingSeconds: 10 })
})

t.test('price table override', async t => {
  t.equal(loadPriceTable(), DEFAULT_PRICES_USD_PER_HOUR)
  t.equal(loadPriceTable(''), DEFAULT_PRICES_USD_PER_HOUR)
  const table = loadPriceTable('{"ml.g5.2xlarge": 1.2, "ml.g6.xlarge": 0.98}')
  t.equal(table['ml.g5.2xlarge'], 1.2)
  t.equal(table['ml.g6.xlarge'], 0.98)
  t.equal(table['ml.p3.2xlarge'], 3.825, 'others kept')
  t.equal(estimateCost({ instanceType: 'ml.g6.xlarge', instanceCount: 1, billableSeconds: 3600, spot: false }, table).cost, 0.98)
  t.throws(() => loadPriceTable('{'), /not JSON/)
  t.throws(() => loadPriceTable('[1]'), /must be a JSON object/)
  t.throws(() => loadPriceTable('{"g5": 1}'), /not an instance type/)
  t.throws(() => loadPriceTable('{"ml.g5.xlarge": -1}'), /non-negative number/)
})
