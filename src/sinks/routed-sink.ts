import { createHash } from 'node:crypto'
import type { AddressedRecord } from '../domain/records.js'
import type { DeliveryContext, DeliveryResult, Sink } from './sink.js'
import { SinkError } from './sink-error.js'

/** Where a project's records of one sink go: the options for the real sink, or none configured. */
export type TargetResolver<T> = (projectId: string) => Promise<T | undefined>

export interface RoutedSink extends Sink {
  /** Whether `projectId` has a target (its own, or the gateway-wide one). */
  available (projectId: string): Promise<boolean>
}

/**
 * One named sink (mlflow, wandb) whose remote depends on the run's project: the project's own
 * target if it set one through the API, else the gateway-wide one from the environment. A sink
 * instance is kept per distinct target (its connection pool and pacing live there). A project
 * with no target pauses the partition with a clear error; configuring one and resuming delivers.
 */
export function createRoutedSink<T> (name: string, maxBatchRecords: number, resolve: TargetResolver<T>, make: (opts: T) => Sink): RoutedSink {
  const instances = new Map<string, Sink>()
  const instanceFor = (opts: T): Sink => {
    const id = createHash('sha256').update(JSON.stringify(opts)).digest('hex')
    let s = instances.get(id)
    if (s === undefined) { s = make(opts); instances.set(id, s) }
    return s
  }
  return {
    name,
    maxBatchRecords,
    async available (projectId) {
      return await resolve(projectId) !== undefined
    },
    async deliver (ctx: DeliveryContext, records: AddressedRecord[]): Promise<DeliveryResult> {
      const target = await resolve(ctx.run.projectId)
      if (target === undefined) throw new SinkError('TG_SINK_AUTH', `no ${name} target is configured for this project or gateway`)
      return await instanceFor(target).deliver(ctx, records)
    },
    async close () {
      await Promise.allSettled([...instances.values()].map(async s => await s.close?.()))
    }
  }
}
