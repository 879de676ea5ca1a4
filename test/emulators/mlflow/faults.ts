/**
 * Scripted faults. A step is consumed by the first request it matches (optionally only one RPC,
 * e.g. 'runs/log-batch'); `after: true` applies the request to the store first and then fails
 * the answer — the "server committed, client never heard" case.
 */
export type Fault =
  | { kind: 'ok' }
  | { kind: 'delay', ms: number }
  | { kind: 'status', code: number, retryAfter?: string | number, errorCode?: string, message?: string }
  | { kind: 'reset' }
  | { kind: 'hold', hold: Hold }

export interface Step { fault: Fault, rpc?: string, after: boolean }

interface StepOpts { rpc?: string, after?: boolean }

const step = (fault: Fault, o: StepOpts = {}): Step => ({ fault, after: o.after ?? false, ...(o.rpc !== undefined ? { rpc: o.rpc } : {}) })

export const fault = {
  ok: (o?: StepOpts): Step => step({ kind: 'ok' }, o),
  delay: (ms: number, o?: StepOpts): Step => step({ kind: 'delay', ms }, o),
  status: (code: number, o: StepOpts & { retryAfter?: string | number, errorCode?: string, message?: string } = {}): Step =>
    step({
      kind: 'status',
      code,
      ...(o.retryAfter !== undefined ? { retryAfter: o.retryAfter } : {}),
      ...(o.errorCode !== undefined ? { errorCode: o.errorCode } : {}),
      ...(o.message !== undefined ? { message: o.message } : {})
    }, o),
  /** Destroy the socket without an answer. */
  reset: (o?: StepOpts): Step => step({ kind: 'reset' }, o)
}

/** A response held until the test says what happens to it. */
export interface Hold {
  /** Resolves when a request has reached the hold (and, with `after`, has been applied). */
  readonly reached: Promise<void>
  /** Send the response normally. */
  release (): void
  /** Destroy the socket instead of answering. */
  reset (): void
  /** @internal */ wait (): Promise<'release' | 'reset'>
  /** @internal */ arrive (): void
}

export function createHold (): Hold {
  let arrive!: () => void
  let decide!: (d: 'release' | 'reset') => void
  const reached = new Promise<void>(resolve => { arrive = resolve })
  const decided = new Promise<'release' | 'reset'>(resolve => { decide = resolve })
  return { reached, release: () => decide('release'), reset: () => decide('reset'), wait: async () => await decided, arrive: () => arrive() }
}

/** A fault for every request during a time window (an outage, a throttling period). */
export interface Window { until: number, fault: Fault, rpc?: string }

export const ERROR_CODE_FOR_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'RESOURCE_DOES_NOT_EXIST',
  429: 'REQUEST_LIMIT_EXCEEDED',
  500: 'INTERNAL_ERROR',
  502: 'TEMPORARILY_UNAVAILABLE',
  503: 'TEMPORARILY_UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED'
}
