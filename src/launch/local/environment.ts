import { existsSync, readdirSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { JobSpec } from '../job-spec.js'

/**
 * SageMaker's training-container contract, mapped into `<dataDir>/jobs/<id>/` so the same trainer
 * runs unchanged on a laptop: /opt/ml/input/data/<channel> → input/data/<channel>, /opt/ml/model →
 * model, /opt/ml/output/data → output/data, /opt/ml/checkpoints → checkpoints.
 */
export interface JobLayout {
  dir: string
  modelDir: string
  outputDir: string
  outputDataDir: string
  checkpointDir: string
  /** SageMaker's TensorBoardOutputConfig LocalPath default (/opt/ml/output/tensorboard), mapped. */
  tensorboardDir: string
  spoolDir: string
  logPath: string
  /** Written by the wrapper shell when the trainer exits, so a restarted gateway learns the code. */
  exitPath: string
  channels: Record<string, string>
}

/** A local channel: `file:///abs/path` or `/abs/path`. */
export function localPath (uri: string): string | undefined {
  if (uri.startsWith('file://')) return fileURLToPath(uri)
  if (uri.startsWith('/')) return uri
  return undefined
}

export function jobLayout (dataDir: string, jobId: string, spec: JobSpec): JobLayout {
  const dir = resolve(dataDir, 'jobs', jobId)
  const channels: Record<string, string> = {}
  // train and valid always exist (empty when not given), as SageMaker mounts every channel it is given.
  for (const name of ['train', 'valid']) channels[name] = join(dir, 'input', 'data', name)
  for (const [name, uri] of Object.entries(spec.data ?? {})) channels[name] = localPath(uri) ?? join(dir, 'input', 'data', name)
  return {
    dir,
    modelDir: join(dir, 'model'),
    outputDir: join(dir, 'output'),
    outputDataDir: join(dir, 'output', 'data'),
    checkpointDir: join(dir, 'checkpoints'),
    tensorboardDir: join(dir, 'output', 'tensorboard'),
    spoolDir: join(dir, 'spool'),
    logPath: join(dir, 'trainer.log'),
    exitPath: join(dir, 'exit-code'),
    channels
  }
}

/** Only these variables of the gateway's own environment reach the trainer: the gateway's secrets do not. */
const INHERITED = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'PYTHONPATH', 'VIRTUAL_ENV', 'CONDA_PREFIX',
  'LD_LIBRARY_PATH', 'CUDA_VISIBLE_DEVICES', 'NCCL_DEBUG', 'OMP_NUM_THREADS']

export function gpuCount (): number {
  try {
    return readdirSync('/dev').filter(f => /^nvidia\d+$/.test(f)).length
  } catch {
    return 0
  }
}

export interface ContractInput { spec: JobSpec, layout: JobLayout, gatewayUrl: string, runId: string, token: string, gpus: number }

/** The trainer's environment: SM_* as SageMaker sets them, TRACKGATE_* for the callback client. */
export function contractEnvironment (c: ContractInput, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {}
  for (const k of INHERITED) { const v = parent[k]; if (v !== undefined) env[k] = v }
  const hps: Record<string, unknown> = { ...c.spec.hyperparameters, model: c.spec.model, strategy: c.spec.strategy ?? 'single' }
  env['TRACKGATE_TENSORBOARD_DIR'] = c.layout.tensorboardDir
  Object.assign(env, c.spec.environment)
  Object.assign(env, {
    SM_HPS: JSON.stringify(hps),
    SM_HOSTS: JSON.stringify(['algo-1']),
    SM_CURRENT_HOST: 'algo-1',
    SM_NUM_GPUS: String(c.gpus),
    SM_NUM_CPUS: String(cpus().length),
    SM_MODEL_DIR: c.layout.modelDir,
    SM_OUTPUT_DIR: c.layout.outputDir,
    SM_OUTPUT_DATA_DIR: c.layout.outputDataDir,
    SM_CHECKPOINT_DIR: c.layout.checkpointDir,
    SM_INPUT_DIR: join(c.layout.dir, 'input'),
    SM_CHANNELS: JSON.stringify(Object.keys(c.layout.channels)),
    TRACKGATE_URL: c.gatewayUrl,
    TRACKGATE_RUN_ID: c.runId,
    TRACKGATE_TOKEN: c.token,
    TRACKGATE_SPOOL_DIR: c.layout.spoolDir,
    PYTHONUNBUFFERED: '1'
  })
  for (const [name, path] of Object.entries(c.layout.channels)) env[`SM_CHANNEL_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = path
  return env
}

/** A file of the repository (or install) root's containers/: found by walking up from here (src/ or dist/src/). */
function containersFile (...path: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'containers', ...path)
    if (existsSync(file)) return file
    dir = dirname(dir)
  }
  return join('containers', ...path)
}

export function defaultTrainer (): string[] {
  return ['python3', containersFile('training', 'simulate.py')]
}

/**
 * The trainer under containers/client/trackgate_run.py, as the SageMaker image's entrypoint runs
 * it: the event files a SummaryWriter writes to TRACKGATE_TENSORBOARD_DIR or ./runs reach the run
 * with no code change. `TRACKGATE_TAIL_TENSORBOARD=0` in the job's environment turns it off.
 */
export function withTensorboardTail (argv: string[], spec: JobSpec): string[] {
  if (spec.environment?.['TRACKGATE_TAIL_TENSORBOARD'] === '0') return argv
  const python = /(^|\/)python[0-9.]*$/.test(argv[0] ?? '') ? argv[0] as string : 'python3'
  return [python, containersFile('client', 'trackgate_run.py'), '--', ...argv]
}

/**
 * The trainer's argv: ddp/fsdp run under torchrun (one process per GPU, at least one), as the
 * image's entrypoint does on SageMaker; a `python…` first word is replaced by torchrun.
 */
export function trainerArgv (trainer: string[], spec: JobSpec, gpus: number): string[] {
  const strategy = spec.strategy ?? 'single'
  if (strategy === 'single') return trainer
  const rest = /(^|\/)python[0-9.]*$/.test(trainer[0] ?? '') ? trainer.slice(1) : trainer
  return ['torchrun', '--standalone', `--nproc_per_node=${Math.max(1, gpus)}`, ...rest]
}
