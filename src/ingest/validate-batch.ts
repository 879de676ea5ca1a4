import { batchBody, type IncomingMetric } from '../domain/log-entry.js'
import {
  fromWireValue, keyProblem, MAX_PARAM_VALUE_LENGTH, MAX_PARAMS_PER_BATCH, MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_BATCH, valueLengthProblem
} from '../domain/limits.js'
import { InvalidKey, InvalidValue, TooManyItems, TooManyMetrics } from '../errors.js'
import { MAX_PARAM_JSON_LENGTH, paramValueProblem, type ParamValue } from '../domain/param-value.js'
import type { LogBody } from '../routes/schemas/runs.js'
import type { AppendRequest } from '../store/store.js'

/**
 * Turn a validated-shape log body into an append request, applying the run-content rules of
 * src/domain/limits.ts. Throws a coded 4xx error naming the first offending item.
 */
export function toAppendRequest (runId: string, body: LogBody, now: number, maxMetrics: number): AppendRequest {
  const metricsIn = body.metrics ?? []
  if (metricsIn.length > maxMetrics) throw new TooManyMetrics(maxMetrics, metricsIn.length)
  const params = body.params ?? {}
  const tags = body.tags ?? {}
  const nParams = Object.keys(params).length
  const nTags = Object.keys(tags).length
  if (nParams > MAX_PARAMS_PER_BATCH) throw new TooManyItems(MAX_PARAMS_PER_BATCH, 'params', nParams)
  if (nTags > MAX_TAGS_PER_BATCH) throw new TooManyItems(MAX_TAGS_PER_BATCH, 'tags', nTags)

  const metrics: IncomingMetric[] = new Array(metricsIn.length)
  for (let i = 0; i < metricsIn.length; i++) {
    const m = metricsIn[i] as NonNullable<LogBody['metrics']>[number]
    const problem = keyProblem(m.key)
    if (problem !== undefined) throw new InvalidKey(`metrics[${i}].key ${JSON.stringify(m.key.slice(0, 300))} ${problem}`)
    metrics[i] = { key: m.key, value: fromWireValue(m.value), step: m.step, timestamp: m.timestamp ?? now }
  }
  checkParamsAndTags(params, tags)
  return {
    runId,
    batchId: body.batchId,
    body: batchBody(metrics, params, tags),
    records: metrics.length + nParams + nTags,
    params,
    tags,
    now
  }
}

/** Params and tags as a run may hold them (on run creation and in every batch). */
export function checkParamsAndTags (params: Record<string, ParamValue>, tags: Record<string, string>): void {
  checkMap('params', params, MAX_PARAM_VALUE_LENGTH)
  checkMap('tags', tags, MAX_TAG_VALUE_LENGTH)
}

function checkMap (what: string, map: Record<string, ParamValue>, maxValue: number): void {
  for (const [key, value] of Object.entries(map)) {
    const problem = keyProblem(key)
    if (problem !== undefined) throw new InvalidKey(`${what} key ${JSON.stringify(key.slice(0, 300))} ${problem}`)
    const vp = typeof value === 'string'
      ? valueLengthProblem(value, maxValue)
      : paramValueProblem(value) ?? valueLengthProblem(JSON.stringify(value), MAX_PARAM_JSON_LENGTH)
    if (vp !== undefined) throw new InvalidValue(`${what}[${JSON.stringify(key)}] value ${vp}`)
  }
}
