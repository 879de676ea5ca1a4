import { createHash } from 'node:crypto'
import t from 'tap'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import { encodeQuery, parseSageMakerArn, signSageMakerRequest } from '../../../src/sinks/mlflow/auth.js'
import { createMlflowSink } from '../../../src/sinks/mlflow/index.js'
import { expectedSignature, parseAuthorization, startMlflowEmulator } from '../../emulators/mlflow/index.js'
import { addressed, Partition, points, sinkRun } from './helpers.js'

const ARN = 'arn:aws:sagemaker:us-west-2:123456789012:mlflow-tracking-server/my-server'
const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const sha = (s: string): string => createHash('sha256').update(s).digest('hex')

t.test('the independent verifier reproduces the AWS documentation example (IAM ListUsers)', async t => {
  const req = {
    method: 'GET',
    rawPath: '/',
    rawQuery: 'Action=ListUsers&Version=2010-05-08',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', host: 'iam.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
    body: ''
  }
  const auth = { accessKeyId: 'AKIDEXAMPLE', date: '20150830', region: 'us-east-1', service: 'iam', signedHeaders: ['content-type', 'host', 'x-amz-date'], signature: '' }
  const out = expectedSignature(req, auth, CREDS.secretAccessKey)
  t.equal(sha(out.canonical), 'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59')
  t.equal(out.signature, '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7')
})

t.test('ARN → host, service and routing header (aws/sagemaker-mlflow rules)', async t => {
  t.match(parseSageMakerArn(ARN), { region: 'us-west-2', baseUrl: 'https://us-west-2.experiments.sagemaker.aws', service: 'sagemaker-mlflow', routingHeader: 'x-mlflow-sm-tracking-server-arn' })
  t.match(parseSageMakerArn('arn:aws:sagemaker:eu-west-1:1:mlflow-app/app-abc'), { baseUrl: 'https://mlflow.sagemaker.eu-west-1.app.aws', service: 'sagemaker', routingHeader: 'x-sm-mlflow-app-arn' })
  t.match(parseSageMakerArn('arn:aws-us-gov:sagemaker:us-gov-west-1:1:mlflow-tracking-server/s'), { baseUrl: 'https://us-gov-west-1.experiments.sagemaker.aws' })
  t.throws(() => parseSageMakerArn('arn:aws-cn:sagemaker:cn-north-1:1:mlflow-tracking-server/s'))
  t.throws(() => parseSageMakerArn('arn:aws:s3:us-west-2:1:mlflow-tracking-server/s'))
  t.throws(() => parseSageMakerArn('arn:aws:sagemaker:us-west-2:1:training-job/x'))
})

t.test('fixed clock and credentials: the signed POST and GET verify against the node:crypto computation', async t => {
  const arn = parseSageMakerArn(ARN)
  const signer = new SignatureV4({ service: arn.service, region: arn.region, credentials: { ...CREDS, sessionToken: 'session-tok' }, sha256: Hash.bind(null, 'sha256') })
  const date = new Date(Date.UTC(2026, 10, 26, 10, 0, 0))
  const body = JSON.stringify({ run_id: 'abc', metrics: [{ key: 'loss', value: 0.5, timestamp: 1700000000000, step: 1 }] })
  const post = new URL('https://us-west-2.experiments.sagemaker.aws/api/2.0/mlflow/runs/log-batch')
  const headers = await signSageMakerRequest(signer, arn, { method: 'POST', url: post, contentType: 'application/json', body, date })
  t.equal(headers['x-amz-date'], '20261126T100000Z')
  t.equal(headers['x-amz-content-sha256'], sha(body))
  t.equal(headers['x-amz-security-token'], 'session-tok')
  t.equal(headers['x-mlflow-sm-tracking-server-arn'], ARN)
  const auth = parseAuthorization(headers.authorization)
  t.match(auth, { accessKeyId: 'AKIDEXAMPLE', date: '20261126', region: 'us-west-2', service: 'sagemaker-mlflow' })
  t.same(auth?.signedHeaders, ['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token', 'x-mlflow-sm-tracking-server-arn'])
  const mine = expectedSignature({ method: 'POST', rawPath: post.pathname, rawQuery: '', headers, body }, auth!, CREDS.secretAccessKey)
  t.equal(auth?.signature, mine.signature)
  t.match(mine.canonical, /^POST\n\/api\/2\.0\/mlflow\/runs\/log-batch\n\ncontent-type:application\/json\nhost:us-west-2\.experiments\.sagemaker\.aws\n/)

  const get = new URL('https://us-west-2.experiments.sagemaker.aws/api/2.0/mlflow/experiments/get-by-name')
  get.search = encodeQuery({ experiment_name: "brain seg (v2)+'x'" })
  t.equal(get.search, '?experiment_name=brain%20seg%20%28v2%29%2B%27x%27', 'spaces as %20, RFC 3986')
  const gh = await signSageMakerRequest(signer, arn, { method: 'GET', url: get, contentType: undefined, body: undefined, date })
  const ga = parseAuthorization(gh.authorization)!
  t.equal(gh['x-amz-content-sha256'], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  t.equal(ga.signature, expectedSignature({ method: 'GET', rawPath: get.pathname, rawQuery: get.search.slice(1), headers: gh, body: '' }, ga, CREDS.secretAccessKey).signature)
  t.equal(expectedSignature({ method: 'GET', rawPath: get.pathname, rawQuery: get.search.slice(1), headers: gh, body: '' }, ga, 'other-secret').signature === ga.signature, false)
})

t.test('SageMaker mode end to end: every request on the wire is signed and verifies', async t => {
  const emu = await startMlflowEmulator({ auth: { sigv4: { region: 'us-west-2', arn: ARN, secretAccessKey: CREDS.secretAccessKey } } })
  const sink = createMlflowSink({ trackingUri: ARN, endpointUrl: emu.url, credentials: async () => CREDS })
  t.teardown(async () => { await sink.close?.(); await emu.close() })
  const p = new Partition(sink, sinkRun({ experiment: 'brain seg (v2)' }))
  await p.deliver(addressed([...points(1500, 4), { kind: 'status', status: 'FINISHED', timestamp: 1 }]))
  t.equal(emu.pointCount(), 1500)
  t.ok(emu.requests.every(r => r.status !== 403 && r.status !== 401), 'the emulator verified every signature')
  for (const r of emu.requests) {
    const auth = parseAuthorization(r.headers.authorization as string)!
    const q = r.query.experiment_name !== undefined ? encodeQuery(r.query) : ''
    const mine = expectedSignature({ method: r.method, rawPath: r.path, rawQuery: q, headers: r.headers, body: r.rawBody }, auth, CREDS.secretAccessKey)
    t.equal(auth.signature, mine.signature, `${r.method} ${r.rpc}`)
  }
  t.match((p.state as { target: string }).target, ARN)

  const wrong = createMlflowSink({ trackingUri: ARN, endpointUrl: emu.url, credentials: async () => ({ ...CREDS, secretAccessKey: 'wrong-secret-value' }) })
  t.teardown(() => wrong.close?.())
  const err = await new Partition(wrong, sinkRun({ id: 'r2' })).deliver(addressed(points(1))).catch((e: unknown) => e)
  t.match(err, { code: 'TG_SINK_AUTH', status: 403 })
  t.notMatch(String((err as Error).message), 'wrong-secret-value')
  const wrongService = await startMlflowEmulator({ auth: { sigv4: { region: 'us-west-2', arn: ARN, service: 'sagemaker' } } })
  const s3 = createMlflowSink({ trackingUri: ARN, endpointUrl: wrongService.url, credentials: async () => CREDS })
  t.teardown(async () => { await s3.close?.(); await wrongService.close() })
  t.match(await new Partition(s3, sinkRun()).deliver(addressed(points(1))).catch((e: unknown) => e), { code: 'TG_SINK_AUTH' })
})
