import type { Experiment, IncomingMetric, MlflowState, Run, StoredPoint } from './store.js'
import { searchRuns } from './search.js'
import {
  LIMITS, MlflowError, fitValue, invalid, parseDouble, parseInt64, parseStatus, required, validateKey
} from './validation.js'

export interface HandlerOptions {
  /** MLFLOW_TRUNCATE_LONG_VALUES (default true). */
  truncateLongValues: boolean
  /** OSS MLflow does not enforce its documented 1 MB; managed servers may. undefined = not enforced. */
  maxBatchBytes: number | undefined
  /** 3.2+ returns no points from get-history without max_results; 2.x returns all. */
  historyWithoutMaxResults: 'all' | 'none'
  /** Scripted "this record is bad" rejections. */
  rejects: Array<{ key: string, value?: number }>
}

type Json = Record<string, unknown>
export type Handler = (state: MlflowState, input: Json, raw: { bytes: number }, opts: HandlerOptions) => unknown

const wireValue = (p: StoredPoint): number | string => p.isNan ? 'NaN' : p.value
const metricJson = (p: StoredPoint): Json => ({ key: p.key, value: wireValue(p), timestamp: p.timestamp, step: p.step })
const kv = (m: Map<string, string>): Json[] => [...m].map(([key, value]) => ({ key, value }))

function experimentJson (e: Experiment): Json {
  return { experiment_id: e.experiment_id, name: e.name, artifact_location: e.artifact_location, lifecycle_stage: e.lifecycle_stage, last_update_time: e.last_update_time, creation_time: e.creation_time, tags: kv(e.tags) }
}
function infoJson (r: Run): Json { return { run_uuid: r.info.run_id, ...r.info } }
function runJson (state: MlflowState, r: Run): Json {
  return { info: infoJson(r), data: { metrics: state.latest(r).map(metricJson), params: kv(r.params), tags: kv(r.tags) }, inputs: {} }
}

const runIdOf = (input: Json, allowUuid = true): string =>
  String(allowUuid && (input.run_id === undefined || input.run_id === '') ? required(input, 'run_uuid', 'run_id') : required(input, 'run_id'))

function kvList (input: Json, field: string): Array<{ key: string, value: string }> {
  const v = input[field] ?? []
  if (!Array.isArray(v)) throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied.`)
  return v.map((item: Json, i) => ({ key: String(required(item, 'key', `${field}[${i}].key`)), value: item.value == null ? '' : String(item.value) }))
}

/** One metric as the handler asserts it and ParseDict reads it. */
function metricOf (item: Json, path: string, opts: HandlerOptions): IncomingMetric {
  const key = String(required(item, 'key', `${path}.key`))
  const rawValue = required(item, 'value', `${path}.value`)
  required(item, 'timestamp', `${path}.timestamp`)
  // A bare NaN token is valid for Python's json but fails ParseDict: MLflow stores a zero point, 200.
  if (typeof rawValue === 'string' && rawValue.startsWith('\u0000')) return { key, value: 0, timestamp: 0, step: 0 }
  const value = parseDouble(rawValue)
  if (value === undefined || typeof rawValue === 'boolean') {
    throw invalid(`Got invalid value ${JSON.stringify(rawValue)} for metric '${key}' (timestamp=${String(item.timestamp)}). Please specify value as a valid double (64-bit floating point)`)
  }
  const timestamp = parseInt64(item.timestamp) ?? 0
  const step = item.step === undefined ? 0 : parseInt64(item.step) ?? 0
  validateKey(key, `${path}.key`, 'metric')
  if (timestamp < 0) throw invalid(`Got invalid timestamp ${timestamp} for metric '${key}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `)
  for (const r of opts.rejects) {
    if (r.key === key && (r.value === undefined || Object.is(r.value, value))) throw invalid(`Invalid value ${JSON.stringify(rawValue)} for parameter '${path}.value' supplied: rejected by the test script`)
  }
  return { key, value, timestamp, step }
}

const logBatch: Handler = (state, input, raw, opts) => {
  const runId = runIdOf(input, false) // log-batch has no run_uuid fallback
  const metricsIn = Array.isArray(input.metrics) ? input.metrics as Json[] : []
  const params = kvList(input, 'params')
  const tags = kvList(input, 'tags')
  const metrics = metricsIn.map((m, i) => metricOf(m, `metrics[${i}]`, opts))
  if (metrics.length > LIMITS.metrics) throw invalid(`A batch logging request can contain at most ${LIMITS.metrics} metrics. Got ${metrics.length} metrics. Please split up metrics across multiple requests and try again.`)
  if (params.length > LIMITS.params) throw invalid(`A batch logging request can contain at most ${LIMITS.params} params. Got ${params.length} params. Please split up params across multiple requests and try again.`)
  if (tags.length > LIMITS.tags) throw invalid(`A batch logging request can contain at most ${LIMITS.tags} tags. Got ${tags.length} tags. Please split up tags across multiple requests and try again.`)
  const total = metrics.length + params.length + tags.length
  if (total > LIMITS.entities) throw invalid(`A batch logging request can contain at most ${LIMITS.entities} metrics, params, and tags in total. Got ${total} items. Please split up metrics, params, and tags across multiple requests and try again.`)
  if (opts.maxBatchBytes !== undefined && raw.bytes > opts.maxBatchBytes) throw invalid(`Batched logging API requests must be at most ${opts.maxBatchBytes} bytes, got a request of size ${raw.bytes}.`)
  params.forEach((p, i) => { validateKey(p.key, `params[${i}].key`, 'param'); p.value = fitValue(p.value, LIMITS.paramValue, opts.truncateLongValues, 'Param', `params[${i}].value`) })
  tags.forEach((t, i) => { validateKey(t.key, `tags[${i}].key`, 'tag'); t.value = fitValue(t.value, LIMITS.tagValue, opts.truncateLongValues, 'Tag', `tags[${i}].value`) })
  const seen = new Set<string>(); const dup = new Set<string>()
  for (const p of params) { if (seen.has(p.key)) dup.add(p.key); seen.add(p.key) }
  if (dup.size > 0) throw invalid(`Duplicate parameter keys have been submitted: [${[...dup].map(k => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`)
  const run = state.activeRun(runId)
  // params, metrics, tags: each committed on its own, so a later failure keeps the earlier parts.
  state.logParams(run, params)
  state.logMetrics(run, metrics)
  state.setTags(run, tags)
  return {}
}

export const handlers: Record<string, { method: 'GET' | 'POST' | 'BOTH', fn: Handler }> = {
  'experiments/get-by-name': {
    method: 'GET',
    fn: (state, input) => {
      const name = String(required(input, 'experiment_name'))
      const e = state.experimentByName(name)
      if (e === undefined) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`)
      return { experiment: experimentJson(e) }
    }
  },
  'experiments/get': { method: 'GET', fn: (state, input) => ({ experiment: experimentJson(state.experiment(String(required(input, 'experiment_id')))) }) },
  'experiments/create': {
    method: 'POST',
    fn: (state, input) => {
      const name = String(required(input, 'name'))
      if (Array.from(name).length > LIMITS.experimentName) throw invalid(`Experiment name exceeds the maximum length of ${LIMITS.experimentName} characters`)
      return { experiment_id: state.createExperiment(name, kvList(input, 'tags')).experiment_id }
    }
  },
  'experiments/delete': {
    method: 'POST',
    fn: (state, input) => { state.experiment(String(required(input, 'experiment_id'))).lifecycle_stage = 'deleted'; return {} }
  },
  'experiments/search': {
    method: 'BOTH',
    fn: (state, input) => {
      const view = String(input.view_type ?? 'ACTIVE_ONLY')
      const list = [...state.experiments.values()].filter(e => view === 'ALL' || (view === 'DELETED_ONLY') === (e.lifecycle_stage === 'deleted'))
      return { experiments: list.map(experimentJson) }
    }
  },
  'runs/create': {
    method: 'POST',
    fn: (state, input) => {
      const tags = kvList(input, 'tags')
      tags.forEach((t, i) => validateKey(t.key, `tags[${i}].key`, 'tag'))
      const name = typeof input.run_name === 'string' && input.run_name !== '' ? input.run_name : undefined
      const run = state.createRun(String(input.experiment_id ?? '0'), name, parseInt64(input.start_time) ?? 0, String(input.user_id ?? ''), tags)
      return { run: runJson(state, run) }
    }
  },
  'runs/get': { method: 'GET', fn: (state, input) => ({ run: runJson(state, state.run(runIdOf(input))) }) },
  'runs/update': {
    method: 'POST',
    fn: (state, input) => {
      const run = state.activeRun(runIdOf(input))
      const status = parseStatus(input.status) // an unknown name is ignored, as ParseDict drops it
      if (status !== undefined) run.info.status = status
      const end = parseInt64(input.end_time)
      if (end !== undefined) run.info.end_time = end
      if (typeof input.run_name === 'string' && input.run_name !== '') { run.info.run_name = input.run_name; run.tags.set('mlflow.runName', input.run_name) }
      return { run_info: infoJson(run) }
    }
  },
  'runs/delete': { method: 'POST', fn: (state, input) => { state.run(runIdOf(input, false)).info.lifecycle_stage = 'deleted'; return {} } },
  'runs/restore': { method: 'POST', fn: (state, input) => { state.run(runIdOf(input, false)).info.lifecycle_stage = 'active'; return {} } },
  'runs/search': {
    method: 'BOTH',
    fn: (state, input) => {
      const ids = input.experiment_ids
      const res = searchRuns(state, {
        experimentIds: (Array.isArray(ids) ? ids : ids === undefined ? [] : [ids]).map(String),
        filter: String(input.filter ?? ''),
        viewType: String(input.run_view_type ?? 'ACTIVE_ONLY'),
        maxResults: parseInt64(input.max_results) ?? 1000,
        orderBy: (Array.isArray(input.order_by) ? input.order_by : input.order_by === undefined ? [] : [input.order_by]).map(String),
        pageToken: typeof input.page_token === 'string' && input.page_token !== '' ? input.page_token : undefined
      })
      return { runs: res.runs.map(r => runJson(state, r)), ...(res.nextPageToken !== undefined ? { next_page_token: res.nextPageToken } : {}) }
    }
  },
  'runs/log-batch': { method: 'POST', fn: logBatch },
  'runs/log-metric': {
    method: 'POST',
    fn: (state, input, _raw, opts) => { const m = metricOf(input, 'metric', opts); state.logMetrics(state.activeRun(runIdOf(input)), [m]); return {} }
  },
  'runs/log-parameter': {
    method: 'POST',
    fn: (state, input, _raw, opts) => {
      const key = String(required(input, 'key')); validateKey(key, 'key', 'param')
      const value = fitValue(input.value == null ? '' : String(input.value), LIMITS.paramValue, opts.truncateLongValues, 'Param', 'value')
      state.logParams(state.activeRun(runIdOf(input)), [{ key, value }], true); return {}
    }
  },
  'runs/set-tag': {
    method: 'POST',
    fn: (state, input, _raw, opts) => {
      const key = String(required(input, 'key')); validateKey(key, 'key', 'tag')
      const value = fitValue(input.value == null ? '' : String(input.value), LIMITS.tagValue, opts.truncateLongValues, 'Tag', 'value')
      state.setTags(state.activeRun(runIdOf(input)), [{ key, value }]); return {}
    }
  },
  'metrics/get-history': {
    method: 'GET',
    fn: (state, input, _raw, opts) => {
      const runId = runIdOf(input)
      const key = String(required(input, 'metric_key'))
      const all = state.history(runId, key)
      const max = parseInt64(input.max_results)
      if (max === undefined || max === 0) {
        return opts.historyWithoutMaxResults === 'all' ? { metrics: all.map(metricJson) } : { next_page_token: Buffer.from('{"offset": 0}').toString('base64') }
      }
      const offset = typeof input.page_token === 'string' && input.page_token !== '' ? (JSON.parse(Buffer.from(input.page_token, 'base64').toString()) as { offset: number }).offset : 0
      const page = all.slice(offset, offset + max)
      const next = offset + max < all.length ? Buffer.from(JSON.stringify({ offset: offset + max })).toString('base64') : undefined
      return { metrics: page.map(metricJson), ...(next !== undefined ? { next_page_token: next } : {}) }
    }
  }
}
