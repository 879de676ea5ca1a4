import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { IncomingMetric } from '../../domain/log-entry.js'
import type { Run } from '../../store/store.js'
import { invalid, missing, runNotFound } from './errors.js'
import { appendWrites, checkKey, truncateParam, truncateTag, type Writes } from './append.js'
import { fields, keyValues, optArray, optInt64, optString, requiredString, runIdOf, toDouble, type Fields } from './wire.js'

/** MLflow's log-batch limits (validation.py), with its messages. */
const MAX_METRICS = 1000
const MAX_PARAMS_TAGS = 100
const MAX_ENTITIES = 1000

/** A run of the caller's project; another project's run does not exist, as in MLflow. */
export async function projectRun (app: FastifyInstance, request: FastifyRequest, id: string): Promise<Run> {
  const projectId = app.projectOf(request)
  const run = await app.store.getRun(id)
  if (run === undefined || run.projectId !== projectId) throw runNotFound(id)
  return run
}

export function toMetric (m: Fields, where: string): IncomingMetric {
  const key = optString(m, 'key')
  if (key === undefined || key === '') throw missing(`${where}key`)
  checkKey(key, 'metric')
  const value = toDouble(m.value, `${where}value`)
  const timestamp = optInt64(m, 'timestamp')
  if (timestamp === undefined) throw missing(`${where}timestamp`)
  if (timestamp < 0) throw invalid(`Metric '${key}' has timestamp ${timestamp}: timestamps must be non-negative`)
  const step = optInt64(m, 'step') ?? 0
  // The gateway keeps steps exact and ordered for every sink (TensorBoard, W&B): MLflow allows negative ones.
  if (step < 0) throw invalid(`Metric '${key}' has step ${step}: this gateway accepts only steps >= 0`)
  return { key, value, step, timestamp }
}

function paramMap (list: Fields[]): Record<string, string> {
  const out: Record<string, string> = {}
  const dups = new Set<string>()
  list.forEach((p, i) => {
    const key = optString(p, 'key')
    if (key === undefined || key === '') throw missing(`params[${i}].key`)
    if (key in out) dups.add(key)
    out[key] = optString(p, 'value') ?? ''
  })
  if (dups.size > 0) {
    throw invalid(`Duplicate parameter keys have been submitted: [${[...dups].map(k => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`)
  }
  return out
}

/** Keys checked and over-long values truncated, as an MLflow server stores them. */
function clean (w: Writes): Writes {
  const params: Record<string, string> = {}
  for (const [k, v] of Object.entries(w.params)) { checkKey(k, 'param'); params[k] = truncateParam(v) }
  const tags: Record<string, string> = {}
  for (const [k, v] of Object.entries(w.tags)) { checkKey(k, 'tag'); tags[k] = truncateTag(v) }
  return { metrics: w.metrics, params, tags }
}

export function logBatchWrites (b: Fields): Writes {
  const metrics = optArray(b, 'metrics')
  const params = optArray(b, 'params')
  const tags = optArray(b, 'tags')
  const limit = (n: number, max: number, what: string): void => {
    if (n > max) throw invalid(`A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`)
  }
  limit(metrics.length, MAX_METRICS, 'metrics')
  limit(params.length, MAX_PARAMS_TAGS, 'params')
  limit(tags.length, MAX_PARAMS_TAGS, 'tags')
  const total = metrics.length + params.length + tags.length
  if (total > MAX_ENTITIES) {
    throw invalid(`A batch logging request can contain at most ${MAX_ENTITIES} metrics, params, and tags in total. Got ${total}. Please split up the data across multiple requests and try again.`)
  }
  // MLflow checks params first: a param error fails the request before any metric is stored.
  const p = paramMap(params)
  return clean({ metrics: metrics.map((m, i) => toMetric(m, `metrics[${i}].`)), params: p, tags: keyValues(tags, 'tags') })
}

/** runs/log-metric, log-parameter, set-tag, log-batch, log-inputs: each write one ingest request. */
export function registerLogging (app: FastifyInstance, rpc: RpcRegistrar): void {
  rpc('POST', 'runs/log-metric', 'write', async (request) => {
    const b = fields(request.body)
    const run = await projectRun(app, request, runIdOf(b))
    await appendWrites(app, run, 'log-metric', { metrics: [toMetric(b, '')], params: {}, tags: {} }, 'single')
    return {}
  })

  rpc('POST', 'runs/log-parameter', 'write', async (request) => {
    const b = fields(request.body)
    const key = requiredString(b, 'key')
    const run = await projectRun(app, request, runIdOf(b))
    await appendWrites(app, run, 'log-parameter', clean({ metrics: [], params: { [key]: optString(b, 'value') ?? '' }, tags: {} }), 'single')
    return {}
  })

  rpc('POST', 'runs/set-tag', 'write', async (request) => {
    const b = fields(request.body)
    const key = requiredString(b, 'key')
    const run = await projectRun(app, request, runIdOf(b))
    await appendWrites(app, run, 'set-tag', clean({ metrics: [], params: {}, tags: { [key]: optString(b, 'value') ?? '' } }), 'single')
    return {}
  })

  rpc('POST', 'runs/log-batch', 'write', async (request) => {
    const b = fields(request.body)
    const runId = runIdOf(b, false)
    const w = logBatchWrites(b)
    const run = await projectRun(app, request, runId)
    await appendWrites(app, run, 'log-batch', w, 'batch')
    return {}
  })

  // Datasets and logged models have no place in the run log: accepted (the run must exist) and dropped.
  for (const path of ['runs/log-inputs', 'runs/log-model', 'runs/log-outputs']) {
    rpc('POST', path, 'write', async (request) => {
      const b = fields(request.body)
      await projectRun(app, request, runIdOf(b))
      return {}
    })
  }
}

export type RpcHandler = (request: FastifyRequest) => Promise<unknown>
export type RpcRegistrar = (method: 'GET' | 'POST', path: string, auth: 'read' | 'write', handler: RpcHandler) => void
