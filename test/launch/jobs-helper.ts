import type { Config } from '../../src/config/config.js'
import type { LaunchConfig } from '../../src/config/launch-config.js'
import { eventually, seedProject, startGateway, tempDir, testConfig, type Gateway } from '../helper.js'
import type { SageMakerApi } from '../../src/launch/sagemaker/client.js'
import { startSageMakerEmulator, type EmulatorOptions, type SageMakerEmulator } from '../emulators/sagemaker/index.js'

interface Tap { teardown (fn: () => unknown): void }

/** A config override that changes launch settings only. */
export function launchConfig (base: LaunchConfig, patch: Partial<LaunchConfig>): Partial<Config> {
  return { launch: { ...base, ...patch } }
}

export const TERMINAL = ['COMPLETED', 'FAILED', 'STOPPED', 'TIMED_OUT']

/** Waits until the job's status is `status` (or any terminal one) and returns the job. */
export async function waitJob (g: Gateway, key: string, id: string, status?: string, ms = 20000): Promise<any> {
  return await eventually(async () => {
    const r = await g.call('GET', `/v1/jobs/${id}`, { auth: key })
    const s = r.body?.status as string
    return (status === undefined ? TERMINAL.includes(s) : s === status) ? r.body : undefined
  }, ms, `job ${id} ${status ?? 'to end'}`)
}

/** Reads a server-sent-event stream until it ends; returns the events in order. */
export async function readSse (url: string, key: string, timeoutMs = 20000): Promise<Array<{ event: string, data: any }>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(timeoutMs) })
  if (res.status !== 200 || res.body === null) throw new Error(`SSE ${res.status}`)
  const text = await res.text()
  const out: Array<{ event: string, data: any }> = []
  for (const block of text.split('\n\n')) {
    const ev = /^event: (.*)$/m.exec(block)?.[1]
    const data = /^data: (.*)$/m.exec(block)?.[1]
    if (ev !== undefined && data !== undefined) out.push({ event: ev, data: JSON.parse(data) })
  }
  return out
}

/** Kills leftover trainer process groups so a failing test cannot leak processes. */
export function killGroup (pid: number | null | undefined): void {
  if (pid === null || pid === undefined) return
  try { process.kill(-pid, 'SIGKILL') } catch {}
}

export const ROLE = 'arn:aws:iam::123456789012:role/SageMakerRole'
export const EVENTS_SECRET = 'test-eventbridge-secret-0123456789'
export const AWS_TEST_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }

/** A valid SageMaker job body (the DDP fixture's spec); each test changes what it needs. */
export function smSpec (overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'monai-seg',
    backend: 'sagemaker',
    model: 'SegResNet',
    strategy: 'ddp',
    instanceType: 'ml.g5.12xlarge',
    instanceCount: 2,
    framework: { version: '2.5.1', pythonVersion: 'py311', sourceS3Uri: 's3://my-bucket/code/sourcedir.tar.gz', entryPoint: 'train.py' },
    hyperparameters: { epochs: 3, lr: 0.0003, roi_size: [96, 96, 96] },
    data: { train: 's3://my-bucket/data/train', valid: 's3://my-bucket/data/valid' },
    outputS3Uri: 's3://my-bucket/output',
    checkpointS3Uri: 's3://my-bucket/ckpt',
    experiment: 'seg',
    ...overrides
  }
}

export interface SmSetup { g: Gateway, emu: SageMakerEmulator, emuOptions: EmulatorOptions, p: Awaited<ReturnType<typeof seedProject>> }

/**
 * The SageMaker emulator and a gateway pointed at it (fast polls); with `events`, the emulator
 * posts EventBridge events to the gateway's webhook.
 */
export async function startWithEmulator (t: Tap, o: { emulator?: EmulatorOptions, launch?: Partial<LaunchConfig>, events?: boolean, dataDir?: string, wrapApi?: (api: SageMakerApi) => SageMakerApi } = {}): Promise<SmSetup> {
  const emuOptions: EmulatorOptions = { timings: { startingMs: 60, downloadingMs: 60, trainingMs: 250, uploadingMs: 60, stoppingMs: 60 }, container: { epochs: 2, stepsPerEpoch: 5 }, ...o.emulator }
  const emu = await startSageMakerEmulator(emuOptions)
  t.teardown(emu.close)
  const dataDir = o.dataDir ?? tempDir(t)
  const base = testConfig(dataDir, { TRACKGATE_SAGEMAKER_ROLE_ARN: ROLE, ...(o.events === true && { TRACKGATE_EVENTS_SECRET: EVENTS_SECRET }) }).launch
  const g = await startGateway(t, {
    dataDir,
    env: { TRACKGATE_SAGEMAKER_ROLE_ARN: ROLE, ...(o.events === true && { TRACKGATE_EVENTS_SECRET: EVENTS_SECRET }) },
    config: launchConfig(base, { pollMinMs: 20, pollMaxMs: 100, pollWithEventsMs: 2000, describePerSecond: 200, ...o.launch }),
    build: { launch: { sagemaker: { endpoint: emu.url, credentials: AWS_TEST_CREDENTIALS }, createRetryBaseMs: 20, ...(o.wrapApi !== undefined && { wrapSageMakerApi: o.wrapApi }) } }
  })
  if (o.events === true) emuOptions.eventBridge = { url: `${g.url}/v1/events/sagemaker`, secret: EVENTS_SECRET }
  const p = await seedProject(g)
  return { g, emu, emuOptions, p }
}

export const describes = (emu: SageMakerEmulator): number => emu.requests.filter(r => r.operation === 'DescribeTrainingJob').length
