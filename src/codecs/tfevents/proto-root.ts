import protobuf from 'protobufjs'
import { EVENT_PROTO } from './event-protos.js'
import { HPARAMS_PROTO, STRUCT_PROTO } from './hparams-protos.js'

// Parsed once at import from text in this package: no generated code and no file I/O, so the
// codec stays pure. keepCase keeps the snake_case field names of the .proto files, which is
// what the reference, the fixtures and TensorBoard's own code use.
const root = new protobuf.Root()
protobuf.parse(STRUCT_PROTO, root, { keepCase: true })
protobuf.parse(EVENT_PROTO, root, { keepCase: true })
protobuf.parse(HPARAMS_PROTO, root, { keepCase: true })
root.resolveAll()

export const EventType = root.lookupType('tensorboard.Event')
export const HParamsPluginDataType = root.lookupType('tensorboard.hparams.HParamsPluginData')
