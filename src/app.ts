import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config/config.js'
import { loggerOptions } from './logger.js'
import { buildValidator } from './validation.js'
import errorsPlugin from '../plugins/errors.js'
import storePlugin from '../plugins/store.js'
import authPlugin from '../plugins/auth.js'
import dispatcherPlugin, { type DispatcherPluginOptions } from '../plugins/dispatcher.js'
import docsPlugin from '../plugins/docs.js'
import launcherPlugin, { type LauncherPluginOptions } from '../plugins/launcher.js'
import projectRoutes from './routes/projects.js'
import runRoutes from './routes/runs.js'
import ingestRoutes from './routes/ingest.js'
import runReadRoutes from './routes/run-reads.js'
import sinkRoutes from './routes/sinks.js'
import deadLetterRoutes from './routes/dead-letters.js'
import targetRoutes from './routes/targets.js'
import healthRoutes from './routes/health.js'
import jobRoutes from './routes/jobs.js'
import sagemakerEventRoutes from './routes/sagemaker-events.js'
import tuningRoutes from './routes/tuning-jobs.js'
import mlflowCompatRoutes from './compat/mlflow/routes.js'
import tfeventsIngestRoutes from './ingest/tfevents/routes.js'

export interface BuildOptions extends DispatcherPluginOptions, LauncherPluginOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logStream?: NodeJS.WritableStream
}

/** Builds the whole gateway from an explicit config; never listens (src/server.ts does). */
export async function build (config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config.logLevel, opts.logStream),
    bodyLimit: config.maxBodyBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Fastify's factory type is Ajv's own compile signature; ours returns the same validate functions.
    schemaController: { compilersFactory: { buildValidator: ((external: Record<string, unknown>) => buildValidator(external)) as never } }
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Every body is JSON: text/plain is a 415 that says so, not a schema error about a string body.
  app.removeContentTypeParser('text/plain')
  await app.register(errorsPlugin)
  await app.register(storePlugin, { config })
  await app.register(authPlugin)
  await app.register(dispatcherPlugin, opts)
  await app.register(launcherPlugin, opts)
  await app.register(docsPlugin)
  await app.register(healthRoutes)
  await app.register(projectRoutes)
  await app.register(runRoutes)
  await app.register(ingestRoutes)
  await app.register(runReadRoutes)
  await app.register(sinkRoutes)
  await app.register(deadLetterRoutes)
  await app.register(targetRoutes)
  await app.register(jobRoutes)
  await app.register(sagemakerEventRoutes)
  await app.register(tuningRoutes)
  await app.register(tfeventsIngestRoutes)
  await app.register(mlflowCompatRoutes, { prefix: '/mlflow' })
  return app as unknown as FastifyInstance
}
