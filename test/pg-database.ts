import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { userInfo } from 'node:os'
import type { Test } from 'tap'
import { redactUrl } from '../src/store/postgres/open-pool.js'

/**
 * A fresh PostgreSQL database per test file, dropped when the file's tests end. The server is
 * TRACKGATE_TEST_PG_URL, else the local one (127.0.0.1:5432, trust auth) as the OS user or
 * `postgres`. Cases inside the file each get a fresh schema of that database (`schemaUrl`): cheap,
 * and as empty as a new database for the store, whose statements all go through `search_path`.
 */

export interface PgTestDatabase {
  /** The database's URL (its `public` schema). */
  url: string
  name: string
  /** A new, empty schema of the database: a URL whose connections use it, dropped with the database. */
  schemaUrl (): Promise<string>
  /** A query on the database as its owner (for checks the store does not offer). */
  query<R extends pg.QueryResultRow = any> (text: string, values?: unknown[]): Promise<R[]>
}

const DEFAULT_SERVER = 'postgres://127.0.0.1:5432/postgres'

function candidates (): string[] {
  const env = process.env.TRACKGATE_TEST_PG_URL
  if (env !== undefined && env !== '') return [env]
  return [...new Set([userInfo().username, 'postgres'])].map(u => `postgres://${encodeURIComponent(u)}@127.0.0.1:5432/postgres`)
}

async function answers (url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  c.on('error', () => {})
  try {
    await c.connect()
    await c.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await c.end().catch(() => {})
  }
}

/** The first candidate server URL that answers, or undefined. */
async function findServer (): Promise<string | undefined> {
  for (const url of candidates()) if (await answers(url)) return url
  return undefined
}

function withPath (url: string, database: string, params: Record<string, string> = {}): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
  return u.toString()
}

/**
 * Creates the file's database, or — no server answering — skips with one line, except where CI
 * must not skip silently (CI=true or TRACKGATE_REQUIRE_PG=1): then the test fails. Undefined when
 * there is nothing to run against.
 */
export async function pgTestDatabase (t: Test): Promise<PgTestDatabase | undefined> {
  const server = await findServer()
  if (server === undefined) {
    const shown = process.env.TRACKGATE_TEST_PG_URL !== undefined && process.env.TRACKGATE_TEST_PG_URL !== ''
      ? redactUrl(process.env.TRACKGATE_TEST_PG_URL)
      : DEFAULT_SERVER
    const line = `postgres: skipped (no server at ${shown})`
    if (process.env.CI === 'true' || process.env.TRACKGATE_REQUIRE_PG === '1') {
      t.fail(`postgres: required (CI=true or TRACKGATE_REQUIRE_PG=1) but no server at ${shown}; run scripts/ensure-postgres.sh`)
    } else {
      t.skip(line, () => {})
    }
    return undefined
  }
  const name = `tg_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Pool({ connectionString: server, max: 2 })
  admin.on('error', () => {})
  await admin.query(`CREATE DATABASE ${name}`)
  const url = withPath(server, name)
  const owner = new pg.Pool({ connectionString: url, max: 2 })
  owner.on('error', () => {})
  t.teardown(async () => {
    await owner.end()
    // FORCE: a store a failed test left open does not keep the database alive.
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  })
  let schemas = 0
  return {
    url,
    name,
    async schemaUrl () {
      const schema = `case_${++schemas}`
      await owner.query(`CREATE SCHEMA ${schema}`)
      return withPath(server, name, { options: `-c search_path=${schema}` })
    },
    async query (text, values) {
      return (await owner.query(text, values)).rows
    }
  }
}
