import type { FastifyPluginAsync } from 'fastify'
import { installMlflowErrors, notImplemented } from './errors.js'
import { ExperimentBook, registerExperiments } from './experiments.js'
import { registerLogging, type RpcRegistrar } from './logging.js'
import { registerReads } from './reads.js'
import { registerRuns } from './runs.js'

const PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']

/** RPCs the stock client may call that the gateway does not keep: a clear 501, never a 500. */
const UNSUPPORTED: Array<['GET' | 'POST', string, string]> = [
  ['POST', 'runs/delete-tag', 'Deleting run tags'],
  ['POST', 'runs/delete', 'Deleting runs'],
  ['POST', 'runs/restore', 'Restoring runs'],
  ['POST', 'experiments/delete', 'Deleting experiments'],
  ['POST', 'experiments/restore', 'Restoring experiments'],
  ['POST', 'experiments/update', 'Renaming experiments'],
  ['POST', 'experiments/set-experiment-tag', 'Experiment tags'],
  ['POST', 'experiments/delete-experiment-tag', 'Experiment tags'],
  ['GET', 'artifacts/list', 'Artifacts']
]

/**
 * The MLflow-compatible tracking API under /mlflow (issue "Drop-in ingest" §1): the stock `mlflow`
 * client with MLFLOW_TRACKING_URI=http://<gateway>/mlflow and a project write key as
 * MLFLOW_TRACKING_TOKEN (or Basic password) makes gateway runs. Every write is one ingest request
 * (durable before the 200, fanned out to every sink). Routes are hidden from the OpenAPI file:
 * their contract is MLflow's REST API (reference/mlflow.md), not ours.
 */
const mlflowCompatRoutes: FastifyPluginAsync = async (app) => {
  installMlflowErrors(app)
  const book = new ExperimentBook(app)

  const rpc: RpcRegistrar = (method, path, auth, handler) => {
    for (const prefix of PREFIXES) {
      app.route({ method, url: `${prefix}/${path}`, config: { auth }, schema: { hide: true }, handler: async (request) => await handler(request) })
    }
  }
  registerExperiments(app, rpc, book)
  registerRuns(app, rpc, book)
  registerLogging(app, rpc)
  registerReads(app, rpc)
  for (const [method, path, what] of UNSUPPORTED) rpc(method, path, 'read', async () => { throw notImplemented(what) })

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE'],
    url: '/api/2.0/mlflow-artifacts/*',
    config: { auth: 'none' },
    schema: { hide: true },
    handler: async () => { throw notImplemented('Artifacts (mlflow-artifacts)') }
  })
  app.get('/health', { config: { auth: 'none' }, schema: { hide: true } }, async (_request, reply) => await reply.type('text/plain').send('OK'))
}

export default mlflowCompatRoutes
