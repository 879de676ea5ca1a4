import type pg from 'pg'

/** A pool or one of its clients: what a query function needs. */
export interface Db {
  query<R extends pg.QueryResultRow = any> (q: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>
}

/**
 * A named prepared statement: parsed and planned once per connection, then only bound and run.
 * pg refuses one name with two texts: declare each once, at module level, with its one text.
 */
export function named (name: string, text: string): (...values: unknown[]) => pg.QueryConfig {
  return (...values) => ({ name, text, values })
}

/** Runs `fn` in one transaction on one connection: COMMIT when it returns, ROLLBACK when it throws. */
export async function withTransaction<T> (pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect()
  let broken: Error | undefined
  try {
    await c.query('BEGIN')
    const out = await fn(c)
    await c.query('COMMIT')
    return out
  } catch (err) {
    await c.query('ROLLBACK').catch((e: Error) => { broken = e })
    throw err
  } finally {
    // A connection that could not even roll back is not given to the next caller.
    c.release(broken)
  }
}

/** Advisory locks of ours that are not the migrations' (the two-key form is a keyspace of its own). */
const KEY_LOCKS = 0x7467

/**
 * Serialises the transactions that decide on one key (an idempotency key, a trial's index) until
 * they end, as SQLite's single writer does: the second one then sees what the first wrote. Two
 * keys hashing alike only queue behind each other.
 */
export async function lockKey (c: pg.PoolClient, key: string): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [KEY_LOCKS, key])
}
