import { Type, type Static } from '@sinclair/typebox'
import type { MlflowTarget, WandbTarget } from '../sinks/targets.js'

/**
 * Gateway-wide sink targets, from the variables MLflow and W&B users already know. A project may
 * override either through `PUT /v1/projects/{id}/targets/{sink}`.
 */
export const SinksEnvSchema = {
  MLFLOW_TRACKING_URI: Type.Optional(Type.String({ pattern: '^(https?://|arn:aws[a-z-]*:sagemaker:)' })),
  MLFLOW_TRACKING_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  MLFLOW_TRACKING_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  MLFLOW_TRACKING_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  TRACKGATE_MLFLOW_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600000, default: 120000 }),
  WANDB_BASE_URL: Type.String({ pattern: '^https?://', default: 'https://api.wandb.ai' }),
  WANDB_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  WANDB_ENTITY: Type.Optional(Type.String({ minLength: 1 })),
  WANDB_PROJECT: Type.Optional(Type.String({ minLength: 1 })),
  TRACKGATE_WANDB_ROW_IDLE_MS: Type.Integer({ minimum: 10, maximum: 3600000, default: 5000 })
}

type SinksEnv = ReturnType<typeof Type.Object<typeof SinksEnvSchema>>

export interface SinksConfig {
  /** Gateway-wide MLflow target, when MLFLOW_TRACKING_URI is set. */
  mlflow: MlflowTarget | undefined
  mlflowTimeoutMs: number
  /** Gateway-wide W&B target, when WANDB_API_KEY and WANDB_PROJECT are set. */
  wandb: WandbTarget | undefined
  wandbDefaultBaseUrl: string
  wandbRowIdleMs: number
}

const defined = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T

export function toSinksConfig (env: Static<SinksEnv>): SinksConfig {
  return {
    mlflow: env.MLFLOW_TRACKING_URI === undefined
      ? undefined
      : defined({ trackingUri: env.MLFLOW_TRACKING_URI, token: env.MLFLOW_TRACKING_TOKEN, username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD }),
    mlflowTimeoutMs: env.TRACKGATE_MLFLOW_TIMEOUT_MS,
    wandb: env.WANDB_API_KEY === undefined || env.WANDB_PROJECT === undefined
      ? undefined
      : defined({ baseUrl: env.WANDB_BASE_URL.replace(/\/+$/, ''), apiKey: env.WANDB_API_KEY, entity: env.WANDB_ENTITY, project: env.WANDB_PROJECT }),
    wandbDefaultBaseUrl: env.WANDB_BASE_URL.replace(/\/+$/, ''),
    wandbRowIdleMs: env.TRACKGATE_WANDB_ROW_IDLE_MS
  }
}
