export { createMlflowSink, type MlflowSink, type MlflowSinkOptions, type MlflowSinkState } from './mlflow-sink.js'
export { RUN_ID_TAG } from './open-run.js'
