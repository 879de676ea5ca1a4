/**
 * Scripted faults, consumed in order by the requests they match (undici `test/retry-agent.js`
 * style), plus time-window outages and a hold hook for crash tests.
 */
export type Route = 'graphql' | 'file_stream'

export interface Match {
  route?: Route
  /** W&B run name (file_stream) — or, for GraphQL, the `name` variable. */
  run?: string
  /** GraphQL operation name, e.g. 'UpsertBucket'. */
  op?: string
}

export type Fault =
  | { kind: 'status', status: number, retryAfter?: string, rateLimit?: { limit: number, remaining: number, reset: number }, body?: string }
  | { kind: 'reset' }
  | { kind: 'delay', ms: number }
  | { kind: 'ok' }

export type Step = Fault & Match

export const fault = {
  status: (status: number, opts: Omit<Extract<Fault, { kind: 'status' }>, 'kind' | 'status'> & Match = {}): Step => ({ kind: 'status', status, ...opts }),
  /** 429 with Retry-After (seconds) and the RateLimit-* headers W&B sends (0–1000 scale). */
  throttle: (retryAfterSec: number, match: Match = {}): Step => ({ kind: 'status', status: 429, retryAfter: String(retryAfterSec), rateLimit: { limit: 1000, remaining: 0, reset: retryAfterSec }, body: '{"error":"rate limit exceeded"}', ...match }),
  reset: (match: Match = {}): Step => ({ kind: 'reset', ...match }),
  delay: (ms: number, match: Match = {}): Step => ({ kind: 'delay', ms, ...match }),
  ok: (match: Match = {}): Step => ({ kind: 'ok', ...match })
}

export interface Outage { from: number, until: number, fault: Fault, match: Match }

export interface RequestInfo { route: Route, run: string | undefined, op: string | undefined }

export function matches (m: Match, req: RequestInfo): boolean {
  return (m.route === undefined || m.route === req.route) &&
    (m.run === undefined || m.run === req.run) &&
    (m.op === undefined || m.op === req.op)
}

/** A request the emulator applied but has not answered yet. */
export interface Held {
  /** Resolves once a matching request was applied to the model. */
  arrived: Promise<RequestInfo & { body: unknown }>
  /** Send the held answer. */
  release (): void
  /** Destroy the connection instead: the client never learns that the server accepted. */
  drop (): void
}

export class FaultPlan {
  private readonly queue: Step[] = []
  private readonly outages: Outage[] = []
  readonly holds: Array<{ match: Match, arrive: (info: RequestInfo & { body: unknown }) => void, gate: Promise<'release' | 'drop'> }> = []

  script (...steps: Step[]): void {
    this.queue.push(...steps)
  }

  outage (ms: number, f: Fault = { kind: 'status', status: 503 }, match: Match = {}, now = Date.now()): void {
    this.outages.push({ from: now, until: now + ms, fault: f, match })
  }

  /** The fault for this request, if any: scripted steps first, then an active outage. */
  next (req: RequestInfo, now: number): Fault | undefined {
    const i = this.queue.findIndex((s) => matches(s, req))
    if (i >= 0) return this.queue.splice(i, 1)[0]
    return this.outages.find((o) => o.from <= now && now < o.until && matches(o.match, req))?.fault
  }

  pending (): number {
    return this.queue.length
  }

  hold (match: Match): Held {
    let arrive!: (info: RequestInfo & { body: unknown }) => void
    let settle!: (how: 'release' | 'drop') => void
    const arrived = new Promise<RequestInfo & { body: unknown }>((resolve) => { arrive = resolve })
    const gate = new Promise<'release' | 'drop'>((resolve) => { settle = resolve })
    this.holds.push({ match, arrive, gate })
    return { arrived, release: () => settle('release'), drop: () => settle('drop') }
  }

  /** Takes the first hold matching this request (after it was applied), if any. */
  takeHold (req: RequestInfo, body: unknown): Promise<'release' | 'drop'> | undefined {
    const i = this.holds.findIndex((h) => matches(h.match, req))
    if (i < 0) return undefined
    const [h] = this.holds.splice(i, 1)
    h?.arrive({ ...req, body })
    return h?.gate
  }
}
