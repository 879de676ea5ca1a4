/**
 * The AWS PyTorch training image (DLC) URI as SDK v2 2.257.6 `image_uris.retrieve("pytorch", …)`
 * builds it: `{account}.dkr.ecr.{region}.amazonaws.com[.cn]/pytorch-training:{version}-{gpu|cpu}-{py}`
 * (reference §1.6). Only the versions the reference lists are known; anything else needs `image`.
 */

/** Training versions and their Python versions (image_uri_config/pytorch.json). */
export const PYTORCH_TRAINING_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  '2.3.0': ['py311'],
  '2.4.0': ['py311'],
  '2.5.1': ['py311'],
  '2.6.0': ['py312'],
  '2.7.1': ['py312'],
  '2.8.0': ['py312']
}

export const PYTORCH_VERSION_ALIASES: Readonly<Record<string, string>> = {
  2.3: '2.3.0', 2.4: '2.4.0', 2.5: '2.5.1', 2.6: '2.6.0', 2.7: '2.7.1', 2.8: '2.8.0'
}

/**
 * fw_utils.py TORCH_DISTRIBUTED_GPU_SUPPORTED_FRAMEWORK_VERSIONS: an exact-string check, so the
 * alias "2.5" is refused even though "2.5.1" is fine (the SDK checks the version as typed).
 */
export const TORCH_DISTRIBUTED_GPU_VERSIONS: readonly string[] = [
  '1.13.1', '2.0.0', '2.0.1', '2.1.0', '2.1.2', '2.2.0', '2.3.0', '2.3.1', '2.4.1', '2.5.1', '2.6.0', '2.7.1', '2.8.0'
]

const DEFAULT_ACCOUNT = '763104351884'
const DEFAULT_ACCOUNT_REGIONS = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1', 'eu-central-1', 'eu-north-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'ap-northeast-1', 'ap-northeast-2', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2'
])
const OTHER_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '626614931356',
  'ap-east-1': '871362719292',
  'ap-northeast-3': '364406365360',
  'ap-south-2': '772153158452',
  'ap-southeast-3': '907027046896',
  'ap-southeast-4': '457447274322',
  'ca-west-1': '204538143572',
  'cn-north-1': '727897471807',
  'cn-northwest-1': '727897471807',
  'eu-central-2': '380420809688',
  'eu-south-1': '692866216735',
  'eu-south-2': '503227376785',
  'il-central-1': '780543022126',
  'me-central-1': '914824155844',
  'me-south-1': '217643126080',
  'mx-central-1': '637423239942',
  'us-gov-east-1': '446045086412',
  'us-gov-west-1': '442386744353'
}

export function dlcAccount (region: string): string | undefined {
  return DEFAULT_ACCOUNT_REGIONS.has(region) ? DEFAULT_ACCOUNT : OTHER_ACCOUNTS[region]
}

/** `g*` and `p*` families carry GPUs; everything else gets the CPU image (image_uris.py). */
export function isGpuInstance (instanceType: string): boolean {
  const family = instanceType.split('.')[1] ?? ''
  return family.startsWith('g') || family.startsWith('p')
}

export function isTrainiumInstance (instanceType: string): boolean {
  return (instanceType.split('.')[1] ?? '').startsWith('trn')
}

/** The version the image list knows, resolving aliases; undefined when unsupported. */
export function resolvePytorchVersion (version: string): string | undefined {
  const full = PYTORCH_VERSION_ALIASES[version] ?? version
  return PYTORCH_TRAINING_VERSIONS[full] === undefined ? undefined : full
}

/**
 * The image URI, or an Error with the SDK's message. The tag keeps the version as typed
 * (alias "2.5" → `2.5-gpu-py311`), as the SDK does.
 */
export function pytorchTrainingImageUri (opts: { region: string, version: string, pythonVersion: string, instanceType: string }): string | Error {
  const full = resolvePytorchVersion(opts.version)
  if (full === undefined) {
    return new Error(`Unsupported pytorch version: ${opts.version}. Supported pytorch version(s): ${Object.keys(PYTORCH_TRAINING_VERSIONS).join(', ')}.`)
  }
  const pys = PYTORCH_TRAINING_VERSIONS[full] ?? []
  if (!pys.includes(opts.pythonVersion)) {
    return new Error(`Unsupported Python version: ${opts.pythonVersion}. Supported Python version(s): ${pys.join(', ')}.`)
  }
  const account = dlcAccount(opts.region)
  if (account === undefined) return new Error(`Unsupported region: ${opts.region}.`)
  const domain = opts.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  const processor = isGpuInstance(opts.instanceType) ? 'gpu' : 'cpu'
  return `${account}.dkr.ecr.${opts.region}.${domain}/pytorch-training:${opts.version}-${processor}-${opts.pythonVersion}`
}
