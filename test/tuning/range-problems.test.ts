import t from 'tap'
import { rangeProblems, toSageMakerScaling, type Range, type RangeRules, type Ranges } from '../../src/tuning/index.js'

const rules: RangeRules = { strategy: 'Bayesian', reserved: ['run_id'], staticKeys: ['epochs'], maxJobs: 20 }
const check = (ranges: Ranges, over: Partial<RangeRules> = {}) => rangeProblems(ranges, { ...rules, ...over })
const lr: Range = { type: 'continuous', min: 1e-5, max: 1e-1, scaling: 'log' }
/** The problems of one range named x. */
const of = (range: unknown, over: Partial<RangeRules> = {}) => check({ x: range as Range }, over)
const one = (message: string, field = 'ranges.x') => [{ field, message }]

t.test('a valid request has no problems', async (t) => {
  t.same(check({
    lr,
    momentum: { type: 'continuous', min: 0.9, max: 0.999, scaling: 'reverseLog' },
    batch: { type: 'integer', min: 8, max: 256, scaling: 'log' },
    layers: { type: 'integer', min: 1, max: 4 },
    model: { type: 'categorical', values: ['unet', 'resnet', 3, true] }
  }), [])
})

t.test('how many ranges', async (t) => {
  t.same(check({}), one('give at least one hyperparameter range to tune', 'ranges'))
  const thirty: Ranges = {}
  for (let i = 0; i < 30; i++) thirty[`p${i}`] = i % 2 === 0 ? lr : { type: 'categorical', values: ['a'] }
  t.same(check(thirty), [], '30 ranges of mixed kinds are fine')
  t.same(check({ ...thirty, p30: { type: 'integer', min: 0, max: 1 } }),
    one('at most 30 ranges can be tuned, counting continuous, integer and categorical together (got 31)', 'ranges'))
  const thirtyOneContinuous: Ranges = {}
  for (let i = 0; i < 31; i++) thirtyOneContinuous[`c${i}`] = lr
  t.equal(check(thirtyOneContinuous).length, 1, 'more than 30 of one kind is refused too')
  const statics = Array.from({ length: 99 }, (_, i) => `s${i}`)
  t.same(check({ lr }, { staticKeys: statics }), [], '99 static + 1 tuned = 100 is fine')
  t.same(check({ lr, x: lr }, { staticKeys: statics }),
    one('a job takes at most 100 hyperparameters, static and tuned together (got 101)', 'ranges'))
})

t.test('names', async (t) => {
  t.same(check({ '': lr }), one('a range name must be 1 to 256 characters (got 0)', 'ranges.'))
  t.same(check({ ['n'.repeat(256)]: lr }), [], '256 characters is fine')
  const long = 'n'.repeat(257)
  t.same(check({ [long]: lr }), one('a range name must be 1 to 256 characters (got 257)', `ranges.${long}`))
  t.same(check({ sagemaker_program: lr }),
    one('"sagemaker_program" is reserved: SageMaker sets hyperparameters starting with sagemaker_ itself', 'ranges.sagemaker_program'))
  t.same(check({ _tuning_objective_metric: lr }),
    one('"_tuning_objective_metric" is reserved: SageMaker sets hyperparameters starting with _tuning itself', 'ranges._tuning_objective_metric'))
  t.same(check({ run_id: lr }), one('"run_id" is reserved: the gateway sets it, so it cannot be tuned', 'ranges.run_id'))
  t.same(check({ epochs: { type: 'integer', min: 1, max: 9 } }),
    one('"epochs" is also a static hyperparameter: remove it from job.hyperparameters', 'ranges.epochs'))
})

t.test('numeric ranges', async (t) => {
  t.same(of({ type: 'continuous', min: 1, max: 1 }), one('min (1) must be less than max (1)'))
  t.same(of({ type: 'integer', min: 5, max: 2 }), one('min (5) must be less than max (2)'))
  t.same(of({ type: 'integer', min: 0.5, max: 3 }), one('an integer range needs integer min and max (got 0.5 and 3)'))
  t.same(of({ type: 'continuous', min: '0', max: 1 }), one('min and max must be finite numbers (got "0" and 1)'))
  t.same(of({ type: 'continuous', min: 0, max: Infinity }), one('min and max must be finite numbers (got 0 and Infinity)'))
  t.same(of({ type: 'continuous', min: 0, max: 1, scaling: 'Logarithmic' }),
    one('scaling must be one of linear, log, reverseLog, auto (got "Logarithmic")'))
  t.same(of({ type: 'continuous', min: 0, max: 1, scaling: 'log' }),
    one('log scaling needs min > 0 (got 0): the logarithm of 0 is not defined'))
  t.same(of({ type: 'integer', min: -2, max: 8, scaling: 'log' }),
    one('log scaling needs min > 0 (got -2): the logarithm of -2 is not defined'))
  t.same(of({ type: 'continuous', min: 0, max: 0.99, scaling: 'reverseLog' }), [], 'reverseLog on [0, 0.99] is fine')
  t.same(of({ type: 'continuous', min: 0.5, max: 1, scaling: 'reverseLog' }),
    one('reverseLog scaling needs 0 <= min and max < 1 (got 0.5 to 1)'))
  t.same(of({ type: 'continuous', min: -0.1, max: 0.5, scaling: 'reverseLog' }),
    one('reverseLog scaling needs 0 <= min and max < 1 (got -0.1 to 0.5)'))
  t.same(of({ type: 'integer', min: 0, max: 1, scaling: 'reverseLog' }),
    one('reverseLog scaling works only for continuous ranges (SageMaker refuses it on integer ranges)'))
  t.same(of({ type: 'integer', min: 3, max: 1.5 }), [
    { field: 'ranges.x', message: 'an integer range needs integer min and max (got 3 and 1.5)' },
    { field: 'ranges.x', message: 'min (3) must be less than max (1.5)' }
  ], 'each problem of a range is its own message')
})

t.test('categorical ranges', async (t) => {
  t.same(of({ type: 'categorical', values: [] }), one('a categorical range needs 1 to 30 values (got 0 values)'))
  t.same(of({ type: 'categorical', values: 'a,b' }), one('a categorical range needs 1 to 30 values (got "a,b")'))
  t.same(of({ type: 'categorical', values: Array.from({ length: 30 }, (_, i) => i) }), [], '30 values are fine')
  t.same(of({ type: 'categorical', values: Array.from({ length: 31 }, (_, i) => i) }),
    one('a categorical range needs 1 to 30 values (got 31 values)'))
  t.same(of({ type: 'categorical', values: ['x'.repeat(256)] }), [], 'a 256-character value is fine')
  t.same(of({ type: 'categorical', values: ['x'.repeat(257)] }),
    one(`value "${'x'.repeat(32)}"… is longer than 256 characters`))
  t.same(of({ type: 'categorical', values: ['a', 'b', 'a'] }), one('value "a" is listed twice'))
  t.same(of({ type: 'categorical', values: [1, '1'] }),
    one('values 1 and "1" are the same once written as text ("1"), as SageMaker and MLflow receive them'))
  t.same(of({ type: 'categorical', values: [true, 'true'] }),
    one('values true and "true" are the same once written as text ("true"), as SageMaker and MLflow receive them'))
  t.same(of({ type: 'categorical', values: [NaN] }), one('value NaN is not a finite number'))
  t.same(of({ type: 'categorical', values: [null, { a: 1 }] }), [
    { field: 'ranges.x', message: 'value null must be a string, a number or a boolean' },
    { field: 'ranges.x', message: 'value {"a":1} must be a string, a number or a boolean' }
  ])
})

t.test('the range itself', async (t) => {
  t.same(of({ type: 'float', min: 0, max: 1 }), one('type must be continuous, integer or categorical (got "float")'))
  t.same(of(null), one('a range must be an object with a type'))
})

t.test('Grid strategy', async (t) => {
  const grid = { strategy: 'Grid' as const, maxJobs: 12 }
  t.same(check({ lr }, grid),
    one('Grid search does not support continuous ranges: make it an integer or categorical range, or use another strategy', 'ranges.lr'))
  const ok: Ranges = { layers: { type: 'integer', min: 1, max: 4 }, model: { type: 'categorical', values: ['a', 'b', 'c'] } }
  t.same(check(ok, grid), [], 'integer and categorical ranges, 12 combinations, maxJobs 12')
  t.same(check(ok, { ...grid, maxJobs: 11 }),
    one('the grid has 12 combinations but maxJobs is 11: raise maxJobs to 12 or narrow the ranges', 'maxJobs'))
  t.same(check({ lr }, { strategy: 'Random' }), [], 'continuous ranges are fine for Random')
  t.same(check({ lr }, { strategy: 'Hyperband' }), [], 'and for Hyperband')
})

t.test('toSageMakerScaling', async (t) => {
  t.equal(toSageMakerScaling('linear'), 'Linear')
  t.equal(toSageMakerScaling('log'), 'Logarithmic')
  t.equal(toSageMakerScaling('reverseLog'), 'ReverseLogarithmic')
  t.equal(toSageMakerScaling('auto'), 'Auto')
  t.equal(toSageMakerScaling(undefined), 'Auto')
})
