import t from 'tap'
import { fromDescribeTrainingJob, fromTrainingJobEvent, jobState, runStatusOf, stateKey } from '../../../src/launch/sagemaker/job-status.js'

t.test('status table', async t => {
  const table: Array<[string, string | undefined, string, string]> = [
    ['InProgress', 'Starting', 'PENDING', 'RUNNING'],
    ['InProgress', 'Pending', 'PENDING', 'RUNNING'],
    ['InProgress', 'Downloading', 'PENDING', 'RUNNING'],
    ['InProgress', 'Training', 'RUNNING', 'RUNNING'],
    ['InProgress', 'Interrupted', 'RUNNING', 'RUNNING'],
    ['InProgress', 'Restarting', 'RUNNING', 'RUNNING'],
    ['InProgress', 'Uploading', 'RUNNING', 'RUNNING'],
    ['InProgress', 'SomethingNew', 'RUNNING', 'RUNNING'],
    ['Stopping', 'Stopping', 'STOPPING', 'RUNNING'],
    ['Completed', 'Completed', 'COMPLETED', 'FINISHED'],
    ['Failed', 'Failed', 'FAILED', 'FAILED'],
    ['Stopped', 'Stopped', 'STOPPED', 'KILLED'],
    ['Stopped', 'MaxRuntimeExceeded', 'TIMED_OUT', 'FAILED'],
    ['Stopped', 'MaxWaitTimeExceeded', 'TIMED_OUT', 'FAILED']
  ]
  for (const [status, secondary, state, run] of table) {
    t.equal(jobState(status, secondary), state, `${status}/${secondary} → ${state}`)
    t.equal(runStatusOf(jobState(status, secondary)), run, `${status}/${secondary} → run ${run}`)
  }
})

t.test('DescribeTrainingJob (JS SDK Dates, or raw epoch seconds)', async t => {
  const raw = {
    TrainingJobName: 'monai-seg-2024-08-15-10-00-30-123',
    TrainingJobStatus: 'Completed',
    SecondaryStatus: 'Completed',
    CreationTime: 1723716031.512,
    TrainingStartTime: 1723716190.044,
    TrainingEndTime: 1723719875.871,
    LastModifiedTime: 1723719876.002,
    SecondaryStatusTransitions: [{ Status: 'Starting', StartTime: 1723716031.512, EndTime: 1723716190.044, StatusMessage: 'Preparing the instances for training' }],
    FinalMetricDataList: [{ MetricName: 'val:dice', Value: 0.8123, Timestamp: 1723719830.0 }],
    TrainingTimeInSeconds: 3686,
    BillableTimeInSeconds: 1290
  }
  const v = fromDescribeTrainingJob(raw)
  t.match(v, { state: 'COMPLETED', runStatus: 'FINISHED', terminal: true, trainingSeconds: 3686, billableSeconds: 1290, creationTime: 1723716031512, trainingEndTime: 1723719875871 })
  t.strictSame(v.transitions, [{ status: 'Starting', startTime: 1723716031512, endTime: 1723716190044, message: 'Preparing the instances for training' }])
  t.strictSame(v.finalMetrics, [{ name: 'val:dice', value: 0.8123, timestamp: 1723719830000 }])
  const sdk = fromDescribeTrainingJob({ ...raw, CreationTime: new Date(1723716031512) })
  t.equal(sdk.creationTime, 1723716031512)
  const failed = fromDescribeTrainingJob({ TrainingJobName: 'j', TrainingJobStatus: 'Failed', SecondaryStatus: 'Failed', FailureReason: 'CapacityError: Unable to provision requested ML compute capacity.' })
  t.match(failed, { runStatus: 'FAILED', capacityError: true, failureReason: /CapacityError/ })
  t.notOk('trainingSeconds' in failed, 'absent for failed jobs, not 0')
})

t.test('EventBridge event (reference §3 fixture shape)', async t => {
  const event = {
    version: '0',
    id: '29f939a9-3cce-a8e1-24c7-3d8db2861245',
    'detail-type': 'SageMaker Training Job State Change',
    source: 'aws.sagemaker',
    time: '2023-10-04T13:46:47Z',
    detail: {
      TrainingJobName: 'UnitTestTrainingJob',
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: 'Interrupted',
      FailureReason: null,
      CreationTime: 1696427182554,
      TrainingStartTime: '1696427186229',
      TrainingEndTime: null,
      LastModifiedTime: 1696427207435,
      Tags: { project: 'UnitTestProject', 'trackgate:run-id': 'r1' }
    }
  }
  const v = fromTrainingJobEvent(event)
  t.match(v, { state: 'RUNNING', runStatus: 'RUNNING', interrupted: true, creationTime: 1696427182554, trainingStartTime: 1696427186229, lastModifiedTime: 1696427207435 })
  t.strictSame(v.tags, { project: 'UnitTestProject', 'trackgate:run-id': 'r1' })
  t.notOk('failureReason' in v)
  t.equal(stateKey(v), 'UnitTestTrainingJob|InProgress|Interrupted|1696427207435')
  t.throws(() => fromTrainingJobEvent({ ...event, 'detail-type': 'SageMaker Endpoint State Change' }), TypeError)
})
