/**
 * Sliding one-second windows per key, as W&B's published limits are per second: 2 file_stream
 * requests per run, 500 per project, 80 run creations per project (reference §6). The answer
 * carries the `RateLimit-*` headers on W&B's 0–1000 scale, with `Reset` in seconds.
 */
export class RateWindow {
  private readonly hits = new Map<string, number[]>()

  /** Counts a hit if under `limit`; returns the headers and whether it was allowed. */
  hit (key: string, limit: number, now: number): { allowed: boolean, remaining: number, resetSec: number } {
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - 1000)
    const allowed = list.length < limit
    if (allowed) list.push(now)
    this.hits.set(key, list)
    const oldest = list[0] ?? now
    return {
      allowed,
      remaining: Math.max(0, Math.floor((1000 * (limit - list.length)) / limit)),
      // Integer seconds like a real server: at least 1 while anything is counted.
      resetSec: list.length === 0 ? 0 : Math.max(1, Math.ceil((oldest + 1000 - now) / 1000))
    }
  }
}
