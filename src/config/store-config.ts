import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'

/** Which store: the embedded SQLite file (default) or PostgreSQL, shared by several replicas. */
export const StoreEnvSchema = {
  TRACKGATE_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  TRACKGATE_DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  TRACKGATE_LEASE_TTL_MS: Type.Integer({ minimum: 1000, maximum: 600000, default: 15000 }),
  TRACKGATE_REPLICA_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,100}$' })),
  TRACKGATE_SECRET_KEY: Type.Optional(Type.String({ minLength: 32, maxLength: 128 })),
  TRACKGATE_SECRET_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TRACKGATE_SECRET_KEY_PREVIOUS: Type.Optional(Type.String({ minLength: 32, maxLength: 128 }))
}

export interface StoreConfig {
  /** postgres://… (secret: its password never appears in logs or answers); undefined: SQLite. */
  databaseUrl: string | undefined
  poolSize: number
  /** A replica's partition and job leases last this long unless renewed (every third of it). */
  leaseTtlMs: number
  /** This replica's name in leases and /healthz: host, pid and a random part unless set. */
  replicaId: string
  /** Seals sink secrets at rest (secrets/secret-key.ts): a value, a file, or `<dataDir>/secret.key`. */
  secretKey: string | undefined
  secretKeyFile: string | undefined
  /** The key before a rotation: opens what it sealed, which the start seals again with the current one. */
  previousSecretKey: string | undefined
}

type StoreEnv = Static<ReturnType<typeof Type.Object<typeof StoreEnvSchema>>>

export function toStoreConfig (env: StoreEnv): StoreConfig {
  return {
    databaseUrl: env.TRACKGATE_DATABASE_URL,
    poolSize: env.TRACKGATE_DATABASE_POOL_SIZE,
    leaseTtlMs: env.TRACKGATE_LEASE_TTL_MS,
    replicaId: env.TRACKGATE_REPLICA_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    secretKey: env.TRACKGATE_SECRET_KEY,
    secretKeyFile: env.TRACKGATE_SECRET_KEY_FILE,
    previousSecretKey: env.TRACKGATE_SECRET_KEY_PREVIOUS
  }
}
