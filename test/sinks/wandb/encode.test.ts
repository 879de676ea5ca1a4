import t from 'tap'
import { encodeConfig, encodeFileStreamBody, encodeHistoryRow, encodeSummary, exitCodeFor, wandbRunName, wandbTags } from '../../../src/sinks/wandb/encode.js'
import { fromWire, toExtendedJson, toWire } from '../../../src/sinks/wandb/extended-json.js'
import { parseExtendedJson } from '../../emulators/wandb/extended-json.js'

t.test('extended JSON writes bare NaN/Infinity tokens and round-trips through the emulator parser', async (t) => {
  const text = toExtendedJson({ a: NaN, b: Infinity, c: -Infinity, d: [1.5, -0, 'x"y'], e: { f: null, g: true } })
  t.equal(text, '{"a":NaN,"b":Infinity,"c":-Infinity,"d":[1.5,0,"x\\"y"],"e":{"f":null,"g":true}}')
  const back = parseExtendedJson(text) as Record<string, unknown>
  t.ok(Number.isNaN(back.a))
  t.equal(back.b, Infinity)
  t.equal(back.c, -Infinity)
  t.throws(() => parseExtendedJson('{"a":nan}'))
  t.throws(() => parseExtendedJson('{"a":1,}'))
})

t.test('wire numbers keep non-finite values through JSON state', async (t) => {
  const wire = JSON.parse(JSON.stringify([NaN, Infinity, -Infinity, 2].map(toWire)))
  t.same(wire, ['NaN', 'Infinity', '-Infinity', 2])
  t.ok(Number.isNaN(fromWire(wire[0])))
  t.same(wire.slice(1).map(fromWire), [Infinity, -Infinity, 2])
})

t.test('history row: _step int, _runtime and _timestamp float seconds, metrics as tokens', async (t) => {
  const line = encodeHistoryRow({ step: 7, ts: 1_755_772_004_018, metrics: { 'train/loss': 1.3021, grad_norm: 'NaN', up: 'Infinity', down: '-Infinity' } }, 1_755_771_999_506)
  t.equal(line, '{"_step":7,"_runtime":4.512,"_timestamp":1755772004.018,"train/loss":1.3021,"grad_norm":NaN,"up":Infinity,"down":-Infinity}')
  t.match(encodeHistoryRow({ step: 0, ts: 1000, metrics: {} }, 5000), /"_runtime":0,/, 'runtime never negative')
})

t.test('summary: whole object, _runtime int, _wandb.runtime', async (t) => {
  const line = encodeSummary({ 'val/dice': 0.874, g: 'NaN' }, { step: 1499, ts: 1_755_772_812_410 }, 1_755_772_000_000)
  t.equal(line, '{"val/dice":0.874,"g":NaN,"_step":1499,"_runtime":812,"_timestamp":1755772812.41,"_wandb":{"runtime":812}}')
})

t.test('config: {"key":{"value":v}} with the typed values and _wandb.t; strings stay strings', async (t) => {
  const config = JSON.parse(encodeConfig({
    lr: 0.0003, batch_size: 2, amp: true, optim: 'adamw', seed: '007', legacy_lr: '0.0003', roi: [96, 96, 96], sched: { name: 'cosine', warmup: 5 }, none: null
  }))
  t.same(config, {
    amp: { value: true },
    batch_size: { value: 2 },
    legacy_lr: { value: '0.0003' },
    lr: { value: 0.0003 },
    none: { value: null },
    optim: { value: 'adamw' },
    roi: { value: [96, 96, 96] },
    sched: { value: { name: 'cosine', warmup: 5 } },
    seed: { value: '007' },
    _wandb: { value: { t: {}, m: [] } }
  })
})

t.test('file_stream body: strict JSON outside, lines as strings; {} heartbeat; complete + exitcode', async (t) => {
  const body = encodeFileStreamBody({ history: { offset: 3, lines: ['{"_step":3,"x":NaN}'] }, summary: '{"x":NaN}' })
  t.same(JSON.parse(body), { files: { 'wandb-history.jsonl': { offset: 3, content: ['{"_step":3,"x":NaN}'] }, 'wandb-summary.json': { offset: 0, content: ['{"x":NaN}'] } } })
  t.equal(encodeFileStreamBody({}), '{}')
  t.equal(encodeFileStreamBody({ complete: { exitcode: 1 } }), '{"complete":true,"exitcode":1}')
})

t.test('exit codes, run names, tags', async (t) => {
  t.same([exitCodeFor('FINISHED'), exitCodeFor('FAILED'), exitCodeFor('KILLED')], [0, 1, 143])
  t.equal(wandbRunName(" a:b/c#d'e "), 'a-b-c-d-e')
  t.same(wandbTags({ team: 'seg', baseline: '' }), ['baseline', 'team:seg'])
})
