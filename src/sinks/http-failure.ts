import { parseRetryAfter } from '../dispatch/retry-after.js'
import { SinkError } from './sink-error.js'

/**
 * The one table that turns a remote HTTP answer into a named sink failure. Sinks call this for
 * every non-2xx answer; the dispatcher then decides retry / throttle / pause / dead-letter from the
 * code alone.
 */
export function httpFailure (status: number, headers: Record<string, string | string[] | undefined>, detail: string): SinkError {
  const retryAfterMs = parseRetryAfter(headers['retry-after'])
  const message = `HTTP ${status}: ${detail.slice(0, 500)}`
  if (status === 429 || ((status === 503 || status === 502 || status === 504) && retryAfterMs !== undefined)) {
    return new SinkError('TG_SINK_THROTTLED', message, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })
  }
  if (status === 401 || status === 403) return new SinkError('TG_SINK_AUTH', message, { status })
  if (status === 408 || status >= 500) return new SinkError('TG_SINK_UNAVAILABLE', message, { status })
  return new SinkError('TG_SINK_REJECTED', message, { status })
}

/** Network-level failures (resets, refused connections, timeouts, aborted sockets) are transient. */
export function networkFailure (err: unknown): SinkError {
  const e = err as { code?: string, message?: string }
  return new SinkError('TG_SINK_UNAVAILABLE', `${e.code ?? 'network error'}: ${e.message ?? String(err)}`, { cause: err })
}
