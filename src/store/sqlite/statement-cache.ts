import type Database from 'better-sqlite3'

export type Stmt = (sql: string) => Database.Statement

/** Prepared statements compiled once per connection and reused (prepare costs more than most of our queries). */
export function statementCache (db: Database.Database): Stmt {
  const statements = new Map<string, Database.Statement>()
  return (sql) => {
    let s = statements.get(sql)
    if (s === undefined) { s = db.prepare(sql); statements.set(sql, s) }
    return s
  }
}
