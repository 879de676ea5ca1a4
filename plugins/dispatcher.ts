import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Dispatcher } from '../src/dispatch/dispatcher.js'
import { defaultRetryPolicy, type RetryPolicy } from '../src/dispatch/retry-policy.js'
import { GroupCommitter } from '../src/ingest/group-commit.js'
import { Backpressure } from '../src/ingest/backpressure.js'
import { MetricsView } from '../src/runs/metrics-view.js'
import { MetricsRegistry, defineGatewayMetrics } from '../src/observability/metrics-registry.js'
import { collectSinkMetrics } from '../src/observability/sink-metrics.js'
import { configuredSinks, WANDB_STOP_TAG, type ConfiguredSinks } from '../src/sinks/configured-sinks.js'
import type { Sink } from '../src/sinks/sink.js'

declare module 'fastify' {
  interface FastifyInstance {
    sinks: Map<string, Sink>
    sinkTargets: Omit<ConfiguredSinks, 'sinks'>
    dispatcher: Dispatcher
    committer: GroupCommitter
    backpressure: Backpressure
    metricsView: MetricsView
    metricsRegistry: MetricsRegistry
  }
}

export interface DispatcherPluginOptions {
  /** Sinks besides TensorBoard, MLflow and W&B (a test's fake sink), by name. */
  extraSinks?: Sink[]
  retryPolicy?: RetryPolicy
}

/** The fan-out: sinks, dispatcher, group commit and back-pressure. Stops before the store closes. */
export default fp(async function dispatcherPlugin (app: FastifyInstance, opts: DispatcherPluginOptions) {
  const c = app.config
  const configured = configuredSinks(c, app.targetVault, opts.extraSinks, runId => {
    app.log.warn({ runId }, 'W&B asked to stop this run')
    app.store.mergeRunTags(runId, { [WANDB_STOP_TAG]: 'true' }).catch(err => app.log.error({ err, runId }, 'could not tag the run'))
  })
  const sinks = configured.sinks
  for (const name of c.defaultSinks) {
    if (!sinks.has(name)) throw new Error(`TRACKGATE_DEFAULT_SINKS names ${name}, which is not configured (configured: ${[...sinks.keys()].join(', ')})`)
  }

  const metrics = new MetricsRegistry()
  defineGatewayMetrics(metrics)
  const dispatcher = new Dispatcher({
    store: app.store,
    sinks,
    policy: opts.retryPolicy ?? defaultRetryPolicy(c.retryInitialMs, c.retryMaxMs),
    concurrency: c.sinkConcurrency,
    scanIntervalMs: c.dispatchScanMs,
    lingerMs: c.dispatchLingerMs,
    log: app.log,
    metrics,
    replicaId: c.store.replicaId,
    leaseTtlMs: c.store.leaseTtlMs
  })
  const backpressure = new Backpressure(app.store, { backlogHighWater: c.backlogHighWater, storeHighWaterBytes: c.storeHighWaterBytes })
  metrics.addCollector(() => collectSinkMetrics(app.store, dispatcher, [...sinks.keys()], c))

  app.decorate('sinks', sinks)
  app.decorate('sinkTargets', { available: configured.available, forgetTarget: configured.forgetTarget })
  app.decorate('dispatcher', dispatcher)
  app.decorate('committer', new GroupCommitter(app.store, runs => dispatcher.notify(runs)))
  app.decorate('backpressure', backpressure)
  app.decorate('metricsView', new MetricsView(app.store))
  app.decorate('metricsRegistry', metrics)

  app.addHook('onReady', async () => {
    backpressure.start()
    dispatcher.start()
  })
  app.addHook('onClose', async () => {
    backpressure.stop()
    await dispatcher.stop(c.shutdownGraceMs)
  })
}, { name: 'dispatcher', dependencies: ['store'] })
