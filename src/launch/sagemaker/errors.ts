/**
 * SageMaker API failures as named classes, whatever client produced them. `code` is the AWS
 * error code (`__type`); `retryable` says whether the same call may succeed later.
 */
export class SageMakerApiError extends Error {
  readonly code: string
  readonly status: number | undefined
  readonly requestId: string | undefined
  readonly retryable: boolean = false

  constructor (code: string, message: string, opts: { status?: number, requestId?: string, cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'SageMakerApiError'
    this.code = code
    this.status = opts.status
    this.requestId = opts.requestId
  }
}

/** `ThrottlingException` "Rate exceeded" (HTTP 400): back off and retry. */
export class ThrottlingError extends SageMakerApiError {
  override readonly retryable = true
  constructor (...args: ConstructorParameters<typeof SageMakerApiError>) { super(...args); this.name = 'ThrottlingError' }
}

/** `ValidationException`: the request is wrong (bad name, MaxWait without spot, stop a finished job, …). */
export class ValidationError extends SageMakerApiError {
  constructor (...args: ConstructorParameters<typeof SageMakerApiError>) { super(...args); this.name = 'ValidationError' }
}

/**
 * The job does not exist. The live service answers DescribeTrainingJob for a missing job with
 * `ValidationException` "Requested resource not found." rather than the modeled ResourceNotFound
 * (reference §2.7); both become this class.
 */
export class JobNotFoundError extends SageMakerApiError {
  constructor (...args: ConstructorParameters<typeof SageMakerApiError>) { super(...args); this.name = 'JobNotFoundError' }
}

/** `ResourceInUse`: a job with this name exists. No idempotency token exists, so a retried create lands here. */
export class ResourceInUseError extends SageMakerApiError {
  constructor (...args: ConstructorParameters<typeof SageMakerApiError>) { super(...args); this.name = 'ResourceInUseError' }
}

/** `ResourceLimitExceeded`: an account quota (instances of a type, concurrent jobs) is used up. */
export class ResourceLimitExceededError extends SageMakerApiError {
  constructor (...args: ConstructorParameters<typeof SageMakerApiError>) { super(...args); this.name = 'ResourceLimitExceededError' }
}

/** 5xx (InternalFailure, ServiceUnavailable) and network failures: retry with back-off. */
export class SageMakerUnavailableError extends SageMakerApiError {
  override readonly retryable = true
  constructor (...args: ConstructorParameters<typeof SageMakerApiError>) { super(...args); this.name = 'SageMakerUnavailableError' }
}

export const NOT_FOUND_MESSAGE = 'Requested resource not found.'

const THROTTLING_CODES = new Set(['ThrottlingException', 'Throttling', 'ThrottledException', 'RequestThrottledException', 'TooManyRequestsException'])

/** One table from (code, status, message) to our class. */
export function toSageMakerError (code: string, message: string, opts: { status?: number, requestId?: string, cause?: unknown } = {}): SageMakerApiError {
  if (THROTTLING_CODES.has(code) || opts.status === 429) return new ThrottlingError(code, message, opts)
  if (code === 'ResourceNotFound' || (code === 'ValidationException' && message.includes(NOT_FOUND_MESSAGE))) return new JobNotFoundError(code, message, opts)
  if (code === 'ValidationException') return new ValidationError(code, message, opts)
  if (code === 'ResourceInUse') return new ResourceInUseError(code, message, opts)
  if (code === 'ResourceLimitExceeded') return new ResourceLimitExceededError(code, message, opts)
  if (opts.status !== undefined && opts.status >= 500) return new SageMakerUnavailableError(code, message, opts)
  return new SageMakerApiError(code, message, opts)
}
