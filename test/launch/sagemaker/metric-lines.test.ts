import t from 'tap'
import { DEFAULT_METRIC_DEFINITIONS, formatMetricLine, metricRegex, parseMetricLine } from '../../../src/launch/metric-lines.js'
import { pyJsonDumps } from '../../../src/codecs/python/py-json.js'

t.test('the default regexes read the trainer lines', async t => {
  // Lines as containers/training prints them: "%s=%r" % (k, float(v)).
  const lines = ['epoch=3 step=1200 train_loss=0.41 lr=0.0003', 'epoch=3 step=1200 val_loss=0.52 val_dice=0.73', 'epoch=4 step=1500 train_loss=1e-05 lr=3e-05']
  const scrape = (name: string): number[] => {
    const d = DEFAULT_METRIC_DEFINITIONS.find(x => x.name === name)
    const re = new RegExp(d?.regex ?? '$^')
    return lines.flatMap(l => { const m = re.exec(l); return m?.[1] === undefined ? [] : [Number(m[1])] })
  }
  t.strictSame(scrape('train:loss'), [0.41, 1e-5])
  t.strictSame(scrape('val:loss'), [0.52], 'loss= does not match inside train_loss=')
  t.strictSame(scrape('val:dice'), [0.73])
  t.strictSame(scrape('train:lr'), [0.0003, 3e-5])
  t.strictSame(scrape('epoch'), [3, 3, 4])
  t.notOk(new RegExp(metricRegex('val_dice')).test('val_dice=nan'), 'nan is skipped')
})

t.test('parse and format round trip', async t => {
  t.strictSame(parseMetricLine('epoch=3 step=1200 train_loss=0.41 lr=0.0003'), { epoch: 3, step: 1200, values: { train_loss: 0.41, lr: 0.0003 } })
  t.strictSame(parseMetricLine('step=1 val_dice=nan x=-inf y=1.0'), { step: 1, values: { val_dice: NaN, x: -Infinity, y: 1 } })
  for (const bad of ['', 'hello world', 'epoch=1.5', 'step=-1', 'Epoch=1', 'a=b', 'a=1  b=2', 'loss: 0.3']) t.equal(parseMetricLine(bad), undefined, bad)
  const line = { epoch: 0, step: 10, values: { train_loss: 0.5, lr: 0.0003 } }
  t.equal(formatMetricLine(line), 'epoch=0 step=10 train_loss=0.5 lr=0.0003')
  t.strictSame(parseMetricLine(formatMetricLine(line)), line)
})

t.test('Python json.dumps encoding of hyperparameters', async t => {
  const cases: Array<[unknown, string]> = [
    [10, '10'], [0.0003, '0.0003'], ['unet', '"unet"'], [true, 'true'], [null, 'null'], [[96, 96, 96], '[96, 96, 96]'],
    [1e-5, '1e-05'], [1e-7, '1e-07'], [{ a: 1, b: [1.5, 'x'] }, '{"a": 1, "b": [1.5, "x"]}'], [1e16, '1e+16'], [1e15 + 0.5, '1000000000000000.5'],
    [-2.5e-10, '-2.5e-10'], [0.0001, '0.0001'], [1.5e300, '1.5e+300'], ['é\n"\\\u007f😀', '"\\u00e9\\n\\"\\\\\\u007f\\ud83d\\ude00"'], [[], '[]'], [{}, '{}'], [-0.5, '-0.5'], [123456789.125, '123456789.125']
  ]
  for (const [value, want] of cases) t.equal(pyJsonDumps(value), want, JSON.stringify(value))
})
