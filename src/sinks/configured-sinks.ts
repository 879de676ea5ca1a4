import type { Config } from '../config/config.js'
import type { Sink } from './sink.js'
import { createTensorboardSink } from './tensorboard/tensorboard-sink.js'
import { createMlflowSink } from './mlflow/index.js'
import { createWandbSink } from './wandb/wandb-sink.js'
import { createRoutedSink, type RoutedSink, type TargetResolver } from './routed-sink.js'
import type { MlflowTarget, WandbTarget } from './targets.js'

const TARGET_CACHE_MS = 2000

/**
 * A project's own target wins over the gateway-wide one. Looked up per delivery, so it is cached
 * briefly; `forget` drops a project's entry when the API changes it.
 */
/** Where a project's own targets are read (the vault: they are sealed at rest). */
export interface TargetSource { get: (projectId: string, sink: string) => Promise<Record<string, unknown> | undefined> }

function targetResolver<T> (targets: TargetSource, sink: string, global: T | undefined, complete: (raw: Record<string, unknown>) => T): TargetResolver<T> & { forget: (projectId: string) => void } {
  const cache = new Map<string, { at: number, value: T | undefined }>()
  const resolve = async (projectId: string): Promise<T | undefined> => {
    const hit = cache.get(projectId)
    if (hit !== undefined && Date.now() - hit.at < TARGET_CACHE_MS) return hit.value
    const own = await targets.get(projectId, sink)
    const value = own === undefined ? global : complete(own)
    if (cache.size > 10000) cache.clear()
    cache.set(projectId, { at: Date.now(), value })
    return value
  }
  return Object.assign(resolve, { forget: (projectId: string) => { cache.delete(projectId) } })
}

export interface ConfiguredSinks {
  sinks: Map<string, Sink>
  /** Whether a sink can deliver for a project (TensorBoard always; MLflow/W&B when a target exists). */
  available (projectId: string, sink: string): Promise<boolean>
  forgetTarget (projectId: string, sink: string): void
}

/** TensorBoard (always), MLflow and W&B (routed per project), and any extra sinks (tests). */
/** W&B's "stop" button: the run is tagged so clients (and the job tracker) can see and act on it. */
export const WANDB_STOP_TAG = 'trackgate.wandb_stop_requested'

export function configuredSinks (c: Config, targets: TargetSource, extra: Sink[] = [], onWandbStop: (runId: string) => void = () => {}): ConfiguredSinks {
  const mlflowTarget = targetResolver<MlflowTarget>(targets, 'mlflow', c.sinks.mlflow, raw => raw as MlflowTarget)
  const wandbTarget = targetResolver<WandbTarget>(targets, 'wandb', c.sinks.wandb, raw => ({ baseUrl: c.sinks.wandbDefaultBaseUrl, ...raw }) as WandbTarget)
  const routed: RoutedSink[] = [
    createRoutedSink('mlflow', 5000, mlflowTarget, t => createMlflowSink({ ...t, requestTimeoutMs: c.sinks.mlflowTimeoutMs })),
    createRoutedSink('wandb', 5000, wandbTarget, t => createWandbSink({ ...t, baseUrl: t.baseUrl ?? c.sinks.wandbDefaultBaseUrl, rowIdleMs: c.sinks.wandbRowIdleMs, onStopRequested: onWandbStop }))
  ]
  const sinks = new Map<string, Sink>()
  sinks.set('tensorboard', createTensorboardSink({ logdir: c.tensorboardDir, fsync: c.tensorboardFsync }))
  for (const s of [...routed, ...extra]) sinks.set(s.name, s)
  const forget: Record<string, (p: string) => void> = { mlflow: mlflowTarget.forget, wandb: wandbTarget.forget }
  return {
    sinks,
    async available (projectId, sink) {
      const s = sinks.get(sink)
      if (s === undefined) return false
      const r = routed.find(x => x === s)
      return r === undefined ? true : await r.available(projectId)
    },
    forgetTarget (projectId, sink) { forget[sink]?.(projectId) }
  }
}
