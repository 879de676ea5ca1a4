import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors } from './schemas/common.js'

const Healthz = Type.Object({
  status: Type.Literal('ok'),
  replica: Type.Object({
    id: Type.String({ description: 'TRACKGATE_REPLICA_ID, or host-pid-random' }),
    store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
    leases: Type.Array(Type.Object({
      name: Type.String({ description: '`partition:<sink>:<run>`, `job:<id>` or `tuning:<id>`' }),
      token: Type.Integer({ description: 'Fencing token: grows with every new holder' }),
      expiresAt: Type.String({ format: 'date-time' })
    }), { description: 'Held by this replica now (PostgreSQL only: the embedded store needs none)' })
  })
})

/** Liveness, readiness (the store answers) and Prometheus metrics. */
const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    schema: {
      tags: ['operations'],
      summary: 'Liveness, with this replica\'s id and the leases it holds',
      response: { 200: Healthz }
    }
  }, async (request) => {
    let leases: Array<{ name: string, token: number, expiresAt: string }> = []
    try {
      leases = (await app.store.leases?.leasesHeld(app.config.store.replicaId) ?? []).map(l => ({ name: l.name, token: l.token, expiresAt: new Date(l.until).toISOString() }))
    } catch (err) {
      request.log.warn({ err }, 'could not list leases') // liveness does not depend on the database: /readyz does
    }
    return { status: 'ok' as const, replica: { id: app.config.store.replicaId, store: app.storeBackend, leases } }
  })

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
