import { createHash } from 'node:crypto'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import type { AwsCredentialIdentityProvider } from '@smithy/types'

/** Where requests go and how each one is authorised. */
export interface MlflowTarget {
  /** Base URL without a trailing slash; REST paths are appended (`/api/2.0/mlflow/...`). */
  baseUrl: string
  /** Safe to log: never contains a secret. */
  describe: string
  /** Headers to add to one request (Authorization and friends). `body` is the exact bytes sent. */
  authorize (req: { method: string, url: URL, contentType: string | undefined, body: string | undefined }): Promise<Record<string, string>>
}

export interface TargetOptions {
  trackingUri: string
  token?: string | undefined
  username?: string | undefined
  password?: string | undefined
  credentials?: AwsCredentialIdentityProvider | undefined
  /** Overrides the SageMaker host (the plugin's SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT); tests point it at the emulator. */
  endpointUrl?: string | undefined
  /** Signing clock, for tests. */
  now?: (() => number) | undefined
}

export interface SageMakerArn {
  arn: string
  partition: string
  region: string
  account: string
  kind: 'mlflow-tracking-server' | 'mlflow-app'
  resourceId: string
  baseUrl: string
  service: 'sagemaker-mlflow' | 'sagemaker'
  routingHeader: 'x-mlflow-sm-tracking-server-arn' | 'x-sm-mlflow-app-arn'
}

/** ARN → host, SigV4 service and routing header, as aws/sagemaker-mlflow 0.3.0 derives them. */
export function parseSageMakerArn (arn: string): SageMakerArn {
  const parts = arn.split(':')
  const [prefix, partition, service, region, account] = parts
  const resource = parts.slice(5).join(':')
  const slash = resource.indexOf('/')
  const kind = resource.slice(0, slash)
  const resourceId = resource.slice(slash + 1)
  if (prefix !== 'arn' || service !== 'sagemaker' || region === undefined || region === '' || account === undefined || slash < 1 || resourceId === '') {
    throw new Error(`not a SageMaker MLflow ARN: ${arn}`)
  }
  // The plugin knows only these two partitions, both with the `aws` DNS suffix.
  if (partition !== 'aws' && partition !== 'aws-us-gov') throw new Error(`unsupported AWS partition: ${String(partition)}`)
  if (kind === 'mlflow-tracking-server') {
    return { arn, partition, region, account, kind, resourceId, baseUrl: `https://${region}.experiments.sagemaker.aws`, service: 'sagemaker-mlflow', routingHeader: 'x-mlflow-sm-tracking-server-arn' }
  }
  if (kind === 'mlflow-app') {
    return { arn, partition, region, account, kind, resourceId, baseUrl: `https://mlflow.sagemaker.${region}.app.aws`, service: 'sagemaker', routingHeader: 'x-sm-mlflow-app-arn' }
  }
  throw new Error(`unsupported SageMaker MLflow resource type: ${kind}`)
}

export const sha256Hex = (body: string): string => createHash('sha256').update(body).digest('hex')

/** Resolve the tracking URI into a target. Credentials never reach `describe` or error text. */
export async function resolveTarget (opts: TargetOptions): Promise<MlflowTarget> {
  if (opts.trackingUri.startsWith('arn:')) return sageMakerTarget(opts)
  const url = new URL(opts.trackingUri)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported MLflow tracking URI scheme: ${url.protocol}`)
  // user:pass@host in the URI counts as Basic credentials, then is stripped so it cannot leak via the URL.
  const username = opts.username ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined)
  const password = opts.password ?? (url.password !== '' ? decodeURIComponent(url.password) : undefined)
  url.username = ''; url.password = ''
  const baseUrl = url.toString().replace(/\/+$/, '')
  let header: string | undefined
  // MLflow's own precedence: username/password (Basic) wins over the token.
  if (username !== undefined && password !== undefined) {
    header = 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64')
  } else if (opts.token !== undefined && opts.token !== '') {
    header = `Bearer ${opts.token}`
  }
  const auth = header
  return {
    baseUrl,
    describe: baseUrl,
    authorize: async (): Promise<Record<string, string>> => auth === undefined ? {} : { authorization: auth }
  }
}

async function sageMakerTarget (opts: TargetOptions): Promise<MlflowTarget> {
  const arn = parseSageMakerArn(opts.trackingUri)
  const credentials = opts.credentials ?? (await import('@aws-sdk/credential-provider-node')).defaultProvider()
  const signer = new SignatureV4({ service: arn.service, region: arn.region, credentials, sha256: Hash.bind(null, 'sha256'), applyChecksum: true })
  const now = opts.now ?? Date.now
  const baseUrl = (opts.endpointUrl ?? arn.baseUrl).replace(/\/+$/, '')
  return {
    baseUrl,
    describe: `${baseUrl} (${arn.arn})`,
    authorize: async ({ method, url, contentType, body }) => {
      const headers = await signSageMakerRequest(signer, arn, { method, url, contentType, body, date: new Date(now()) })
      delete headers.host // undici sends the same Host itself; signing needed it, sending it twice would not help
      return headers
    }
  }
}

/**
 * Sign one request as the sagemaker-mlflow plugin's AuthBoto does: the routing header, the body
 * hash in X-Amz-Content-SHA256, and every header but the hop-by-hop ones signed. Returns all the
 * headers to send (host included, so callers can check the signature).
 */
export async function signSageMakerRequest (
  signer: SignatureV4,
  arn: SageMakerArn,
  req: { method: string, url: URL, contentType: string | undefined, body: string | undefined, date: Date }
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    host: req.url.host,
    'x-amz-content-sha256': sha256Hex(req.body ?? ''),
    [arn.routingHeader]: arn.arn
  }
  if (req.contentType !== undefined) headers['content-type'] = req.contentType
  const query: Record<string, string | string[]> = {}
  for (const [k, v] of req.url.searchParams) {
    const prev = query[k]
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  const signed = await signer.sign({
    method: req.method,
    protocol: req.url.protocol,
    hostname: req.url.hostname,
    ...(req.url.port !== '' ? { port: Number(req.url.port) } : {}),
    path: req.url.pathname,
    query,
    headers,
    ...(req.body !== undefined ? { body: req.body } : {})
  }, { signingDate: req.date })
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(signed.headers)) out[k.toLowerCase()] = v
  return out
}

/**
 * RFC 3986 query encoding: SigV4's canonical query wants `%20`, not `+`, and the bytes we send
 * must be the ones we signed.
 */
export function encodeQuery (query: Record<string, string | number | readonly string[]>): string {
  const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase())
  const parts: string[] = []
  for (const [k, v] of Object.entries(query)) {
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${enc(k)}=${enc(String(one))}`)
  }
  return parts.join('&')
}
