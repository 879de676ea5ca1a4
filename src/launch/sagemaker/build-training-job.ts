import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker'
import type { JobSpec } from '../job-spec.js'
import { assembleCreateTrainingJob, type BuildContext } from './training-job-request.js'
import { InvalidJobSpecError, validateJob } from './validate-job.js'

export type { BuildContext } from './training-job-request.js'
export {
  ENV_GATEWAY_URL, ENV_RUN_ID, ENV_TOKEN, TAG_RUN_ID, TAG_EXPERIMENT, assembleCreateTrainingJob
} from './training-job-request.js'

/**
 * The CreateTrainingJob request for a job spec, exactly as the SageMaker Python SDK v2 would
 * send it for the same PyTorch estimator (see `assembleCreateTrainingJob` for the estimator
 * settings). Pure: the same spec and context give the same request.
 * Throws InvalidJobSpecError (with every problem) when `validateJob` finds an error, so an
 * invalid request is never built by accident; warnings do not stop it.
 */
export function buildCreateTrainingJob (spec: JobSpec, ctx: BuildContext): CreateTrainingJobRequest {
  const errors = validateJob(spec, ctx).filter(p => p.severity === 'error')
  if (errors.length > 0) throw new InvalidJobSpecError(errors)
  return assembleCreateTrainingJob(spec, ctx)
}
