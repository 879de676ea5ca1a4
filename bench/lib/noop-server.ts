import Fastify from 'fastify'

/** The yardstick: a Fastify route that parses the same body and answers at once, nothing stored. */
const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 })
app.get('/healthz', async () => ({ status: 'ok' }))
app.post('/v1/runs/:id/log', async (request, reply) => {
  const body = request.body as { metrics?: unknown[] }
  return await reply.code(202).send({ accepted: body.metrics?.length ?? 0, duplicate: false, seq: 1 })
})
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
