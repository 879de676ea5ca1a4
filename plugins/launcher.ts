import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { LeaseAdopter } from '../src/launch/lease-adopter.js'
import { jobLease, tuningLease } from '../src/store/lease-store.js'
import { JobService } from '../src/launch/launcher.js'
import { LocalLauncher } from '../src/launch/local/local-launcher.js'
import { createSageMakerApi, type SageMakerApi, type SageMakerApiOptions } from '../src/launch/sagemaker/client.js'
import { SageMakerLauncher } from '../src/launch/sagemaker/launcher.js'
import { SageMakerTracker } from '../src/launch/sagemaker/tracker.js'
import { SageMakerTuningTracker } from '../src/launch/sagemaker/tuning-tracker.js'
import { SageMakerTuningBackend } from '../src/launch/sagemaker/tuning-launcher.js'
import { TuningService } from '../src/tuning/tuning-service.js'
import { LocalTuningBackend } from '../src/tuning/local-search.js'
import type { WireMetricValue } from '../src/domain/limits.js'

declare module 'fastify' {
  interface FastifyInstance {
    jobService: JobService
    sagemakerTracker: SageMakerTracker
    tuningService: TuningService
    sagemakerTuningTracker: SageMakerTuningTracker
  }
}

const numberOf = (v: WireMetricValue | undefined): number | null => v === undefined ? null : typeof v === 'number' ? v : null

export interface LauncherPluginOptions {
  launch?: {
    /** SageMaker endpoint and static credentials (tests: the emulator); default: the SDK's chain and env. */
    sagemaker?: Pick<SageMakerApiOptions, 'endpoint' | 'credentials'>
    /** Local launcher's liveness check interval for re-attached processes (ms). */
    localWatchMs?: number
    /** First delay of a CreateTrainingJob resubmission after a transient failure (ms). */
    createRetryBaseMs?: number
    /** How often a local search looks at its trials (early stopping, runtime limit), ms. */
    tuningIntervalMs?: number
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
  const jobStore = app.jobStore
  // Replicas on one store share the jobs out by lease (lease-adopter.ts); alone, this one has them all.
  const leases = app.store.leases
  const adopter = leases === undefined ? undefined : new LeaseAdopter({ leases, owner: app.config.store.replicaId, ttlMs: app.config.store.leaseTtlMs, log: app.log })
  const claimJob = adopter === undefined ? undefined : async (id: string) => await adopter.claim(jobLease(id))
  const claimTuning = adopter === undefined ? undefined : async (id: string) => await adopter.claim(tuningLease(id))
  const service = new JobService({
    jobs: jobStore,
    store: app.store,
    notifyRun: runId => app.dispatcher.notify([runId]),
    gatewayUrl: () => gatewayUrl(app),
    log: app.log,
    defaultBackend: app.config.launch.defaultBackend,
    ...(claimJob !== undefined && { claim: claimJob })
  })
  const sm = opts.launch?.sagemaker ?? {}
  const apis: SageMakerApi[] = []
  const api = (maxAttempts: number): SageMakerApi => {
    const raw = createSageMakerApi({ region: c.region, maxAttempts, ...sm })
    apis.push(raw)
    const a = opts.launch?.wrapSageMakerApi?.(raw) ?? raw
    return a
  }
  const tracker = new SageMakerTracker({ api: api(1), service, jobs: jobStore, config: c, log: app.log, ...(claimJob !== undefined && { claim: claimJob }) })
  service.launchers.set('local', new LocalLauncher({
    dataDir: app.config.dataDir, trainer: c.localTrainer, stopGraceMs: c.localStopGraceMs, service, log: app.log, watchMs: opts.launch?.localWatchMs
  }))
  const sagemakerLauncher = new SageMakerLauncher({
    api: api(3), tracker, service, config: c, log: app.log, retryBaseMs: opts.launch?.createRetryBaseMs
  })
  service.launchers.set('sagemaker', sagemakerLauncher)

  // Hyperparameter tuning: trials are jobs of the service above.
  const tuningStore = app.tuningStore
  const tuning = new TuningService({
    tunings: tuningStore,
    jobs: jobStore,
    store: app.store,
    jobService: service,
    notifyRun: runId => app.dispatcher.notify([runId]),
    latestMetric: async (runId, key) => numberOf((await app.metricsView.latest(runId))[key]?.value),
    log: app.log,
    defaultBackend: c.defaultBackend,
    ...(claimTuning !== undefined && { claim: claimTuning })
  })
  const tuningTracker = new SageMakerTuningTracker({ api: api(1), service: tuning, jobService: service, jobs: jobStore, trainingTracker: tracker, config: c, log: app.log, ...(claimTuning !== undefined && { claim: claimTuning }) })
  tuning.backends.set('local', new LocalTuningBackend({
    service: tuning,
    curve: async (runId, key) => (await app.metricsView.history(runId, { key, limit: 100_000 })).items.flatMap(p => typeof p.value === 'number' ? [{ step: p.step, value: p.value }] : []),
    log: app.log,
    ...(opts.launch?.tuningIntervalMs !== undefined && { intervalMs: opts.launch.tuningIntervalMs })
  }))
  const sagemakerTuning = new SageMakerTuningBackend({
    api: api(3), service: tuning, jobs: sagemakerLauncher, tracker, tuningTracker, config: c, gatewayUrl: () => gatewayUrl(app), log: app.log
  })
  tuning.backends.set('sagemaker', sagemakerTuning)
  adopter?.add({
    lease: jobLease,
    active: async () => await jobStore.active('sagemaker'),
    adopt: async job => { if (!tracker.isTracked(job.id)) await sagemakerLauncher.resume([job]) }
  })
  adopter?.add({
    lease: tuningLease,
    active: async () => (await tuningStore.active()).filter(t => t.backend === 'sagemaker'),
    adopt: async t => { if (!tuningTracker.isTracked(t.id)) await sagemakerTuning.resume([t]) }
  })

  app.decorate('jobService', service)
  app.decorate('sagemakerTracker', tracker)
  app.decorate('tuningService', tuning)
  app.decorate('sagemakerTuningTracker', tuningTracker)

  app.addHook('onReady', async () => {
    tracker.start()
    tuningTracker.start()
    await service.resume()
    await tuning.resume()
    adopter?.start()
  })
  // Open SSE and log streams end before the server waits for its connections to close.
  app.addHook('preClose', async () => { service.emit('close') })
  app.addHook('onClose', async () => {
    await adopter?.stop()
    await tuningTracker.stop()
    await tuning.close()
    await tracker.stop()
    await service.close()
    for (const a of apis) a.close()
  })
}, { name: 'launcher', dependencies: ['store', 'dispatcher'] })
