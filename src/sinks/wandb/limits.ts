/**
 * Client-side shaping per (base URL, entity/project), from W&B's published Dedicated Cloud /
 * Self-Managed defaults (reference §6): 500 file_stream requests/s and 120 MB/s per project, 80
 * run creations/s per project, aimed at 90 % of each to leave room for arrival jitter. Shared by every sink instance in the process that targets the
 * same project, since the server counts them together. Nothing here sleeps: a caller that gets
 * no token defers its send and asks to be woken at the returned time.
 */
export interface ProjectLimits {
  requestsPerSec: number
  bytesPerSec: number
  createsPerSec: number
}

export const DEFAULT_PROJECT_LIMITS: ProjectLimits = { requestsPerSec: 450, bytesPerSec: 108e6, createsPerSec: 72 }

/**
 * An even pace (GCRA without burst): each spend of `n` moves the earliest next spend by
 * `n / perSec` seconds. W&B and our emulator count per sliding second, and a bucket's burst plus
 * its refill can exceed that within one second; arrival jitter then turns a full burst into 429s.
 * A caller that must wait gets a reserved slot, so hundreds of waiting runs wake one after
 * another instead of all polling for the same next slot.
 */
class Pace {
  private next = 0
  private readonly reserved = new Map<string, number>()
  constructor (private readonly perSec: number) {}

  /** Spends `n` for `who` and returns 0, or returns the ms until its reserved slot. */
  take (who: string, n: number, now: number): number {
    const slot = this.reserved.get(who)
    if (slot !== undefined) {
      if (slot > now) return Math.ceil(slot - now)
      this.reserved.delete(who)
      return 0
    }
    const cost = (n * 1000) / this.perSec
    if (this.next <= now) {
      this.next = now + cost
      return 0
    }
    this.reserved.set(who, this.next)
    this.next += cost
    return Math.ceil(this.next - cost - now)
  }

  forget (who: string): void {
    this.reserved.delete(who)
  }
}

export class ProjectLimiter {
  private readonly requests: Pace
  private readonly bytes: Pace
  private readonly creates: Pace
  /** Set from a project-wide `RateLimit-Remaining: 0` + `RateLimit-Reset`. */
  blockedUntil = 0

  constructor (limits: ProjectLimits) {
    this.requests = new Pace(limits.requestsPerSec)
    this.bytes = new Pace(limits.bytesPerSec)
    this.creates = new Pace(limits.createsPerSec)
  }

  /** 0 when run `who` may send a file_stream request of `bytes` now, else the ms to wait. */
  request (who: string, bytes: number, now: number): number {
    if (this.blockedUntil > now) return this.blockedUntil - now
    return this.requests.take(who, 1, now) || this.bytes.take(who, bytes, now)
  }

  create (who: string, now: number): number {
    if (this.blockedUntil > now) return this.blockedUntil - now
    return this.creates.take(who, 1, now)
  }

  /** Drops the reservations of a run that is done. */
  forget (who: string): void {
    this.requests.forget(who)
    this.bytes.forget(who)
    this.creates.forget(who)
  }
}

const limiters = new Map<string, ProjectLimiter>()

export function projectLimiter (baseUrl: string, entity: string, project: string, limits: ProjectLimits): ProjectLimiter {
  const key = `${baseUrl}\n${entity}\n${project}`
  let limiter = limiters.get(key)
  if (limiter === undefined) {
    limiter = new ProjectLimiter(limits)
    limiters.set(key, limiter)
  }
  return limiter
}

/**
 * W&B's `RateLimit-*` headers (0–1000 scale, reset in seconds, reference §6): when nothing
 * remains, wait `Reset` seconds. Returns the ms to wait, or 0.
 */
export function rateLimitWaitMs (headers: Record<string, string | string[] | undefined>): number {
  const one = (name: string): number => {
    const raw = headers[name]
    return Number(Array.isArray(raw) ? raw[0] : raw)
  }
  const remaining = one('ratelimit-remaining')
  const reset = one('ratelimit-reset')
  if (Number.isFinite(remaining) && remaining <= 0 && Number.isFinite(reset) && reset > 0) return reset * 1000
  return 0
}
