import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors } from './schemas/common.js'

/** Liveness, readiness (the store answers) and Prometheus metrics. */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'Liveness', response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    schema: { tags: ['operations'], summary: 'Readiness: the store is reachable', response: { 200: Type.Object({ status: Type.Literal('ready') }), ...errors(503) } }
  }, async (request, reply) => {
    try {
      await app.store.ping()
      return { status: 'ready' as const }
    } catch (err) {
      request.log.error({ err }, 'store unreachable')
      return await reply.code(503).send({ statusCode: 503, code: 'TG_NOT_READY', error: 'Service Unavailable', message: 'the store is not reachable' })
    }
  })

  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)', response: { 200: Type.String() } }
  }, async (_request, reply) => {
    return await reply.type('text/plain; version=0.0.4').send(await app.metricsRegistry.render())
  })
}

export default healthRoutes
