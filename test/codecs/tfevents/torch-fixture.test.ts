import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import {
  decodeHparamsPluginData, encodeFileVersion, encodeHparamsExperiment, encodeHparamsSessionEnd,
  encodeHparamsSessionStart, encodeScalars, frameRecord, readEventFile, readRecords, readScalars
} from '../../../src/codecs/tfevents/index.js'
import { torchExpectedJson, torchLogdir } from './shared-dir.js'

interface ExpectedScalar { run: string, tag: string, step: number, value: number, wall_time: number | null }
interface Expected {
  scalars: ExpectedScalar[]
  hparams: { run: string, 'session_start_info.hparams': Record<string, unknown>, 'experiment.metric_infos': string[], 'session_end_info.status': string }
}

const expected = JSON.parse(await readFile(torchExpectedJson, 'utf8')) as Expected
const run1File = join(torchLogdir, 'run1/events.out.tfevents.1795686765.vm.26673.0')
const hparamsFile = join(torchLogdir, 'run1/hparams/events.out.tfevents.1795686765.vm.26673.1')

t.test('readScalars gives exactly the scalars TensorBoard reads from the PyTorch logdir', async (t) => {
  const got = await readScalars(torchLogdir)
  t.equal(got.length, expected.scalars.length, 'same number of points')
  for (const [i, want] of expected.scalars.entries()) {
    const p = got[i]
    t.same(p && { run: p.run, tag: p.tag, step: p.step, value: p.value }, { run: want.run, tag: want.tag, step: want.step, value: want.value },
      `${want.run} ${want.tag} @${want.step}`)
    if (want.wall_time === null) {
      // The checker leaves add_hparams' time.time() stamps open; the file holds real ones.
      t.ok(p !== undefined && p.wallTime > 1.7e9, `${want.tag} has a plausible wall time`)
    } else {
      t.equal(p?.wallTime, want.wall_time, `${want.tag} @${want.step} wall_time`)
    }
  }
})

t.test('both fixture files read cleanly and start with file_version', async (t) => {
  for (const file of [run1File, hparamsFile]) {
    const { events, offset, stop } = await readEventFile(file)
    t.equal(stop, undefined, 'no truncation or corruption')
    t.equal(offset, (await readFile(file)).length, 'every byte consumed')
    t.match(events[0], { fileVersion: 'brain.Event:2', sourceWriter: 'tensorboard.summary.writer.event_file_writer' })
  }
})

t.test('the hparams child run decodes to the hparams and metrics add_hparams wrote', async (t) => {
  const { events } = await readEventFile(hparamsFile)
  const hp = events.flatMap((e) => e.summary ?? []).filter((v) => v.pluginName === 'hparams')
  t.same(hp.map((v) => v.tag), ['_hparams_/experiment', '_hparams_/session_start_info', '_hparams_/session_end_info'])
  const [exp, start, end] = hp.map((v) => decodeHparamsPluginData(v.pluginContent ?? new Uint8Array(0)))
  t.same(exp?.experiment?.metricInfos.map((m) => m.tag).sort(), expected.hparams['experiment.metric_infos'])
  t.same(exp?.experiment?.hparamInfos, [
    { name: 'lr', type: 'DATA_TYPE_FLOAT64' }, { name: 'batch_size', type: 'DATA_TYPE_FLOAT64' },
    { name: 'optimizer', type: 'DATA_TYPE_STRING' }, { name: 'use_amp', type: 'DATA_TYPE_FLOAT64' }
  ])
  t.same(start?.sessionStartInfo?.hparams, expected.hparams['session_start_info.hparams'])
  t.equal(end?.sessionEndInfo?.status, expected.hparams['session_end_info.status'])
  t.ok(hp.every((v) => v.scalar === undefined && v.kind === undefined), 'metadata-only values, no scalar')
})

t.test('our encoders reproduce the PyTorch records byte for byte', async (t) => {
  const buf = await readFile(hparamsFile)
  const { records } = readRecords(buf)
  const { events } = await readEventFile(hparamsFile)
  const wall = (i: number): number => events[i]?.wallTime ?? NaN
  const fixtureRecord = (i: number): string => frameRecord(records[i] as Buffer).toString('hex')
  t.equal(fixtureRecord(0), buf.subarray(0, (records[0] as Buffer).length + 16).toString('hex'), 'frameRecord reframes the first record exactly')
  t.equal(encodeFileVersion(wall(0), 'tensorboard.summary.writer.event_file_writer').toString('hex'), fixtureRecord(0), 'file_version')
  // PyTorch's bool became 1.0, and Python's map order is its own: pass the same to compare bytes.
  const hparams = { lr: 0.01, batch_size: 32, optimizer: 'adam', use_amp: 1 }
  t.equal(encodeHparamsExperiment(wall(1), hparams, ['hparam/final_loss', 'hparam/best_acc']).toString('hex'), fixtureRecord(1), 'experiment')
  const mapOrder = { use_amp: 1, optimizer: 'adam', lr: 0.01, batch_size: 32 }
  t.equal(encodeHparamsSessionStart(wall(2), mapOrder, 0).toString('hex'), fixtureRecord(2), 'session_start_info')
  t.equal(encodeHparamsSessionEnd(wall(3), 'FINISHED', 0).toString('hex'), fixtureRecord(3), 'session_end_info')
  t.equal(encodeScalars(wall(4), 0, [{ tag: 'hparam/final_loss', value: 0.0625 }]).toString('hex'), fixtureRecord(4), 'metric scalar')
})

t.test('the simple_value records of run1 are what encodeScalars writes', async (t) => {
  const { records } = readRecords(await readFile(run1File))
  const rows = expected.scalars.filter((s) => s.run === 'run1' && s.tag.startsWith('train/'))
    .sort((a, b) => (a.wall_time ?? 0) - (b.wall_time ?? 0))
  const ours = rows.map((s) => encodeScalars(s.wall_time ?? 0, s.step, [{ tag: s.tag, value: s.value }]).toString('hex'))
  const theirs = records.map((r) => frameRecord(r).toString('hex'))
  t.equal(ours.length, 10)
  t.ok(ours.every((hex) => theirs.includes(hex)), 'each of the 10 simple_value records appears verbatim in the file')
})
