import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { JobStore } from '../src/store/job-store.js'
import { SqliteJobStore } from '../src/store/sqlite/sqlite-job-store.js'
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import { JobService } from '../src/launch/launcher.js'
import { LocalLauncher } from '../src/launch/local/local-launcher.js'
import { createSageMakerApi, type SageMakerApi, type SageMakerApiOptions } from '../src/launch/sagemaker/client.js'
import { SageMakerLauncher } from '../src/launch/sagemaker/launcher.js'
import { SageMakerTracker } from '../src/launch/sagemaker/tracker.js'

declare module 'fastify' {
  interface FastifyInstance {
    jobStore: JobStore
    jobService: JobService
    sagemakerTracker: SageMakerTracker
  }
}

export interface LauncherPluginOptions {
  launch?: {
    /** SageMaker endpoint and static credentials (tests: the emulator); default: the SDK's chain and env. */
    sagemaker?: Pick<SageMakerApiOptions, 'endpoint' | 'credentials'>
    /** Local launcher's liveness check interval for re-attached processes (ms). */
    localWatchMs?: number
    /** First delay of a CreateTrainingJob resubmission after a transient failure (ms). */
    createRetryBaseMs?: number
    /** Wraps each SageMaker client (tests inject faults such as a lost create answer). */
    wrapSageMakerApi?: (api: SageMakerApi) => SageMakerApi
  }
}

/** The URL trainers call back: TRACKGATE_PUBLIC_URL, else the address this gateway listens on. */
function gatewayUrl (app: FastifyInstance): string {
  if (app.config.publicUrl !== undefined) return app.config.publicUrl.replace(/\/+$/, '')
  const a = app.server.address()
  if (a === null || typeof a === 'string') return `http://127.0.0.1:${app.config.port}`
  const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.family === 'IPv6' ? `[${a.address}]` : a.address
  return `http://${host}:${a.port}`
}

/** Jobs: store, service, the local and SageMaker launchers and the tracker. Closes before the store. */
export default fp(async function launcherPlugin (app: FastifyInstance, opts: LauncherPluginOptions) {
  const c = app.config.launch
  const jobStore = new SqliteJobStore((app.store as SqliteStore).db)
  const service = new JobService({
    jobs: jobStore,
    store: app.store,
    notifyRun: runId => app.dispatcher.notify([runId]),
    gatewayUrl: () => gatewayUrl(app),
    log: app.log,
    defaultBackend: app.config.launch.defaultBackend
  })
  const sm = opts.launch?.sagemaker ?? {}
  const apis: SageMakerApi[] = []
  const api = (maxAttempts: number): SageMakerApi => {
    const raw = createSageMakerApi({ region: c.region, maxAttempts, ...sm })
    apis.push(raw)
    const a = opts.launch?.wrapSageMakerApi?.(raw) ?? raw
    return a
  }
  const tracker = new SageMakerTracker({ api: api(1), service, jobs: jobStore, config: c, log: app.log })
  service.launchers.set('local', new LocalLauncher({
    dataDir: app.config.dataDir, trainer: c.localTrainer, stopGraceMs: c.localStopGraceMs, service, log: app.log, watchMs: opts.launch?.localWatchMs
  }))
  service.launchers.set('sagemaker', new SageMakerLauncher({
    api: api(3), tracker, service, config: c, log: app.log, retryBaseMs: opts.launch?.createRetryBaseMs
  }))

  app.decorate('jobStore', jobStore as JobStore)
  app.decorate('jobService', service)
  app.decorate('sagemakerTracker', tracker)

  app.addHook('onReady', async () => {
    tracker.start()
    await service.resume()
  })
  // Open SSE and log streams end before the server waits for its connections to close.
  app.addHook('preClose', async () => { service.emit('close') })
  app.addHook('onClose', async () => {
    await tracker.stop()
    await service.close()
    for (const a of apis) a.close()
  })
}, { name: 'launcher', dependencies: ['store', 'dispatcher'] })
