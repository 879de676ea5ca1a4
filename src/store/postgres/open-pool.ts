import pg from 'pg'

export interface PgOptions {
  /** postgres://user:password@host:port/database (query parameters as pg takes them, e.g. `options`). */
  url: string
  /** Connections at most (default 10). */
  poolSize?: number
  /** How long a run's callback token keeps working after the run ended. */
  tokenGraceMs: number
  /** An idle connection failed (server restart, network): the pool drops it and the next query reconnects. */
  onPoolError?: (err: Error) => void
}

const INT8 = 20

/**
 * BIGINT columns hold ms timestamps, sequence numbers and byte offsets, all well inside 2^53: read
 * them as numbers (pg's default is a string). Per pool, not pg's global parser table, so another
 * pg user in the process keeps its own.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 && format !== 'binary') return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format)
  }) as pg.CustomTypesConfig['getTypeParser']
}

export function openPool (opts: PgOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    types,
    application_name: 'trackgate',
    connectionTimeoutMillis: 10_000
  })
  // Without a listener, an idle client's error (the server restarted) would crash the process.
  pool.on('error', err => { opts.onPoolError?.(err) })
  // The pool listens on idle clients only: one checked out (between the statements of a
  // transaction) whose connection drops emits 'error' too; its query fails and the caller retries.
  pool.on('connect', client => { client.on('error', err => { opts.onPoolError?.(err) }) })
  return pool
}

/** The URL as it may be shown: the password replaced (connection strings end up in messages). */
export function redactUrl (url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable connection string)'
  }
}
