import { refuseWhenBehind } from '../ingest/refuse-when-behind.js'
import { storeFailure } from '../store/store-errors.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors, IdParams } from './schemas/common.js'
import { LogAccepted, LogBodySchema } from './schemas/runs.js'
import { toAppendRequest } from '../ingest/validate-batch.js'
import { describeParamValue } from '../domain/param-value.js'
import { Backpressure, NotFound, ParamConflict, RunEnded, ShuttingDown, StoreFull } from '../errors.js'

/**
 * The callback: training containers (run token) and tools (write key) append a batch to a run's
 * log. The answer is 202 only after the batch is committed; a repeated batch id is stored once.
 */
const ingestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  let closing = false
  app.addHook('preClose', async () => { closing = true })

  app.post('/v1/runs/:id/log', {
    config: { auth: 'run-write' },
    bodyLimit: app.config.maxBodyBytes,
    schema: {
      tags: ['ingest'],
      summary: 'Append metrics, params and tags to a run (write key or the run\'s token)',
      description: 'Answered 202 only after a durable commit. A repeated `batchId` is stored once and answered with `duplicate: true`. ' +
        '429 with Retry-After when the gateway is over its backlog or store high-water mark; 413 above the size limits.',
      params: IdParams,
      body: LogBodySchema,
      response: { 202: LogAccepted, ...errors(400, 401, 403, 404, 409, 413, 415, 429, 503, 507) }
    }
  }, async (request, reply) => {
    if (closing) throw new ShuttingDown()
    const run = request.scopedRun ?? await app.visibleRun(request, request.params.id)
    refuseWhenBehind(app, p => { reply.header('retry-after', String(p.retryAfterS)); return new Backpressure(p.reason, p.retryAfterS) })
    let req
    try {
      req = toAppendRequest(run.id, request.body, Date.now(), app.config.maxMetricsPerBatch)
    } catch (err) {
      app.metricsRegistry.inc('trackgate_ingest_rejected_total', { reason: (err as { statusCode?: number }).statusCode === 413 ? 'too_large' : 'invalid' })
      throw err
    }
    let result
    try {
      result = await app.committer.submit(req)
    } catch (err) {
      if (storeFailure(err) === 'full') {
        app.metricsRegistry.inc('trackgate_ingest_rejected_total', { reason: 'store_full' })
        throw new StoreFull()
      }
      throw err
    }
    if (!result.ok) {
      app.metricsRegistry.inc('trackgate_ingest_rejected_total', { reason: result.error })
      if (result.error === 'param_conflict') throw new ParamConflict(JSON.stringify(result.key), describeParamValue(result.existing), describeParamValue(result.got))
      if (result.error === 'run_ended') throw new RunEnded(run.id, result.status)
      throw new NotFound(`run ${run.id}`)
    }
    if (result.duplicate) app.metricsRegistry.inc('trackgate_ingest_duplicates_total')
    else {
      app.metricsRegistry.inc('trackgate_ingest_batches_total')
      app.metricsRegistry.inc('trackgate_ingest_records_total', {}, result.accepted)
    }
    return await reply.code(202).send({ accepted: result.accepted, duplicate: result.duplicate, seq: result.seq })
  })
}

export default ingestRoutes
