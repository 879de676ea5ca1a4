import { encodeFileStreamBody, encodeSummary, type FileStreamBody } from './encode.js'
import type { RemoteRun, WandbState } from './state.js'

/** One planned file_stream request and what its acknowledgement settles. */
export interface StreamRequest {
  body: string
  /** History lines it carries (pending[0..lines)). */
  lines: number
  summary: boolean
  complete: boolean
}

export function fileStreamPath (remote: RemoteRun): string {
  return `/files/${encodeURIComponent(remote.entity)}/${encodeURIComponent(remote.project)}/${encodeURIComponent(remote.name)}/file_stream`
}

/**
 * The next request for a run: queued rows from the lowest unacknowledged offset, merged up to the
 * run's byte cap (the first line always goes, as in Go); the summary with the chunk that empties
 * the queue; `complete` alone once every row and the summary are acknowledged; else a heartbeat.
 * Offsets come only from the state, so the same state always yields the same lines.
 */
export function planRequest (s: WandbState, runStartMs: number): StreamRequest {
  const summaryLine = s.summaryDirty && s.summaryAt !== null ? encodeSummary(s.summary, s.summaryAt, runStartMs) : null
  if (s.pending.length > 0) {
    let bytes = 0
    let n = 0
    while (n < s.pending.length) {
      const size = (s.pending[n] as string).length + 8
      if (n > 0 && bytes + size > s.chunkBytes) break
      bytes += size
      n++
    }
    const summary = n === s.pending.length && summaryLine !== null
    const body: FileStreamBody = { history: { offset: s.acked, lines: s.pending.slice(0, n) } }
    if (summary) body.summary = summaryLine as string
    return { body: encodeFileStreamBody(body), lines: n, summary, complete: false }
  }
  if (summaryLine !== null) {
    return { body: encodeFileStreamBody({ summary: summaryLine }), lines: 0, summary: true, complete: false }
  }
  if (s.exit !== null && !s.completed) {
    return { body: encodeFileStreamBody({ complete: { exitcode: s.exit } }), lines: 0, summary: false, complete: true }
  }
  // Any request keeps the run from being swept to "crashed"; Go sends `{}` (reference §3.8).
  return { body: '{}', lines: 0, summary: false, complete: false }
}

/** Settles an acknowledged request in the state. */
export function acknowledge (s: WandbState, req: StreamRequest, at: number): void {
  s.pending.splice(0, req.lines)
  s.acked += req.lines
  if (req.summary) s.summaryDirty = false
  if (req.complete) s.completed = true
  s.lastSendAt = at
}

/** True when something other than a heartbeat is waiting to go out. */
export function hasStreamWork (s: WandbState): boolean {
  return s.pending.length > 0 || (s.summaryDirty && s.summaryAt !== null) || (s.exit !== null && !s.completed)
}
