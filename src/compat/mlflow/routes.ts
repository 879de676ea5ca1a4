import type { FastifyPluginAsync } from 'fastify'

/** The MLflow-compatible tracking API under /mlflow (issue 12): filled in by its own change. */
const mlflowCompatRoutes: FastifyPluginAsync = async () => {}

export default mlflowCompatRoutes
