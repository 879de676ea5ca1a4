import type { Test } from 'tap'
import { createWandbSink, type WandbSinkOptions } from '../../../src/sinks/wandb/wandb-sink.js'
import { startWandbEmulator, type WandbEmulatorOptions } from '../../emulators/wandb/index.js'
import { Driver, sinkRun } from './driver.js'
import { stepMetrics } from './helpers.js'

/** An emulator, a sink on it and a driver, all torn down with the test. */
export async function setup (t: Test, o: { emu?: WandbEmulatorOptions, sink?: Partial<WandbSinkOptions>, maxBatch?: number } = {}) {
  const emu = await startWandbEmulator(o.emu)
  t.teardown(() => emu.close())
  const sink = createWandbSink({ baseUrl: emu.url, apiKey: emu.apiKey, project: 'proj', minRequestIntervalMs: 100, ...o.sink })
  t.teardown(() => sink.close?.())
  const driver = new Driver(sink, { maxBatch: o.maxBatch ?? 1000, backoffMs: 20 })
  return { emu, sink, driver }
}

/** A run with `steps` steps of five metrics each, one log entry per step, then its status. */
export function fill (driver: Driver, id: string, steps: number, status: 'FINISHED' | 'FAILED' | null = 'FINISHED'): void {
  if (!driver.partitions.has(id)) driver.add(sinkRun(id))
  for (let s = 0; s < steps; s++) driver.append(id, stepMetrics(s))
  if (status !== null) driver.append(id, [{ kind: 'status', status, timestamp: Date.now() }])
}

/** Offsets 0..n-1 hold steps 0..n-1, each once. */
export function contiguous (steps: Array<Record<string, unknown> | undefined>): boolean {
  return steps.every((row, i) => row !== undefined && row._step === i)
}
