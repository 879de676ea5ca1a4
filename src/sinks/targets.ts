import { Type, type Static } from '@sinclair/typebox'

/**
 * Per-project sink targets, set through the API. Secrets are write-only: the API shows whether
 * one is set, never its value.
 */
export const MlflowTargetSchema = Type.Object({
  trackingUri: Type.String({ minLength: 1, maxLength: 2048, pattern: '^(https?://|arn:aws[a-z-]*:sagemaker:)', description: 'http(s) URL of an MLflow server, or a SageMaker MLflow tracking-server ARN' }),
  token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Bearer token (write-only)' })),
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Basic auth password (write-only)' }))
}, { additionalProperties: false })
export type MlflowTarget = Static<typeof MlflowTargetSchema>

export const WandbTargetSchema = Type.Object({
  baseUrl: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2048, description: 'W&B cloud or a self-hosted W&B Server; default https://api.wandb.ai' })),
  apiKey: Type.String({ minLength: 1, maxLength: 256, description: 'W&B API key (write-only)' }),
  entity: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  project: Type.String({ minLength: 1, maxLength: 128 })
}, { additionalProperties: false })
export type WandbTarget = Static<typeof WandbTargetSchema>

export const TARGET_SCHEMAS = { mlflow: MlflowTargetSchema, wandb: WandbTargetSchema } as const
export type TargetSink = keyof typeof TARGET_SCHEMAS

const SECRET_FIELDS = new Set(['token', 'password', 'apiKey'])

/** A target as the API shows it: secrets replaced by `<field>Set: true`. */
export function publicTarget (config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(config)) {
    if (SECRET_FIELDS.has(k)) out[`${k}Set`] = true
    else out[k] = v
  }
  return out
}
