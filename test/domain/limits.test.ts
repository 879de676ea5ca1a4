import t from 'tap'
import { fromWireValue, keyProblem, toWireValue, valueLengthProblem } from '../../src/domain/limits.js'

t.test('valid keys', async t => {
  for (const k of ['loss', 'train/loss', 'val dice', 'a b/c-d.e_f', 'épocа', 'x'.repeat(250), 'metrics/0.5']) {
    t.equal(keyProblem(k), undefined, k)
  }
})

t.test('invalid keys say why', async t => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['x'.repeat(251), /longer than 250/],
    ['a:b', /may contain only/],
    ['a\nb', /may contain only/],
    ['/a', /must not start/],
    ['a//b', /normalised/],
    ['a/', /normalised/],
    ['./a', /normalised/],
    ['a/./b', /normalised/],
    ['a/../b', /normalised/],
    ['..x', /normalised/],
    ['loss%', /may contain only/]
  ]
  for (const [k, re] of cases) t.match(keyProblem(k), re, JSON.stringify(k))
})

t.test('length is counted in code points, as MLflow does', async t => {
  t.equal(keyProblem('𝒜'.repeat(250)), undefined)
  t.match(keyProblem('𝒜'.repeat(251)), /longer/)
  t.match(keyProblem('loss😀'), /may contain only/, 'emoji are not word characters for MLflow either')
  t.equal(valueLengthProblem('é'.repeat(6000), 6000), undefined)
  t.match(valueLengthProblem('é'.repeat(6001), 6000), /longer than 6000/)
})

t.test('non-finite values round-trip through their wire strings', async t => {
  t.ok(Number.isNaN(fromWireValue('NaN')))
  t.equal(fromWireValue('Infinity'), Infinity)
  t.equal(fromWireValue('-Infinity'), -Infinity)
  t.equal(fromWireValue(1.5), 1.5)
  t.equal(toWireValue(NaN), 'NaN')
  t.equal(toWireValue(Infinity), 'Infinity')
  t.equal(toWireValue(-Infinity), '-Infinity')
  t.equal(toWireValue(-0.25), -0.25)
})
