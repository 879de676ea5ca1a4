export { crc32c, mask, maskedCrc32c, unmask } from './crc32c.js'
export { TfeventsCorruptError, TfeventsDecodeError, type TfeventsCrcCheck } from './errors.js'
export { frameRecord, readRecords, RECORD_OVERHEAD, type ReadRecordsResult, type TfeventsTruncation } from './record-framing.js'
export { DEFAULT_WRITER, encodeEvent, encodeFileVersion, FILE_VERSION, type EventInit, type SummaryValueInit } from './event-encoder.js'
export { encodeScalars, type ScalarValue } from './scalar-encoder.js'
export {
  encodeHparamsExperiment, encodeHparamsSessionEnd, encodeHparamsSessionStart,
  EXPERIMENT_TAG, HPARAMS_PLUGIN, SESSION_END_INFO_TAG, SESSION_START_INFO_TAG,
  type HparamValue, type RunEndStatus
} from './hparams-encoder.js'
export { DATA_CLASS_SCALAR, decodeEvent, SCALARS_PLUGIN, type DecodedEvent, type SummaryValue } from './event-decoder.js'
export { decodeHparamsPluginData, type DecodedHparams, type JsonValue } from './hparams-decoder.js'
export { readEventFile, type EventFileContents } from './event-file-reader.js'
export { isEventFile, listRuns, readScalars, type ScalarPoint } from './logdir-scalars.js'
export { decodeSimpleScalars, type SimpleScalars } from './simple-scalars.js'
