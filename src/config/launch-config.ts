import { Type, type Static } from '@sinclair/typebox'
import { loadPriceTable, type PriceTable } from '../launch/sagemaker/costs.js'

/**
 * Settings of the launch side (local and SageMaker backends, the tracker, the EventBridge
 * webhook). Spread into `ConfigSchema`; `TRACKGATE_PUBLIC_URL` lives there already and is reused.
 * AWS credentials and `AWS_ENDPOINT_URL_SAGEMAKER` are read by the AWS SDK itself.
 */
export const LaunchEnvSchema = {
  TRACKGATE_DEFAULT_BACKEND: Type.Union([Type.Literal('local'), Type.Literal('sagemaker')], { default: 'local' }),
  TRACKGATE_SAGEMAKER_ROLE_ARN: Type.Optional(Type.String({ pattern: '^arn:aws[a-z\\-]*:iam::\\d{12}:role/\\S+$' })),
  AWS_REGION: Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$', default: 'us-east-1' }),
  TRACKGATE_EVENTS_SECRET: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
  TRACKGATE_PRICE_TABLE: Type.Optional(Type.String()),
  TRACKGATE_LOCAL_TRAINER: Type.Optional(Type.String({ minLength: 1 })),
  TRACKGATE_LOCAL_STOP_GRACE_MS: Type.Integer({ minimum: 0, maximum: 600000, default: 10000 }),
  TRACKGATE_SAGEMAKER_POLL_MIN_MS: Type.Integer({ minimum: 10, default: 30000 }),
  TRACKGATE_SAGEMAKER_POLL_MAX_MS: Type.Integer({ minimum: 10, default: 300000 }),
  TRACKGATE_SAGEMAKER_POLL_WITH_EVENTS_MS: Type.Integer({ minimum: 10, default: 900000 }),
  TRACKGATE_SAGEMAKER_DESCRIBE_RPS: Type.Number({ exclusiveMinimum: 0, maximum: 1000, default: 5 })
}

type LaunchEnv = Static<ReturnType<typeof Type.Object<typeof LaunchEnvSchema>>>

export interface LaunchConfig {
  defaultBackend: 'local' | 'sagemaker'
  sagemakerRoleArn: string | undefined
  region: string
  eventsSecret: string | undefined
  priceTable: PriceTable
  /** argv of the local trainer; the default is the stdlib simulator, resolved from the repository. */
  localTrainer: string[] | undefined
  localStopGraceMs: number
  /** Tracker: interval after a change, ceiling while nothing changes, ceiling while EventBridge delivers. */
  pollMinMs: number
  pollMaxMs: number
  pollWithEventsMs: number
  /** Global DescribeTrainingJob budget of this gateway (requests/s), halved on throttling. */
  describePerSecond: number
  /** How often an SSE or log stream looks for new run-log entries / log bytes (ms). */
  streamPollMs: number
}

/** Splits a command line on spaces, honouring simple single or double quotes. */
export function splitCommand (line: string): string[] {
  const out: string[] = []
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '')
  return out
}

export function toLaunchConfig (env: LaunchEnv): LaunchConfig {
  const min = env.TRACKGATE_SAGEMAKER_POLL_MIN_MS
  if (env.TRACKGATE_SAGEMAKER_POLL_MAX_MS < min) throw new Error(`TRACKGATE_SAGEMAKER_POLL_MAX_MS must be ≥ TRACKGATE_SAGEMAKER_POLL_MIN_MS (${min})`)
  let priceTable: PriceTable
  try {
    priceTable = loadPriceTable(env.TRACKGATE_PRICE_TABLE)
  } catch (err) {
    throw new Error(`TRACKGATE_PRICE_TABLE: ${(err as Error).message}`)
  }
  const trainer = env.TRACKGATE_LOCAL_TRAINER === undefined ? undefined : splitCommand(env.TRACKGATE_LOCAL_TRAINER)
  return {
    defaultBackend: env.TRACKGATE_DEFAULT_BACKEND,
    sagemakerRoleArn: env.TRACKGATE_SAGEMAKER_ROLE_ARN,
    region: env.AWS_REGION,
    eventsSecret: env.TRACKGATE_EVENTS_SECRET,
    priceTable,
    localTrainer: trainer?.length === 0 ? undefined : trainer,
    localStopGraceMs: env.TRACKGATE_LOCAL_STOP_GRACE_MS,
    pollMinMs: min,
    pollMaxMs: env.TRACKGATE_SAGEMAKER_POLL_MAX_MS,
    pollWithEventsMs: Math.max(env.TRACKGATE_SAGEMAKER_POLL_WITH_EVENTS_MS, env.TRACKGATE_SAGEMAKER_POLL_MAX_MS),
    describePerSecond: env.TRACKGATE_SAGEMAKER_DESCRIBE_RPS,
    streamPollMs: 1000
  }
}
