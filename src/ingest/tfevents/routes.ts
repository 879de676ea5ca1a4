import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors, IdParams } from '../../routes/schemas/common.js'
import { Backpressure, BadRequest, ShuttingDown, TfeventsMediaType } from '../../errors.js'
import { KeyedLock } from '../../util/keyed-lock.js'
import { importOffsetFiles } from './import-offset-files.js'
import { refuseWhenBehind } from '../refuse-when-behind.js'
import { fileProblem } from './tfevents-keys.js'
import { ingestUpload } from './upload-ingest.js'

const Query = Type.Object({
  file: Type.String({ minLength: 1, maxLength: 255, description: 'The event file\'s path relative to the logdir, e.g. `run1/events.out.tfevents.1700000000.host.1.0`' }),
  offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'File offset of the first byte sent: 0, or the `consumed` of the previous answer' })
}, { additionalProperties: false })

const Corrupt = Type.Object({
  offset: Type.Integer({ description: 'File offset of the skipped record' }),
  reason: Type.Union([Type.Literal('length_crc'), Type.Literal('data_crc'), Type.Literal('too_large'), Type.Literal('decode')]),
  message: Type.String()
})

const Accepted = Type.Object({
  consumed: Type.Integer({ description: 'Send the file from this offset next; a torn last record is not consumed' }),
  records: Type.Integer({ description: 'Records read from this upload' }),
  scalars: Type.Integer({ description: 'Metric points stored from this upload' }),
  corrupt: Type.Array(Corrupt, { description: 'Records skipped (bad CRC, undecodable), each also kept as a dead letter of sink `tfevents-ingest`; the rest is stored' }),
  duplicate: Type.Boolean({ description: 'The range was stored before (a retry or an overlapping upload)' }),
  deadAt: Type.Optional(Type.Integer({ description: 'A length CRC failed here: the rest of the file cannot be framed and is ignored' })),
  paramConflicts: Type.Optional(Type.Array(Type.String(), { description: 'HParams not stored because the run already holds another value' }))
})

/**
 * POST /v1/runs/{id}/tfevents: the bytes of one SummaryWriter event file from `offset`, framed
 * and decoded here into one ingest request per upload, exactly once per byte range (see
 * upload-ingest.ts). The raw-body parser is scoped to this plugin.
 */
const tfeventsIngestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  // Two uploads of one file must not both start at one offset. Across replicas, the batch-id
  // dedupe and the offsets' pending range keep a retried range single; overlapping uploads of one
  // file (one container uploads it, in order) stay on one replica behind a sticky load balancer.
  const lock = new KeyedLock()
  await importOffsetFiles(app.config.dataDir, app.store, app.log)
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: app.config.maxBodyBytes }, (_req, body, done) => { done(null, body) })

  app.post('/v1/runs/:id/tfevents', {
    config: { auth: 'run-write' },
    bodyLimit: app.config.maxBodyBytes,
    schema: {
      tags: ['ingest'],
      summary: 'Append the bytes of a TensorBoard event file to a run (write key or the run\'s token)',
      description: 'Body: `application/octet-stream`, the file\'s bytes from `offset`. Scalars become metrics `<run dir>/<tag>`, HParams ' +
        'session starts typed params, text summaries tags `<run dir>/text/<tag>`; tags with characters keys may not hold are mapped to "_". ' +
        'Answered after a durable commit; re-sending a consumed range is harmless (`duplicate: true`); an offset beyond the consumed one is 409.',
      params: IdParams,
      querystring: Query,
      response: { 202: Accepted, ...errors(400, 401, 403, 404, 409, 413, 415, 429, 503, 507) }
    }
  }, async (request, reply) => {
    if (closing) throw new ShuttingDown()
    const run = request.scopedRun ?? await app.visibleRun(request, request.params.id)
    const { file, offset } = request.query
    const problem = fileProblem(file)
    if (problem !== undefined) throw new BadRequest(`file ${JSON.stringify(file.slice(0, 300))} ${problem}`)
    refuseWhenBehind(app, p => { reply.header('retry-after', String(p.retryAfterS)); return new Backpressure(p.reason, p.retryAfterS) })
    if (request.body !== undefined && request.body !== null && !Buffer.isBuffer(request.body)) throw new TfeventsMediaType(request.headers['content-type'] ?? 'none')
    const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
    const log = request.log.child({ runId: run.id })
    try {
      const answer = await lock.run(`${run.id}\n${file}`, async () => await ingestUpload(app, { runId: run.id, file, offset, bytes, log }))
      if (!answer.duplicate) app.metricsRegistry.inc('trackgate_ingest_records_total', {}, answer.scalars)
      return await reply.code(202).send(answer)
    } catch (err) {
      const consumed = (err as { code?: string }).code === 'TG_TFEVENTS_OFFSET' ? (await app.store.getIngestOffsets(run.id, file)).consumed : undefined
      if (consumed !== undefined) reply.header('x-trackgate-consumed', String(consumed))
      throw err
    }
  })
}

export default tfeventsIngestRoutes
