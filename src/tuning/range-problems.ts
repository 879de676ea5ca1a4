/**
 * Validation of a tuning request's ranges, before anything is launched: a SageMaker
 * CreateHyperParameterTuningJob refused after minutes in a queue, or a local search that can
 * never sample a value, is a worse answer than a 400 naming every problem at once.
 *
 * The limits mirror SageMaker's (ParameterRanges, ContinuousParameterRange, IntegerParameterRange,
 * CategoricalParameterRange, HyperParameterTrainingJobDefinition), so a request valid here is
 * valid on either backend.
 */
import type { CategoricalValue, NumericRange, Range, Ranges, Strategy } from './ranges.js'
import { SCALINGS } from './ranges.js'
import { gridSize } from './grid.js'

export interface RangeProblem { field: string, message: string }

export interface RangeRules {
  strategy: Strategy
  /** Names the gateway sets itself, so a range over them would be overwritten. */
  reserved: string[]
  /** The job's static hyperparameters (job.hyperparameters). */
  staticKeys: string[]
  /** The tuning job's trial budget. */
  maxJobs: number
}

// SageMaker counts the three kinds of range together against one limit of 30 (ParameterRanges:
// "the sum of the number of hyperparameters for all the ranges can't exceed the maximum"), which
// also keeps each kind within its own 30.
const MAX_RANGES = 30
// Static + tuned hyperparameters of one training job definition.
const MAX_HYPERPARAMETERS = 100
const MAX_NAME = 256
const MAX_VALUES = 30
const MAX_VALUE_LENGTH = 256
// SageMaker writes hyperparameters with these prefixes itself.
const RESERVED_PREFIXES = ['sagemaker_', '_tuning']

// Numbers as JS writes them: JSON would print Infinity and NaN as null.
const show = (v: unknown): string => typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v)

function numericProblems (range: NumericRange): string[] {
  const { min, max } = range
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    return [`min and max must be finite numbers (got ${show(min)} and ${show(max)})`]
  }
  const out: string[] = []
  if (range.type === 'integer' && !(Number.isInteger(min) && Number.isInteger(max))) {
    out.push(`an integer range needs integer min and max (got ${min} and ${max})`)
  }
  if (!(min < max)) out.push(`min (${min}) must be less than max (${max})`)
  const scaling = range.scaling ?? 'auto'
  if (!SCALINGS.includes(scaling)) {
    out.push(`scaling must be one of ${SCALINGS.join(', ')} (got ${show(scaling)})`)
  } else if (scaling === 'log' && !(min > 0)) {
    out.push(`log scaling needs min > 0 (got ${min}): the logarithm of ${min} is not defined`)
  } else if (scaling === 'reverseLog') {
    if (range.type === 'integer') {
      out.push('reverseLog scaling works only for continuous ranges (SageMaker refuses it on integer ranges)')
    } else if (!(min >= 0 && max < 1)) {
      out.push(`reverseLog scaling needs 0 <= min and max < 1 (got ${min} to ${max})`)
    }
  }
  return out
}

function categoricalProblems (values: unknown): string[] {
  if (!Array.isArray(values) || values.length < 1 || values.length > MAX_VALUES) {
    const got = Array.isArray(values) ? `${values.length} values` : show(values)
    return [`a categorical range needs 1 to ${MAX_VALUES} values (got ${got})`]
  }
  const out: string[] = []
  // SageMaker receives categorical values as strings and MLflow logs params as text, so two values
  // with the same text (1 and "1", true and "true") would be two trials nobody can tell apart.
  const byText = new Map<string, CategoricalValue>()
  for (const v of values as unknown[]) {
    if (typeof v === 'string') {
      if (v.length > MAX_VALUE_LENGTH) out.push(`value ${show(v.slice(0, 32))}… is longer than ${MAX_VALUE_LENGTH} characters`)
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) { out.push(`value ${v} is not a finite number`); continue }
    } else if (typeof v !== 'boolean') {
      out.push(`value ${show(v)} must be a string, a number or a boolean`)
      continue
    }
    const text = String(v)
    const seen = byText.get(text)
    if (seen === undefined) byText.set(text, v)
    else if (seen === v) out.push(`value ${show(v)} is listed twice`)
    else out.push(`values ${show(seen)} and ${show(v)} are the same once written as text ("${text}"), as SageMaker and MLflow receive them`)
  }
  return out
}

function shapeProblems (range: Range | undefined): string[] {
  if (typeof range !== 'object' || range === null) return ['a range must be an object with a type']
  if (range.type === 'continuous' || range.type === 'integer') return numericProblems(range)
  if (range.type === 'categorical') return categoricalProblems(range.values)
  return [`type must be continuous, integer or categorical (got ${show((range as { type?: unknown }).type)})`]
}

function nameProblem (name: string, reserved: Set<string>, statics: Set<string>): string | undefined {
  if (name.length < 1 || name.length > MAX_NAME) return `a range name must be 1 to ${MAX_NAME} characters (got ${name.length})`
  const prefix = RESERVED_PREFIXES.find((p) => name.startsWith(p))
  if (prefix !== undefined) return `"${name}" is reserved: SageMaker sets hyperparameters starting with ${prefix} itself`
  if (reserved.has(name)) return `"${name}" is reserved: the gateway sets it, so it cannot be tuned`
  if (statics.has(name)) return `"${name}" is also a static hyperparameter: remove it from job.hyperparameters`
  return undefined
}

/** Every problem with the ranges, one message each; empty when the request can run. */
export function rangeProblems (ranges: Ranges, rules: RangeRules): RangeProblem[] {
  const problems: RangeProblem[] = []
  const names = Object.keys(ranges)
  if (names.length === 0) problems.push({ field: 'ranges', message: 'give at least one hyperparameter range to tune' })
  if (names.length > MAX_RANGES) {
    problems.push({ field: 'ranges', message: `at most ${MAX_RANGES} ranges can be tuned, counting continuous, integer and categorical together (got ${names.length})` })
  }
  const statics = new Set(rules.staticKeys)
  const total = names.length + [...statics].filter((key) => !(key in ranges)).length
  if (total > MAX_HYPERPARAMETERS) {
    problems.push({ field: 'ranges', message: `a job takes at most ${MAX_HYPERPARAMETERS} hyperparameters, static and tuned together (got ${total})` })
  }
  const reserved = new Set(rules.reserved)
  for (const name of names) {
    const field = `ranges.${name}`
    const range = ranges[name]
    const bad = nameProblem(name, reserved, statics)
    if (bad !== undefined) problems.push({ field, message: bad })
    for (const message of shapeProblems(range)) problems.push({ field, message })
    if (rules.strategy === 'Grid' && range?.type === 'continuous') {
      problems.push({ field, message: 'Grid search does not support continuous ranges: make it an integer or categorical range, or use another strategy' })
    }
  }
  if (rules.strategy === 'Grid' && problems.length === 0) {
    // The grid is walked in a fixed order, so a cut-off grid never reaches the last values of its
    // first range: the search would look exhaustive and not be.
    const size = gridSize(ranges)
    if (Number.isFinite(rules.maxJobs) && size > rules.maxJobs) {
      problems.push({ field: 'maxJobs', message: `the grid has ${size} combinations but maxJobs is ${rules.maxJobs}: raise maxJobs to ${size} or narrow the ranges` })
    }
  }
  return problems
}
