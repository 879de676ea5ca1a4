/**
 * Hyperparameter search without a backend: validation of tuning requests, the strategies that
 * propose trials, early stopping and the best-trial rule. Pure functions, no I/O; everything
 * random is seeded, so a restarted gateway makes the same choices.
 */
export type { Assignment, CategoricalRange, CategoricalValue, NumericRange, Range, Ranges, SageMakerScaling, Scaling, Strategy } from './ranges.js'
export { assignmentKey, SCALINGS, toSageMakerScaling } from './ranges.js'
export type { RangeProblem, RangeRules } from './range-problems.js'
export { rangeProblems } from './range-problems.js'
export type { Dimension, Warp } from './unit-cube.js'
export { cubeLayout, decode, dimensions, encode, fits, sampleUniform, warpOf } from './unit-cube.js'
export { gridPoints, gridSize, iterateGrid } from './grid.js'
export type { Rng } from './random.js'
export { createRng, gaussian, mixSeed } from './random.js'
export type { Direction, Observation, SearchStrategy, SuggestInput } from './strategy.js'
export { suggest } from './strategy.js'
export type { BayesianOptions } from './bayesian.js'
export type { GaussianProcess, GpOptions, Prediction } from './gaussian-process.js'
export { fitGp, matern52 } from './gaussian-process.js'
export { expectedImprovement } from './expected-improvement.js'
export type { CurvePoint, StoppingDecision, StoppingInput } from './early-stopping.js'
export { shouldStop, stoppingDecision } from './early-stopping.js'
export type { TrialOutcome } from './best.js'
export { bestTrial } from './best.js'
