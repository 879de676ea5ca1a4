/**
 * The vocabulary of a tuning request: what may vary (ranges), how the search walks each range
 * (scaling), and one trial's chosen values (an assignment). Values are typed JSON scalars because
 * the gateway keeps params typed end to end (1 and "1" are different values).
 */

export type Scaling = 'linear' | 'log' | 'reverseLog' | 'auto'

export type CategoricalValue = string | number | boolean

export type Range =
  | { type: 'continuous', min: number, max: number, scaling?: Scaling }
  | { type: 'integer', min: number, max: number, scaling?: Scaling }
  | { type: 'categorical', values: CategoricalValue[] }

export type NumericRange = Extract<Range, { type: 'continuous' | 'integer' }>
export type CategoricalRange = Extract<Range, { type: 'categorical' }>

export type Ranges = Record<string, Range>

export type Strategy = 'Bayesian' | 'Random' | 'Grid' | 'Hyperband'

/** One trial's sampled values, keyed by range name. */
export type Assignment = Record<string, CategoricalValue>

export const SCALINGS: readonly Scaling[] = ['linear', 'log', 'reverseLog', 'auto']

const SAGEMAKER_SCALING = {
  linear: 'Linear',
  log: 'Logarithmic',
  reverseLog: 'ReverseLogarithmic',
  auto: 'Auto'
} as const

export type SageMakerScaling = typeof SAGEMAKER_SCALING[Scaling]

/** The ScalingType SageMaker's ContinuousParameterRange / IntegerParameterRange expects. */
export const toSageMakerScaling = (scaling: Scaling | undefined): SageMakerScaling =>
  SAGEMAKER_SCALING[scaling ?? 'auto']

/**
 * A canonical text for an assignment, so the search can tell "already tried" apart from "new":
 * keys sorted (insertion order must not matter) and values as JSON (so 1 and "1" stay distinct).
 */
export const assignmentKey = (assignment: Assignment): string =>
  JSON.stringify(Object.keys(assignment).sort().map((name) => [name, assignment[name]]))
