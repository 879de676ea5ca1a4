import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors, IdParams, Uuid } from './schemas/common.js'
import { SinkName } from './schemas/runs.js'
import { Conflict, NotFound, SinkNotConfigured, UnknownSink } from '../errors.js'
import type { Cursor } from '../store/store.js'

const SinkStatus = Type.Object({
  sink: Type.String(),
  state: Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('paused')]),
  deliveredSeq: Type.Integer(),
  headSeq: Type.Integer(),
  lag: Type.Integer({ description: 'Run-log entries not yet delivered' }),
  attempts: Type.Integer({ description: 'Failed attempts since the last success' }),
  nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()])
})

const sinkDto = (c: Cursor) => ({
  sink: c.sink,
  state: c.status,
  deliveredSeq: c.deliveredSeq,
  headSeq: c.headSeq,
  lag: Math.max(0, c.headSeq - c.deliveredSeq),
  attempts: c.attempts,
  nextAttemptAt: c.nextAttemptAt > 0 ? new Date(c.nextAttemptAt).toISOString() : null,
  lastError: c.lastErrorCode === null ? null : { code: c.lastErrorCode, message: c.lastError ?? '' }
})

/** Where each sink of a run stands, adding a sink to a run (backfilled from seq 1), resuming a paused one. */
const sinkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/runs/:id/sinks', {
    config: { auth: 'read' },
    schema: { tags: ['sinks'], summary: 'Delivery state of each sink of a run', params: IdParams, response: { 200: Type.Array(SinkStatus), ...errors(400, 401, 403, 404) } }
  }, async (request) => {
    const run = await app.visibleRun(request, request.params.id)
    return (await app.store.listCursors(run.id)).map(sinkDto)
  })

  app.post('/v1/runs/:id/sinks', {
    config: { auth: 'write' },
    schema: {
      tags: ['sinks'],
      summary: 'Enable a sink on a run; it is backfilled from the start of the run log',
      params: IdParams,
      body: Type.Object({ sink: SinkName }, { additionalProperties: false }),
      response: { 201: SinkStatus, ...errors(400, 401, 403, 404, 409) }
    }
  }, async (request, reply) => {
    const run = await app.visibleRun(request, request.params.id)
    const { sink } = request.body
    if (!app.sinks.has(sink)) throw new UnknownSink(sink, [...app.sinks.keys()].join(', '))
    if (!await app.sinkTargets.available(run.projectId, sink)) throw new SinkNotConfigured(sink, sink)
    if (!await app.store.addCursor(run.id, sink, Date.now())) throw new Conflict(`sink ${sink} is already enabled on run ${run.id}`)
    app.dispatcher.notify([run.id])
    request.log.info({ runId: run.id, sink }, 'sink added to run')
    const c = (await app.store.listCursors(run.id)).find(x => x.sink === sink) as Cursor
    return await reply.code(201).send(sinkDto(c))
  })

  app.post('/v1/runs/:id/sinks/:sink/resume', {
    config: { auth: 'write' },
    schema: {
      tags: ['sinks'],
      summary: 'Resume a paused (or backing-off) sink of a run now, e.g. after fixing its credentials',
      params: Type.Object({ id: Uuid, sink: SinkName }),
      response: { 200: SinkStatus, ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const run = await app.visibleRun(request, request.params.id)
    if (!await app.store.resumeCursor(request.params.sink, run.id, Date.now())) throw new NotFound(`sink ${request.params.sink} on run ${run.id}`)
    app.dispatcher.notify([run.id])
    request.log.info({ runId: run.id, sink: request.params.sink }, 'sink resumed')
    const c = (await app.store.listCursors(run.id)).find(x => x.sink === request.params.sink) as Cursor
    return sinkDto(c)
  })
}

export default sinkRoutes
