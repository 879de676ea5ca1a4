import type { AddressedRecord, LogRecord } from '../../../src/domain/records.js'
import type { DeliveryContext, Sink, SinkRun } from '../../../src/sinks/sink.js'

export const T0 = 1_700_000_000_000

export function sinkRun (over: Partial<SinkRun> = {}): SinkRun {
  return { id: 'run-1', projectId: 'proj-1', name: 'seg-unet', experiment: 'brain-seg', tags: { team: 'ml' }, createdAt: T0, jobName: null, parentRunId: null, group: null, ...over }
}

/** Give records log addresses: `perEntry` records per seq, starting at `seq`. */
export function addressed (records: LogRecord[], seq = 1, perEntry = 100): AddressedRecord[] {
  return records.map((r, i) => ({ ...r, seq: seq + Math.floor(i / perEntry), idx: i % perEntry }))
}

export function points (n: number, keys = 1, opts: { t0?: number, stepBase?: number } = {}): LogRecord[] {
  const out: LogRecord[] = []
  for (let i = 0; i < n; i++) {
    out.push({ kind: 'metric', key: `train/k${i % keys}`, value: Math.round(i * 7.3) / 100, step: (opts.stepBase ?? 0) + Math.floor(i / keys), timestamp: (opts.t0 ?? T0) + i })
  }
  return out
}

/** Thread state through deliveries the way the dispatcher does: only a successful deliver commits it. */
export class Partition {
  state: unknown = null
  constructor (readonly sink: Sink, readonly run: SinkRun) {}
  ctx (signal: AbortSignal = new AbortController().signal): DeliveryContext {
    return { run: this.run, state: this.state, signal }
  }

  async deliver (records: AddressedRecord[], signal?: AbortSignal): Promise<void> {
    const res = await this.sink.deliver(this.ctx(signal), records)
    this.state = JSON.parse(JSON.stringify(res.state)) // committed state must survive JSON
  }
}
