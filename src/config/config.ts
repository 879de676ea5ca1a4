import { envSchema } from 'env-schema'
import { Type, type Static } from '@sinclair/typebox'
import { SinksEnvSchema, toSinksConfig, type SinksConfig } from './sinks-config.js'
import { LaunchEnvSchema, toLaunchConfig, type LaunchConfig } from './launch-config.js'
import { StoreEnvSchema, toStoreConfig, type StoreConfig } from './store-config.js'

/**
 * Every setting the gateway reads, validated once at start. Names and defaults are documented in
 * the README; a bad value stops the process with a message naming the variable.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(l => Type.Literal(l)), { default: 'info' }),
  TRACKGATE_DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  TRACKGATE_TENSORBOARD_DIR: Type.Optional(Type.String({ minLength: 1 })),
  TRACKGATE_ADMIN_KEY: Type.Optional(Type.String({ minLength: 32, maxLength: 256 })),
  TRACKGATE_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  TRACKGATE_SQLITE_SYNCHRONOUS: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], { default: 'FULL' }),
  TRACKGATE_DEFAULT_SINKS: Type.String({ pattern: '^[a-z]+(,[a-z]+)*$|^$', default: 'tensorboard' }),
  TRACKGATE_TOKEN_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 7 * 86400, default: 3600 }),
  TRACKGATE_MAX_BODY_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 4 * 1024 * 1024 }),
  TRACKGATE_MAX_METRICS_PER_BATCH: Type.Integer({ minimum: 1, maximum: 100000, default: 10000 }),
  TRACKGATE_BACKLOG_HIGH_WATER: Type.Integer({ minimum: 1, default: 200000 }),
  TRACKGATE_STORE_HIGH_WATER_BYTES: Type.Integer({ minimum: 1, default: 20 * 1024 * 1024 * 1024 }),
  TRACKGATE_RETRY_INITIAL_MS: Type.Integer({ minimum: 1, default: 1000 }),
  TRACKGATE_RETRY_MAX_MS: Type.Integer({ minimum: 1, default: 60000 }),
  TRACKGATE_SINK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 1024, default: 16 }),
  TRACKGATE_DISPATCH_LINGER_MS: Type.Integer({ minimum: 0, maximum: 60000, default: 200 }),
  TRACKGATE_SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 600000, default: 10000 }),
  TRACKGATE_TB_FSYNC: Type.Boolean({ default: true }),
  ...StoreEnvSchema,
  ...LaunchEnvSchema,
  ...SinksEnvSchema
})

export type EnvConfig = Static<typeof ConfigSchema>

export interface Config {
  port: number
  host: string
  logLevel: string
  dataDir: string
  tensorboardDir: string
  adminKey: string | undefined
  publicUrl: string | undefined
  sqliteSynchronous: 'FULL' | 'NORMAL'
  defaultSinks: string[]
  tokenGraceMs: number
  maxBodyBytes: number
  maxMetricsPerBatch: number
  backlogHighWater: number
  storeHighWaterBytes: number
  retryInitialMs: number
  retryMaxMs: number
  sinkConcurrency: number
  dispatchLingerMs: number
  shutdownGraceMs: number
  tensorboardFsync: boolean
  sinks: SinksConfig
  /** Interval of the dispatcher's full scan for due retries, ms (tests shorten it). */
  dispatchScanMs: number
  /** Launchers, tracker and the EventBridge webhook (launch-config.ts). */
  launch: LaunchConfig
  /** SQLite or PostgreSQL, leases (store-config.ts). */
  store: StoreConfig
}

export function toConfig (env: EnvConfig): Config {
  const dataDir = env.TRACKGATE_DATA_DIR
  return {
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    dataDir,
    tensorboardDir: env.TRACKGATE_TENSORBOARD_DIR ?? `${dataDir}/tensorboard`,
    adminKey: env.TRACKGATE_ADMIN_KEY,
    publicUrl: env.TRACKGATE_PUBLIC_URL,
    sqliteSynchronous: env.TRACKGATE_SQLITE_SYNCHRONOUS,
    defaultSinks: env.TRACKGATE_DEFAULT_SINKS === '' ? [] : env.TRACKGATE_DEFAULT_SINKS.split(','),
    tokenGraceMs: env.TRACKGATE_TOKEN_GRACE_SECONDS * 1000,
    maxBodyBytes: env.TRACKGATE_MAX_BODY_BYTES,
    maxMetricsPerBatch: env.TRACKGATE_MAX_METRICS_PER_BATCH,
    backlogHighWater: env.TRACKGATE_BACKLOG_HIGH_WATER,
    storeHighWaterBytes: env.TRACKGATE_STORE_HIGH_WATER_BYTES,
    retryInitialMs: env.TRACKGATE_RETRY_INITIAL_MS,
    retryMaxMs: env.TRACKGATE_RETRY_MAX_MS,
    sinkConcurrency: env.TRACKGATE_SINK_CONCURRENCY,
    dispatchLingerMs: env.TRACKGATE_DISPATCH_LINGER_MS,
    shutdownGraceMs: env.TRACKGATE_SHUTDOWN_GRACE_MS,
    tensorboardFsync: env.TRACKGATE_TB_FSYNC,
    dispatchScanMs: 1000,
    launch: toLaunchConfig(env),
    store: toStoreConfig(env),
    sinks: toSinksConfig(env)
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Validate `env` (process.env by default); throws ConfigError with a one-line message naming the variable. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  try {
    const parsed = envSchema<EnvConfig>({ schema: ConfigSchema, data: env, dotenv: false })
    return toConfig(parsed)
  } catch (err) {
    const msg = (err as Error).message.replace(/\s+/g, ' ')
    throw new ConfigError(`invalid configuration: ${msg}`)
  }
}
