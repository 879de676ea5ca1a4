import { SinkError } from '../sinks/sink-error.js'

export interface RetryPolicy {
  initialMs: number
  maxMs: number
  multiplier: number
  /** Randomised interval = interval × (1 ± jitter), as the OpenTelemetry Collector does. */
  jitter: number
  /** A server's Retry-After is a floor, but never more than this (a bad header must not park a sink for days). */
  retryAfterCeilingMs: number
}

export const defaultRetryPolicy = (initialMs: number, maxMs: number): RetryPolicy =>
  ({ initialMs, maxMs, multiplier: 2, jitter: 0.5, retryAfterCeilingMs: 3600_000 })

/** Back-off before attempt `attempts + 1`, given `attempts` failures so far (≥ 1). */
export function backoffMs (p: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const base = Math.min(p.maxMs, p.initialMs * p.multiplier ** Math.max(0, attempts - 1))
  const factor = 1 - p.jitter + 2 * p.jitter * random()
  return Math.max(1, Math.round(base * factor))
}

export type FailureAction = 'retry' | 'pause' | 'reject' | 'shutdown'

export interface Classified {
  action: FailureAction
  code: string
  message: string
  retryAfterMs: number | undefined
}

const TRANSIENT_NODE_CODES = /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|UND_ERR_.*)$/

/**
 * The one classification table. Named sink failures map by code; anything else thrown by a sink
 * is a transient network failure when it carries a socket-level code, and otherwise a permanent
 * rejection of these records (an encoder that throws on one record must not block the partition).
 */
export function classifyFailure (err: unknown, aborted: boolean): Classified {
  if (aborted) return { action: 'shutdown', code: 'TG_SHUTDOWN', message: 'delivery interrupted by shutdown', retryAfterMs: undefined }
  if (err instanceof SinkError) {
    const action: FailureAction = {
      TG_SINK_THROTTLED: 'retry',
      TG_SINK_UNAVAILABLE: 'retry',
      TG_SINK_REJECTED: 'reject',
      TG_SINK_AUTH: 'pause',
      TG_SINK_GONE: 'pause'
    }[err.code] as FailureAction
    return { action, code: err.code, message: err.message, retryAfterMs: err.retryAfterMs }
  }
  const e = err as { code?: unknown, message?: unknown }
  if (typeof e?.code === 'string' && TRANSIENT_NODE_CODES.test(e.code)) {
    return { action: 'retry', code: 'TG_SINK_UNAVAILABLE', message: `${e.code}: ${String(e.message)}`, retryAfterMs: undefined }
  }
  return { action: 'reject', code: 'TG_SINK_ENCODE', message: err instanceof Error ? err.message : String(err), retryAfterMs: undefined }
}

/** When to try again after a retryable failure: back-off with jitter, with Retry-After as a floor. */
export function nextAttemptDelay (p: RetryPolicy, attempts: number, retryAfterMs: number | undefined, random?: () => number): number {
  const backoff = backoffMs(p, attempts, random)
  if (retryAfterMs === undefined) return backoff
  return Math.max(backoff, Math.min(retryAfterMs, p.retryAfterCeilingMs))
}
