import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { Type } from '@sinclair/typebox'

/** Which store: the embedded SQLite file (default) or PostgreSQL, shared by several replicas. */
export const StoreEnvSchema = {
  TRACKGATE_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  TRACKGATE_DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  TRACKGATE_LEASE_TTL_MS: Type.Integer({ minimum: 1000, maximum: 600000, default: 15000 }),
  TRACKGATE_REPLICA_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' }))
}

export interface StoreConfig {
  /** postgres://… (secret: its password never appears in logs or answers); undefined: SQLite. */
  databaseUrl: string | undefined
  poolSize: number
  /** A replica's partition and job leases last this long unless renewed (every third of it). */
  leaseTtlMs: number
  /** This replica's name in leases and /healthz: host, pid and a random part unless set. */
  replicaId: string
}

export function toStoreConfig (env: { TRACKGATE_DATABASE_URL?: string, TRACKGATE_DATABASE_POOL_SIZE: number, TRACKGATE_LEASE_TTL_MS: number, TRACKGATE_REPLICA_ID?: string }): StoreConfig {
  return {
    databaseUrl: env.TRACKGATE_DATABASE_URL,
    poolSize: env.TRACKGATE_DATABASE_POOL_SIZE,
    leaseTtlMs: env.TRACKGATE_LEASE_TTL_MS,
    replicaId: env.TRACKGATE_REPLICA_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  }
}
