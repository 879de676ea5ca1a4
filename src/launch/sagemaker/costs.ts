/**
 * Cost estimates for finished (or running) training jobs.
 *
 * SageMaker reports `TrainingTimeInSeconds` (wall time of the job) and `BillableTimeInSeconds`
 * (what is charged per instance). With managed spot the discount shows up as billable < training,
 * charged at the on-demand rate, and the SDK prints savings = (1 − billable / training) × 100.
 * Both are per instance: multiply by InstanceCount (model doc of BillableTimeInSeconds).
 */

/** USD per instance-hour, on demand, us-east-1, SageMaker training list prices (approximate). */
export const DEFAULT_PRICES_USD_PER_HOUR: Readonly<Record<string, number>> = Object.freeze({
  'ml.m5.large': 0.115,
  'ml.m5.xlarge': 0.23,
  'ml.m5.2xlarge': 0.461,
  'ml.m5.4xlarge': 0.922,
  'ml.m5.12xlarge': 2.765,
  'ml.m5.24xlarge': 5.53,
  'ml.c5.xlarge': 0.204,
  'ml.c5.2xlarge': 0.408,
  'ml.c5.4xlarge': 0.816,
  'ml.c5.9xlarge': 1.836,
  'ml.c5.18xlarge': 3.672,
  'ml.g4dn.xlarge': 0.736,
  'ml.g4dn.2xlarge': 0.94,
  'ml.g4dn.4xlarge': 1.505,
  'ml.g4dn.8xlarge': 2.72,
  'ml.g4dn.12xlarge': 4.89,
  'ml.g4dn.16xlarge': 5.44,
  'ml.g5.xlarge': 1.408,
  'ml.g5.2xlarge': 1.515,
  'ml.g5.4xlarge': 2.03,
  'ml.g5.8xlarge': 3.06,
  'ml.g5.12xlarge': 7.09,
  'ml.g5.16xlarge': 5.12,
  'ml.g5.24xlarge': 10.18,
  'ml.g5.48xlarge': 20.36,
  'ml.p3.2xlarge': 3.825,
  'ml.p3.8xlarge': 14.688,
  'ml.p3.16xlarge': 28.152,
  'ml.p3dn.24xlarge': 35.894,
  'ml.p4d.24xlarge': 37.688,
  'ml.p5.48xlarge': 113.068
})

export type PriceTable = Readonly<Record<string, number>>

/**
 * The defaults, overridden entry by entry by a JSON object `{"ml.g5.2xlarge": 1.52, …}` (for an
 * operator's env var). Throws a clear Error on anything else, so bad config fails at start-up.
 */
export function loadPriceTable (overrideJson?: string): PriceTable {
  if (overrideJson === undefined || overrideJson.trim() === '') return DEFAULT_PRICES_USD_PER_HOUR
  let parsed: unknown
  try {
    parsed = JSON.parse(overrideJson)
  } catch (err) {
    throw new Error(`price table override is not JSON: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('price table override must be a JSON object of instance type → USD per hour')
  }
  const out: Record<string, number> = { ...DEFAULT_PRICES_USD_PER_HOUR }
  for (const [type, price] of Object.entries(parsed)) {
    if (!/^ml\.[a-z0-9-]+\.[a-z0-9]+$/.test(type)) throw new Error(`price table override: ${type} is not an instance type like ml.g5.2xlarge`)
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) throw new Error(`price table override: price for ${type} must be a non-negative number (USD per hour)`)
    out[type] = price
  }
  return Object.freeze(out)
}

export interface CostInput {
  instanceType: string
  instanceCount: number
  /** BillableTimeInSeconds (per instance). */
  billableSeconds: number
  /** TrainingTimeInSeconds (per instance); defaults to billableSeconds. */
  trainingSeconds?: number
  spot: boolean
}

export interface CostEstimate {
  currency: 'USD'
  /** undefined when the instance type is not in the table: every amount is then undefined too. */
  pricePerInstanceHour: number | undefined
  instanceCount: number
  billableSeconds: number
  trainingSeconds: number
  /** What the job costs: billable instance-seconds at the on-demand rate. */
  cost: number | undefined
  /** What the same training time would cost on demand. */
  onDemandCost: number | undefined
  savings: number | undefined
  /** Spot only, as the SDK prints it: (1 − billable / training) × 100. */
  savingsPercent: number | undefined
}

export function estimateCost (input: CostInput, prices: PriceTable = DEFAULT_PRICES_USD_PER_HOUR): CostEstimate {
  const price = prices[input.instanceType]
  const training = input.trainingSeconds ?? input.billableSeconds
  const perSecond = price === undefined ? undefined : price / 3600
  const cost = perSecond === undefined ? undefined : round(perSecond * input.billableSeconds * input.instanceCount)
  const onDemandCost = perSecond === undefined ? undefined : round(perSecond * training * input.instanceCount)
  const savingsPercent = input.spot && training > 0 ? round((1 - input.billableSeconds / training) * 100, 2) : undefined
  return {
    currency: 'USD',
    pricePerInstanceHour: price,
    instanceCount: input.instanceCount,
    billableSeconds: input.billableSeconds,
    trainingSeconds: training,
    cost,
    onDemandCost,
    savings: cost === undefined || onDemandCost === undefined ? undefined : round(onDemandCost - cost),
    savingsPercent
  }
}

/** Cents are the useful precision; 4 decimals keeps sub-cent jobs from showing as 0. */
function round (n: number, digits = 4): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
