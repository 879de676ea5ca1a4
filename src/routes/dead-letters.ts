import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { errors, Page, Uuid } from './schemas/common.js'
import { SinkName } from './schemas/runs.js'
import { Conflict, NotFound } from '../errors.js'
import type { DeadLetter } from '../store/store.js'

const DeadLetterSchema = Type.Object({
  id: Type.Integer(),
  sink: Type.String(),
  runId: Uuid,
  seq: Type.Integer(),
  idx: Type.Integer({ description: 'Position of the record inside its run-log entry' }),
  record: Type.Unknown({ description: 'The record as stored (non-finite values as strings)' }),
  code: Type.String(),
  message: Type.String(),
  status: Type.Union([Type.Literal('dead'), Type.Literal('replay')]),
  attempts: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' })
})
const IdParam = Type.Object({ id: Type.Integer({ minimum: 1 }) })

const dto = (d: DeadLetter) => ({
  id: d.id,
  sink: d.sink,
  runId: d.runId,
  seq: d.seq,
  idx: d.idx,
  record: d.record,
  code: d.code,
  message: d.message,
  status: d.status,
  attempts: d.attempts,
  createdAt: new Date(d.createdAt).toISOString()
})

/** Records a sink refused for good: listed, replayed once the cause is fixed, or discarded. */
const deadLetterRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const visible = async (request: FastifyRequest, id: number): Promise<DeadLetter> => {
    const d = await app.store.getDeadLetter(id)
    if (d === undefined || d.projectId !== app.projectOf(request)) throw new NotFound(`dead letter ${id}`)
    return d
  }

  app.get('/v1/dead-letters', {
    config: { auth: 'read' },
    schema: {
      tags: ['sinks'],
      summary: 'List dead letters of the project',
      querystring: Type.Object({
        runId: Type.Optional(Uuid),
        sink: Type.Optional(SinkName),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' }))
      }, { additionalProperties: false }),
      response: { 200: Page(DeadLetterSchema), ...errors(400, 401, 403) }
    }
  }, async (request) => {
    const q = request.query
    const limit = q.limit ?? 100
    const items = await app.store.listDeadLetters(app.projectOf(request), {
      runId: q.runId, sink: q.sink, limit, afterId: q.cursor === undefined ? 0 : Number(q.cursor)
    } as Parameters<typeof app.store.listDeadLetters>[1])
    const last = items[items.length - 1]
    return { items: items.map(dto), nextCursor: items.length === limit && last !== undefined ? String(last.id) : null }
  })

  app.post('/v1/dead-letters/:id/replay', {
    config: { auth: 'write' },
    schema: { tags: ['sinks'], summary: 'Deliver a dead letter again, ahead of the partition\'s next batch', params: IdParam, response: { 202: DeadLetterSchema, ...errors(400, 401, 403, 404, 409) } }
  }, async (request, reply) => {
    const d = await visible(request, request.params.id)
    if (d.sink.endsWith('-ingest')) throw new Conflict(`dead letter ${d.id} is a record the gateway could not read from an upload (${d.sink}); nothing can deliver it: fix the file and upload it to a new run, or discard this dead letter`)
    await app.store.replayDeadLetter(d.id, Date.now())
    app.dispatcher.notify([d.runId])
    request.log.info({ runId: d.runId, sink: d.sink, deadLetter: d.id }, 'dead letter replay requested')
    return await reply.code(202).send(dto({ ...d, status: 'replay' }))
  })

  app.delete('/v1/dead-letters/:id', {
    config: { auth: 'write' },
    schema: { tags: ['sinks'], summary: 'Discard a dead letter (the record stays in the run log)', params: IdParam, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } }
  }, async (request, reply) => {
    const d = await visible(request, request.params.id)
    await app.store.discardDeadLetter(d.id)
    request.log.info({ runId: d.runId, sink: d.sink, deadLetter: d.id }, 'dead letter discarded')
    return await reply.code(204).send(null)
  })
}

export default deadLetterRoutes
