import { createHash } from 'node:crypto'
import type { AddressedRecord } from '../domain/records.js'
import type { DeliveryContext, DeliveryResult, Sink } from './sink.js'
import { SinkError } from './sink-error.js'

/** Where a project's records of one sink go: the options for the real sink, or none configured. */
export type TargetResolver<T> = (projectId: string) => Promise<T | undefined>

export interface RoutedSink extends Sink {
  /** Whether `projectId` has a target (its own, or the gateway-wide one). */
  available (projectId: string): Promise<boolean>
  /** Sink instances alive (one per distinct target in use): for tests and /metrics. */
  readonly instanceCount: number
}

interface Instance { sink: Sink, projects: Set<string>, inFlight: number, retired: boolean }

/**
 * One named sink (mlflow, wandb) whose remote depends on the run's project: the project's own
 * target if it set one through the API, else the gateway-wide one from the environment. A sink
 * instance is kept per distinct target (its connection pool and pacing live there). A project
 * with no target pauses the partition with a clear error; configuring one and resuming delivers.
 * When no project uses a target any more (its target changed), the instance is closed once its
 * in-flight deliveries end, so its sockets and timers go with it.
 */
export function createRoutedSink<T> (name: string, maxBatchRecords: number, resolve: TargetResolver<T>, make: (opts: T) => Sink): RoutedSink {
  const instances = new Map<string, Instance>()
  const projectTarget = new Map<string, string>()

  const closeIfIdle = (id: string, inst: Instance): void => {
    if (!inst.retired || inst.inFlight > 0) return
    if (instances.get(id) === inst) instances.delete(id)
    Promise.resolve(inst.sink.close?.()).catch(() => {})
  }

  /** The instance for `projectId`'s target now; the one it used before is retired if nobody else uses it. */
  const instanceFor = (projectId: string, opts: T): Instance => {
    const id = createHash('sha256').update(JSON.stringify(opts)).digest('hex')
    let inst = instances.get(id)
    if (inst === undefined) { inst = { sink: make(opts), projects: new Set(), inFlight: 0, retired: false }; instances.set(id, inst) }
    inst.projects.add(projectId)
    inst.retired = false // back in use (a target changed back) before it closed
    const before = projectTarget.get(projectId)
    projectTarget.set(projectId, id)
    if (before !== undefined && before !== id) {
      const old = instances.get(before)
      if (old !== undefined) {
        old.projects.delete(projectId)
        if (old.projects.size === 0) { old.retired = true; closeIfIdle(before, old) }
      }
    }
    return inst
  }

  return {
    name,
    maxBatchRecords,
    get instanceCount () { return instances.size },
    async available (projectId) {
      return await resolve(projectId) !== undefined
    },
    async deliver (ctx: DeliveryContext, records: AddressedRecord[]): Promise<DeliveryResult> {
      const target = await resolve(ctx.run.projectId)
      if (target === undefined) throw new SinkError('TG_SINK_AUTH', `no ${name} target is configured for this project or gateway`)
      const inst = instanceFor(ctx.run.projectId, target)
      const id = projectTarget.get(ctx.run.projectId) as string
      inst.inFlight++
      try {
        return await inst.sink.deliver(ctx, records)
      } finally {
        inst.inFlight--
        closeIfIdle(id, inst)
      }
    },
    async close () {
      await Promise.allSettled([...instances.values()].map(async i => await i.sink.close?.()))
      instances.clear()
    }
  }
}
