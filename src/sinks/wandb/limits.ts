/**
 * Client-side shaping per (base URL, entity/project), from W&B's published Dedicated Cloud /
 * Self-Managed defaults (reference §6): 500 file_stream requests/s and 120 MB/s per project, 80
 * run creations/s per project, each over a sliding second. Shared by every sink instance in the process that targets the
 * same project, since the server counts them together. Nothing here sleeps: a caller that gets
 * no token defers its send and asks to be woken at the returned time.
 */
export interface ProjectLimits {
  requestsPerSec: number
  bytesPerSec: number
  createsPerSec: number
}

export const DEFAULT_PROJECT_LIMITS: ProjectLimits = { requestsPerSec: 500, bytesPerSec: 120e6, createsPerSec: 80 }

/**
 * What may be spent in any one-second window, exactly: W&B (and our emulator) count per second,
 * and a token bucket would let a burst plus its refill exceed that within one second.
 */
class Window {
  private readonly spent: Array<{ at: number, n: number }> = []
  private sum = 0
  constructor (private readonly perSec: number) {}

  /** Spends `n` and returns 0, or returns the ms until it could be spent. */
  take (n: number, now: number): number {
    while (this.spent.length > 0 && (this.spent[0] as { at: number }).at <= now - 1000) this.sum -= (this.spent.shift() as { n: number }).n
    // Something bigger than a whole second's allowance goes alone, once the window is empty.
    if (this.sum + n <= this.perSec || this.sum === 0) {
      this.spent.push({ at: now, n })
      this.sum += n
      return 0
    }
    let left = this.sum
    for (const e of this.spent) {
      left -= e.n
      if (left + n <= this.perSec || left === 0) return Math.max(1, e.at + 1000 - now)
    }
    return 1000
  }
}

export class ProjectLimiter {
  private readonly requests: Window
  private readonly bytes: Window
  private readonly creates: Window
  /** Set from `RateLimit-Remaining: 0` + `RateLimit-Reset` or a project-wide 429. */
  blockedUntil = 0

  constructor (limits: ProjectLimits) {
    this.requests = new Window(limits.requestsPerSec)
    this.bytes = new Window(limits.bytesPerSec)
    this.creates = new Window(limits.createsPerSec)
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
