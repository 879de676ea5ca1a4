import t from 'tap'
import {
  decodeEvent, decodeHparamsPluginData, encodeHparamsExperiment, encodeHparamsSessionEnd, encodeHparamsSessionStart,
  readRecords, type DecodedHparams
} from '../../../src/codecs/tfevents/index.js'

const T = 1700000000.5

function decodeOne (record: Buffer): { tag: string, wallTime: number, data: DecodedHparams } {
  const e = decodeEvent(readRecords(record).records[0] ?? Buffer.alloc(0))
  const v = e.summary?.[0]
  if (v?.pluginName !== 'hparams' || v.pluginContent === undefined) throw new Error('not an hparams value')
  return { tag: v.tag, wallTime: e.wallTime, data: decodeHparamsPluginData(v.pluginContent) }
}

const hparams = { lr: 0.001, epochs: 0, optimizer: 'adamw', empty: '', use_amp: true, frozen: false }

t.test('experiment lists each hparam with its type and each metric tag', async (t) => {
  const { tag, wallTime, data } = decodeOne(encodeHparamsExperiment(T, hparams, ['val/loss', 'val/dice']))
  t.equal(tag, '_hparams_/experiment')
  t.equal(wallTime, T)
  t.same(data.experiment?.hparamInfos, [
    { name: 'lr', type: 'DATA_TYPE_FLOAT64' }, { name: 'epochs', type: 'DATA_TYPE_FLOAT64' },
    { name: 'optimizer', type: 'DATA_TYPE_STRING' }, { name: 'empty', type: 'DATA_TYPE_STRING' },
    { name: 'use_amp', type: 'DATA_TYPE_BOOL' }, { name: 'frozen', type: 'DATA_TYPE_BOOL' }
  ])
  t.same(data.experiment?.metricInfos, [{ group: '', tag: 'val/loss' }, { group: '', tag: 'val/dice' }])
})

t.test('session start keeps every value, zero, empty and false included', async (t) => {
  const { tag, data } = decodeOne(encodeHparamsSessionStart(T, hparams, 1699999999))
  t.equal(tag, '_hparams_/session_start_info')
  t.same(data.sessionStartInfo, { hparams, groupName: '', startTimeSecs: 1699999999 })
})

t.test('session end maps our run statuses onto TensorBoard\'s', async (t) => {
  const cases = [['FINISHED', 'STATUS_SUCCESS'], ['FAILED', 'STATUS_FAILURE'], ['KILLED', 'STATUS_FAILURE']] as const
  for (const [ours, theirs] of cases) {
    const { tag, data } = decodeOne(encodeHparamsSessionEnd(T, ours, T + 60))
    t.equal(tag, '_hparams_/session_end_info')
    t.same(data.sessionEndInfo, { status: theirs, endTimeSecs: T + 60 }, ours)
  }
})
