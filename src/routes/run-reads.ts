import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors, IdParams, Page, ParamValueSchema, WireValue } from './schemas/common.js'
import { BadRequest } from '../errors.js'
import { decodeCursor, encodeCursor } from '../runs/run-dto.js'

const Point = Type.Object({ key: Type.String(), value: WireValue, step: Type.Integer(), timestamp: Type.Number() })
const isPos = (v: unknown): v is { s: number, i: number } =>
  typeof v === 'object' && v !== null && Number.isInteger((v as { s: unknown }).s) && Number.isInteger((v as { i: unknown }).i)

/** What a run holds, read back from its log: metric history and the latest value per key. */
const runReadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/runs/:id/metrics', {
    config: { auth: 'read' },
    schema: {
      tags: ['runs'],
      summary: 'Metric history in log order, paginated',
      params: IdParams,
      querystring: Type.Object({
        key: Type.Optional(Type.String({ maxLength: 250, description: 'Only this metric' })),
        afterStep: Type.Optional(Type.Integer({ minimum: -1, description: 'Only points with step > afterStep' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
        cursor: Type.Optional(Type.String({ maxLength: 200 }))
      }, { additionalProperties: false }),
      response: { 200: Page(Point), ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const run = await app.visibleRun(request, request.params.id)
    const q = request.query
    const cursor = decodeCursor(q.cursor, isPos)
    if (cursor === null) throw new BadRequest('cursor is not one this API returned')
    const page = await app.metricsView.history(run.id, {
      key: q.key, afterStep: q.afterStep, limit: q.limit ?? 1000, cursor: cursor === undefined ? undefined : { seq: cursor.s, idx: cursor.i }
    } as Parameters<typeof app.metricsView.history>[1])
    return { items: page.items, nextCursor: page.next === null ? null : encodeCursor({ s: page.next.seq, i: page.next.idx }) }
  })

  app.get('/v1/runs/:id/summary', {
    config: { auth: 'read' },
    schema: {
      tags: ['runs'],
      summary: 'Latest value per metric (at the highest step), params and tags',
      params: IdParams,
      response: {
        200: Type.Object({
          runId: Type.String(),
          status: Type.String(),
          metrics: Type.Record(Type.String(), Type.Object({ value: WireValue, step: Type.Integer(), timestamp: Type.Number() })),
          params: Type.Record(Type.String(), ParamValueSchema, { description: 'Typed, as logged' }),
          tags: Type.Record(Type.String(), Type.String())
        }),
        ...errors(400, 401, 403, 404)
      }
    }
  }, async (request) => {
    const run = await app.visibleRun(request, request.params.id)
    const [metrics, params] = await Promise.all([app.metricsView.latest(run.id), app.store.getParams(run.id)])
    return { runId: run.id, status: run.status, metrics, params, tags: run.tags }
  })
}

export default runReadRoutes
