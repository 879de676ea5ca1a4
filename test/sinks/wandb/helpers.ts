import type { LogRecord } from '../../../src/domain/records.js'

export const T0 = 1_750_000_000_000

/** The five metrics of one step, including the non-finite values W&B must receive as tokens. */
export function stepMetrics (step: number): LogRecord[] {
  const ts = T0 + 1000 + step * 100
  return [
    { kind: 'metric', key: 'train/loss', value: 1 / (step + 1), step, timestamp: ts },
    { kind: 'metric', key: 'lr', value: 0.0003 * (1 - step / 1000), step, timestamp: ts },
    { kind: 'metric', key: 'grad_norm', value: step % 10 === 3 ? NaN : step * 0.5, step, timestamp: ts },
    { kind: 'metric', key: 'ratio', value: step % 7 === 1 ? Infinity : step % 7 === 2 ? -Infinity : step, step, timestamp: ts },
    { kind: 'metric', key: 'epoch', value: Math.floor(step / 10), step, timestamp: ts + 1 }
  ]
}

/** What each metric of `step` must read back as from the emulator. */
export function expectedValue (key: string, step: number): number {
  const m = stepMetrics(step).find((r) => r.kind === 'metric' && r.key === key)
  return (m as { value: number }).value
}

export const same = (a: unknown, b: number): boolean => (Number.isNaN(b) ? Number.isNaN(a) : a === b)
