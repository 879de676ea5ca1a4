/**
 * What a store failure means for the caller, whichever backend threw it: `full` (nothing was
 * stored, and retrying soon will not help: 507), `busy` (nothing was stored, a retry will do:
 * 503 + Retry-After), or undefined (a bug: 500).
 */
export type StoreFailure = 'full' | 'busy'

const PG_BUSY = new Set(['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03', '53300'])
const NET_BUSY = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'])

export function storeFailure (err: unknown): StoreFailure | undefined {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    if (code === 'SQLITE_FULL' || code === '53100' || code === 'TG_STORE_FULL') return 'full'
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'TG_STORE_BUSY') return 'busy'
    if (PG_BUSY.has(code) || code.startsWith('08') || NET_BUSY.has(code)) return 'busy'
  }
  // pg's pool: no connection free within connectionTimeoutMillis, or the server went away.
  const message = (err as Error | null)?.message ?? ''
  if (/timeout exceeded when trying to connect|Connection terminated/i.test(message)) return 'busy'
  return undefined
}
