import type pg from 'pg'
import type { Lease, LeaseStore } from '../lease-store.js'
import { LeaseLostError } from '../lease-store.js'
import { named, type Db } from './pg-transaction.js'

interface LeaseRow { name: string, owner: string, token: number, until: number }
const toLease = (r: LeaseRow): Lease => ({ name: r.name, owner: r.owner, token: Number(r.token), until: Number(r.until) })

/** Expiry is judged by the database's clock, the one clock every replica shares (`now` arguments are not used). */
const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint'

// A free name is inserted with token 1; an expired lease (or our own) is taken over, a new holder
// getting token + 1. One statement, so two replicas racing for one name get one winner.
const acquire = named('lease_acquire', `INSERT INTO leases (name, owner, token, until) VALUES ($1, $2, 1, ${NOW} + $3)
  ON CONFLICT (name) DO UPDATE SET
    token = CASE WHEN leases.owner = excluded.owner AND leases.until > ${NOW} THEN leases.token ELSE leases.token + 1 END,
    owner = excluded.owner, until = excluded.until
  WHERE leases.owner = excluded.owner OR leases.until <= ${NOW}
  RETURNING name, owner, token, until`)
const renew = named('lease_renew', `UPDATE leases SET until = ${NOW} + $4 WHERE name = $1 AND owner = $2 AND token = $3 AND until > ${NOW}
  RETURNING name, owner, token, until`)
const held = named('lease_held', `SELECT name, owner, token, until FROM leases WHERE owner = $1 AND until > ${NOW} ORDER BY name`)
const check = named('lease_check', `SELECT 1 FROM leases WHERE name = $1 AND owner = $2 AND token = $3 AND until > ${NOW} FOR SHARE`)

export class PgLeases implements LeaseStore {
  constructor (private readonly pool: pg.Pool) {}

  async acquireLease (name: string, owner: string, ttlMs: number): Promise<Lease | null> {
    const r = await this.pool.query<LeaseRow>(acquire(name, owner, ttlMs))
    return r.rows[0] === undefined ? null : toLease(r.rows[0])
  }

  async renewLease (lease: Lease, ttlMs: number): Promise<Lease | null> {
    const r = await this.pool.query<LeaseRow>(renew(lease.name, lease.owner, lease.token, ttlMs))
    return r.rows[0] === undefined ? null : toLease(r.rows[0])
  }

  async releaseLease (lease: Lease): Promise<void> {
    // Expire it rather than delete it: the token must keep growing for the next holder.
    await this.pool.query('UPDATE leases SET until = 0 WHERE name = $1 AND owner = $2 AND token = $3', [lease.name, lease.owner, lease.token])
  }

  async leasesHeld (owner: string): Promise<Lease[]> {
    return (await this.pool.query<LeaseRow>(held(owner))).rows.map(toLease)
  }
}

/**
 * The fence of a write made under `lease`, inside that write's transaction: the lease row is
 * share-locked, so a takeover (an UPDATE of that row) waits until this transaction ends, and a
 * lease already taken over or expired refuses the write.
 */
export async function fence (db: Db, lease: Lease | undefined): Promise<void> {
  if (lease === undefined) return
  const r = await db.query(check(lease.name, lease.owner, lease.token))
  if (r.rowCount === 0) throw new LeaseLostError(lease)
}
