import {
  CreateHyperParameterTuningJobCommand, CreateTrainingJobCommand, DescribeHyperParameterTuningJobCommand, DescribeTrainingJobCommand,
  ListTrainingJobsCommand, ListTrainingJobsForHyperParameterTuningJobCommand, SageMakerClient, StopHyperParameterTuningJobCommand, StopTrainingJobCommand,
  type CreateHyperParameterTuningJobRequest, type CreateTrainingJobRequest, type DescribeHyperParameterTuningJobResponse, type DescribeTrainingJobResponse,
  type ListTrainingJobsForHyperParameterTuningJobRequest, type ListTrainingJobsForHyperParameterTuningJobResponse, type ListTrainingJobsRequest, type ListTrainingJobsResponse
} from '@aws-sdk/client-sagemaker'
import { SageMakerUnavailableError, toSageMakerError, type SageMakerApiError } from './errors.js'

export interface SageMakerApiOptions {
  region: string
  /** Overrides the endpoint (tests: the emulator). The JS SDK also honours AWS_ENDPOINT_URL_SAGEMAKER. */
  endpoint?: string
  /** Static credentials (tests); otherwise the AWS default provider chain. */
  credentials?: { accessKeyId: string, secretAccessKey: string, sessionToken?: string }
  /**
   * Attempts per call including the first (SDK standard retry: jittered back-off, 500 ms base for
   * throttling). The tracker that polls should pass 1 and own its back-off.
   */
  maxAttempts?: number
}

/**
 * The SageMaker operations the launchers and trackers need (training jobs, tuning jobs), over the official JS SDK v3
 * (SigV4, credential chain and JSON 1.1 are its job). Every failure comes out as one of the
 * named classes in errors.ts.
 */
export interface SageMakerApi {
  createTrainingJob (request: CreateTrainingJobRequest): Promise<{ trainingJobArn: string }>
  describeTrainingJob (jobName: string): Promise<DescribeTrainingJobResponse>
  stopTrainingJob (jobName: string): Promise<void>
  listTrainingJobs (request?: ListTrainingJobsRequest): Promise<ListTrainingJobsResponse>
  createTuningJob (request: CreateHyperParameterTuningJobRequest): Promise<{ tuningJobArn: string }>
  describeTuningJob (name: string): Promise<DescribeHyperParameterTuningJobResponse>
  listTuningJobTrainingJobs (request: ListTrainingJobsForHyperParameterTuningJobRequest): Promise<ListTrainingJobsForHyperParameterTuningJobResponse>
  stopTuningJob (name: string): Promise<void>
  close (): void
}

export function createSageMakerApi (opts: SageMakerApiOptions): SageMakerApi {
  const client = new SageMakerClient({
    region: opts.region,
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    ...(opts.credentials !== undefined && { credentials: opts.credentials }),
    ...(opts.maxAttempts !== undefined && { maxAttempts: opts.maxAttempts })
  })
  return {
    async createTrainingJob (request) {
      const out = await call(() => client.send(new CreateTrainingJobCommand(request)))
      return { trainingJobArn: out.TrainingJobArn ?? '' }
    },
    async describeTrainingJob (jobName) {
      const { $metadata: _, ...out } = await call(() => client.send(new DescribeTrainingJobCommand({ TrainingJobName: jobName })))
      return out
    },
    async stopTrainingJob (jobName) {
      await call(() => client.send(new StopTrainingJobCommand({ TrainingJobName: jobName })))
    },
    async listTrainingJobs (request = {}) {
      const { $metadata: _, ...out } = await call(() => client.send(new ListTrainingJobsCommand(request)))
      return out
    },
    async createTuningJob (request) {
      const out = await call(() => client.send(new CreateHyperParameterTuningJobCommand(request)))
      return { tuningJobArn: out.HyperParameterTuningJobArn ?? '' }
    },
    async describeTuningJob (name) {
      const { $metadata: _, ...out } = await call(() => client.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })))
      return out
    },
    async listTuningJobTrainingJobs (request) {
      const { $metadata: _, ...out } = await call(() => client.send(new ListTrainingJobsForHyperParameterTuningJobCommand(request)))
      return out
    },
    async stopTuningJob (name) {
      await call(() => client.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })))
    },
    close () { client.destroy() }
  }
}

async function call<T> (fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw fromSdkError(err)
  }
}

interface SdkErrorLike { name?: string, message?: string, $fault?: string, $metadata?: { httpStatusCode?: number, requestId?: string } }

/** The JS SDK names modeled errors by class and unmodeled ones (Validation/Throttling) by `name`. */
export function fromSdkError (err: unknown): SageMakerApiError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike
  const status = e.$metadata?.httpStatusCode
  const requestId = e.$metadata?.requestId
  if (status === undefined && e.$fault === undefined) {
    // Never reached the service: DNS, connection refused, reset, timeout.
    return new SageMakerUnavailableError('NetworkingError', e.message ?? String(err), { cause: err })
  }
  return toSageMakerError(e.name ?? 'Unknown', e.message ?? 'Unknown', {
    ...(status !== undefined && { status }),
    ...(requestId !== undefined && { requestId }),
    cause: err
  })
}
