/** How a job ends; the emulator walks the matching SecondaryStatus path with the configured timings. */
export type Outcome =
  | { kind: 'complete' }
  | { kind: 'fail', reason?: string, during?: 'Starting' | 'Downloading' | 'Training' }
  /** Runs past MaxRuntimeInSeconds: Stopped / MaxRuntimeExceeded. */
  | { kind: 'maxRuntime' }
  /** Spot capacity taken away `interruptions` times (SecondaryStatus Interrupted), then completes or gives up (MaxWaitTimeExceeded). */
  | { kind: 'spotInterrupt', interruptions?: number, then?: 'complete' | 'maxWait' }
  /** Stays in Training until StopTrainingJob. */
  | { kind: 'hang' }

/** Real milliseconds spent in each phase. */
export interface Timings {
  startingMs: number
  downloadingMs: number
  trainingMs: number
  uploadingMs: number
  stoppingMs: number
  interruptedMs: number
  /** A tuning job's delay before it starts a trial (after create, and after a trial ends). */
  launchMs: number
}

export interface RecordedRequest {
  operation: string
  headers: Record<string, string | string[] | undefined>
  body: unknown
  status: number
  errorType?: string
  errorMessage?: string
}

export interface SentEvent {
  event: Record<string, unknown>
  status: number | 'error'
}

export interface ContainerPost {
  url: string
  body: { batchId: string, metrics: Array<{ key: string, value: number, step: number }> }
  status: number | 'error'
}

/** A tuning trial's container asking the gateway which run it is (POST /v1/tuning-jobs/:id/claim). */
export interface ContainerClaim {
  url: string
  body: { trainingJobName: string }
  /** Tries so far (connection errors, 429 and 5xx are retried). */
  attempts: number
  status: number | 'error'
  /** From a 200/201 answer. */
  runId?: string
}

export interface EmulatorOptions {
  /** Defaults: 10 ms per phase. */
  timings?: Partial<Timings>
  /** Emulated seconds per real second (1000: each real ms is an emulated second), so billing numbers look real. */
  timeScale?: number
  /** Outcome of each new job when none is queued with `queueOutcomes`. */
  outcome?: (request: Record<string, unknown>) => Outcome
  /** Fraction of training time not billed with managed spot (0.7 → 70 % savings). */
  spotSavings?: number
  account?: string
  region?: string
  /** POST "SageMaker Training Job State Change" events here on every status change. */
  eventBridge?: { url: string, secret: string, header?: string }
  /**
   * Simulate the trainer: log metric lines and POST them to ${TRACKGATE_URL}/v1/runs/${TRACKGATE_RUN_ID}/log.
   * A tuning trial (TRACKGATE_TUNING_JOB_ID/_TOKEN instead) first claims its run, then posts the same way.
   */
  container?: { epochs?: number, stepsPerEpoch?: number }
  /** Account quota per instance type, counted over jobs in progress. */
  instanceLimits?: Record<string, number>
  /** Requests per second per operation before ThrottlingException (ListTrainingJobs is ~2 live). */
  rateLimits?: Record<string, number>
  /** Check for a SigV4 Authorization header (not the signature). Default true. */
  requireSigV4?: boolean
  /** Reject members the model does not declare (the service ignores them; we catch typos). Default true. */
  rejectUnknownMembers?: boolean
  modelPath?: string
}
