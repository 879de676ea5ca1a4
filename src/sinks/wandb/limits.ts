/**
 * Client-side shaping per (base URL, entity/project), from W&B's published Dedicated Cloud /
 * Self-Managed defaults (reference §6): 500 file_stream requests/s and 120 MB/s per project, 80
 * run creations/s per project. Shared by every sink instance in the process that targets the
 * same project, since the server counts them together. Nothing here sleeps: a caller that gets
 * no token defers its send and asks to be woken at the returned time.
 */
export interface ProjectLimits {
  requestsPerSec: number
  bytesPerSec: number
  createsPerSec: number
}

export const DEFAULT_PROJECT_LIMITS: ProjectLimits = { requestsPerSec: 500, bytesPerSec: 120e6, createsPerSec: 80 }

/** A token bucket holding one second's worth of tokens. */
class Bucket {
  private tokens: number
  private at: number
  constructor (private readonly perSec: number, now: number) {
    this.tokens = perSec
    this.at = now
  }

  /** Takes `n` tokens and returns 0, or returns the ms until they would be there. */
  take (n: number, now: number): number {
    this.tokens = Math.min(this.perSec, this.tokens + ((now - this.at) / 1000) * this.perSec)
    this.at = now
    // A request bigger than the bucket may go once the bucket is full, then drives it negative.
    const need = Math.min(n, this.perSec)
    if (this.tokens >= need) {
      this.tokens -= n
      return 0
    }
    return Math.ceil(((need - this.tokens) / this.perSec) * 1000)
  }
}

export class ProjectLimiter {
  private readonly requests: Bucket
  private readonly bytes: Bucket
  private readonly creates: Bucket
  /** Set from `RateLimit-Remaining: 0` + `RateLimit-Reset` or a project-wide 429. */
  blockedUntil = 0

  constructor (limits: ProjectLimits, now: number) {
    this.requests = new Bucket(limits.requestsPerSec, now)
    this.bytes = new Bucket(limits.bytesPerSec, now)
    this.creates = new Bucket(limits.createsPerSec, now)
  }

  /** 0 when a file_stream request of `bytes` may go now, else the ms to wait. */
  request (bytes: number, now: number): number {
    if (this.blockedUntil > now) return this.blockedUntil - now
    const wait = this.requests.take(1, now)
    if (wait > 0) return wait
    return this.bytes.take(bytes, now)
  }

  create (now: number): number {
    if (this.blockedUntil > now) return this.blockedUntil - now
    return this.creates.take(1, now)
  }
}

const limiters = new Map<string, ProjectLimiter>()

export function projectLimiter (baseUrl: string, entity: string, project: string, limits: ProjectLimits, now: number): ProjectLimiter {
  const key = `${baseUrl}\n${entity}\n${project}`
  let limiter = limiters.get(key)
  if (limiter === undefined) {
    limiter = new ProjectLimiter(limits, now)
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
