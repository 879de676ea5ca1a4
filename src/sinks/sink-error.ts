/**
 * Named sink failures. Retry is data: `classifyFailure` maps one of these (or any thrown error)
 * to a retry class, in one table.
 */
export type SinkErrorCode =
  | 'TG_SINK_THROTTLED' // 429 or 503 with Retry-After: wait at least retryAfterMs
  | 'TG_SINK_UNAVAILABLE' // connection error, timeout, 5xx: retry with back-off
  | 'TG_SINK_REJECTED' // the remote refused these records for good: bisect, dead-letter
  | 'TG_SINK_AUTH' // 401/403: pause the sink until an operator acts
  | 'TG_SINK_GONE' // the remote object (run) was deleted: pause with a clear state

export class SinkError extends Error {
  readonly code: SinkErrorCode
  readonly status: number | undefined
  readonly retryAfterMs: number | undefined

  constructor (code: SinkErrorCode, message: string, opts: { status?: number, retryAfterMs?: number, cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'SinkError'
    this.code = code
    this.status = opts.status
    this.retryAfterMs = opts.retryAfterMs
  }
}
