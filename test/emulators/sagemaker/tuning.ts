import { ApiFault } from './fault.js'

/** Minimal CreateHyperParameterTuningJob / DescribeHyperParameterTuningJob: stored, never run. */
export interface TuningJob { name: string, arn: string, request: Record<string, unknown>, creationTime: number }

export function createTuningJob (store: Map<string, TuningJob>, body: Record<string, unknown>, region: string, account: string, now: number): unknown {
  const name = String(body['HyperParameterTuningJobName'])
  if (store.has(name)) throw new ApiFault('ResourceInUse', `A hyperparameter tuning job with the name, ${name}, already exists. Choose a different name.`)
  const def = body['TrainingJobDefinition'] as { StoppingCondition?: { MaxWaitTimeInSeconds?: number }, EnableManagedSpotTraining?: boolean } | undefined
  if (def?.StoppingCondition?.MaxWaitTimeInSeconds !== undefined && def.EnableManagedSpotTraining !== true) {
    throw new ApiFault('ValidationException', 'Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true')
  }
  const arn = `arn:aws:sagemaker:${region}:${account}:hyper-parameter-tuning-job/${name.toLowerCase()}`
  store.set(name, { name, arn, request: body, creationTime: now })
  return { HyperParameterTuningJobArn: arn }
}

export function describeTuningJob (store: Map<string, TuningJob>, body: Record<string, unknown>): unknown {
  const name = String(body['HyperParameterTuningJobName'])
  const job = store.get(name)
  if (job === undefined) throw new ApiFault('ResourceNotFound', `Amazon SageMaker can't find a tuning job called ${name}. Type another name.`)
  return {
    HyperParameterTuningJobName: job.name,
    HyperParameterTuningJobArn: job.arn,
    HyperParameterTuningJobConfig: job.request['HyperParameterTuningJobConfig'],
    ...(job.request['TrainingJobDefinition'] !== undefined && { TrainingJobDefinition: job.request['TrainingJobDefinition'] }),
    HyperParameterTuningJobStatus: 'InProgress',
    CreationTime: job.creationTime / 1000,
    LastModifiedTime: job.creationTime / 1000,
    TrainingJobStatusCounters: { Completed: 0, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 },
    ObjectiveStatusCounters: { Succeeded: 0, Pending: 0, Failed: 0 }
  }
}
