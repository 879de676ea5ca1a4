import { refuseWhenBehind } from '../../ingest/refuse-when-behind.js'
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { batchBody, type IncomingMetric } from '../../domain/log-entry.js'
import { codePoints, keyProblem, MAX_KEY_LENGTH, MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH, toWireValue } from '../../domain/limits.js'
import { sameParamValue } from '../../domain/param-value.js'
import type { AppendRequest, Run } from '../../store/store.js'
import { invalid, MlflowError, runNotFound } from './errors.js'
import { paramText } from './wire.js'

export interface Writes { metrics: IncomingMetric[], params: Record<string, string>, tags: Record<string, string> }

/** MLflow's messages for a bad key (validation.py), with the gateway's reason where its rule is stricter. */
export function checkKey (key: string, kind: 'metric' | 'param' | 'tag'): void {
  const problem = keyProblem(key)
  if (problem === undefined) return
  const n = codePoints(key)
  if (n > MAX_KEY_LENGTH) throw invalid(`${kind[0]?.toUpperCase()}${kind.slice(1)} name '${key.slice(0, 300)}' had length ${n}, which exceeded length limit of ${MAX_KEY_LENGTH}`)
  throw invalid(`Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/) (${problem}).`)
}

/** Over-long values are truncated, as MLflow servers do by default (MLFLOW_TRUNCATE_LONG_VALUES). */
export function truncate (value: string, max: number): string {
  return value.length <= max || codePoints(value) <= max ? value : [...value].slice(0, max).join('')
}
export const truncateParam = (v: string): string => truncate(v, MAX_PARAM_VALUE_LENGTH)
export const truncateTag = (v: string): string => truncate(v, MAX_TAG_VALUE_LENGTH)

const sorted = (m: Record<string, string>): Array<[string, string]> => Object.entries(m).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)

/**
 * The batch id of an MLflow write: a hash of the RPC, the run and the canonical content, so the
 * client's at-least-once retries (same body, same timestamps) are stored once. A write without
 * metrics also hashes the run's current values of its tags: re-setting a tag back to an earlier
 * value is then a new write, while a retry (nothing changed in between) is still the same one.
 */
export function mlflowBatchId (rpc: string, run: Run, w: Writes): string {
  const content = {
    m: w.metrics.map(m => [m.key, toWireValue(m.value), m.step, m.timestamp]),
    p: sorted(w.params),
    g: sorted(w.tags),
    ...(w.metrics.length === 0 ? { c: Object.keys(w.tags).sort().map(k => run.tags[k] ?? null) } : {})
  }
  return 'mlflow-' + createHash('sha256').update(`${rpc}\n${run.id}\n${JSON.stringify(content)}`).digest('hex').slice(0, 48)
}

/**
 * One MLflow write = one gateway ingest request, committed (group commit) before the answer,
 * then fanned out by the dispatcher: the same path as POST /v1/runs/:id/log.
 */
export async function appendWrites (app: FastifyInstance, run: Run, rpc: string, w: Writes, conflictStyle: 'single' | 'batch'): Promise<void> {
  const nParams = Object.keys(w.params).length
  const nTags = Object.keys(w.tags).length
  if (w.metrics.length === 0 && nParams === 0 && nTags === 0) return
  if (w.metrics.length === 0 && Object.entries(w.tags).every(([k, v]) => run.tags[k] === v)) {
    // Params and tags already as asked (a retry, or a repeated call): nothing new to log.
    const stored = nParams === 0 ? {} : await app.store.getParams(run.id)
    if (Object.entries(w.params).every(([k, v]) => stored[k] !== undefined && sameParamValue(stored[k], v))) return
  }
  refuseWhenBehind(app, p => Object.assign(new MlflowError('REQUEST_LIMIT_EXCEEDED', `the gateway is behind (${p.reason}); retry after ${p.retryAfterS} s`), { retryAfterS: p.retryAfterS }))
  const now = Date.now()
  const req: AppendRequest = {
    runId: run.id,
    batchId: mlflowBatchId(rpc, run, w),
    body: batchBody(w.metrics, w.params, w.tags),
    records: w.metrics.length + nParams + nTags,
    params: w.params,
    tags: w.tags,
    now
  }
  const result = await app.committer.submit(req)
  if (result.ok) {
    if (result.duplicate) app.metricsRegistry.inc('trackgate_ingest_duplicates_total')
    else {
      app.metricsRegistry.inc('trackgate_ingest_batches_total')
      app.metricsRegistry.inc('trackgate_ingest_records_total', {}, result.accepted)
    }
    return
  }
  app.metricsRegistry.inc('trackgate_ingest_rejected_total', { reason: result.error })
  if (result.error === 'run_missing') throw runNotFound(run.id)
  if (result.error === 'run_ended') {
    throw invalid(`The run ${run.id} has ended (${result.status}) and the gateway's log for it is closed: start a new run to log more.`)
  }
  const old = paramText(result.existing)
  const got = paramText(result.got)
  if (conflictStyle === 'single') {
    throw invalid(`Changing param values is not allowed. Param with key='${result.key}' was already logged with value='${old}' for run ID='${run.id}'. Attempted logging new value '${got}'.`)
  }
  throw invalid(`Changing param values is not allowed. Params were already logged='[{'key': '${result.key}', 'old_value': '${old}', 'new_value': '${got}'}]' for run ID='${run.id}'.`)
}
