import type { FastifyPluginAsync } from 'fastify'

/** POST /v1/runs/{id}/tfevents (issue 12): filled in by its own change. */
const tfeventsIngestRoutes: FastifyPluginAsync = async () => {}

export default tfeventsIngestRoutes
