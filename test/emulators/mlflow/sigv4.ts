import { createHash, createHmac } from 'node:crypto'

/**
 * AWS Signature Version 4 written from the spec with node:crypto only, so tests check the sink's
 * signer (@smithy/signature-v4) against an independent computation rather than against itself.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export interface SignedRequest {
  method: string
  /** Path exactly as sent (percent-encoded), without the query. */
  rawPath: string
  /** Query string exactly as sent, without '?'. */
  rawQuery: string
  /** Header names lower-cased. */
  headers: Record<string, string | string[] | undefined>
  body: string
}

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex')
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest()
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase())

export const AUTH_SHAPE = /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;._-]+), ?Signature=([0-9a-f]{64})$/

export interface ParsedAuth { accessKeyId: string, date: string, region: string, service: string, signedHeaders: string[], signature: string }

export function parseAuthorization (value: string | undefined): ParsedAuth | undefined {
  const m = value === undefined ? null : AUTH_SHAPE.exec(value)
  if (m === null) return undefined
  return { accessKeyId: m[1] ?? '', date: m[2] ?? '', region: m[3] ?? '', service: m[4] ?? '', signedHeaders: (m[5] ?? '').split(';'), signature: m[6] ?? '' }
}

export function canonicalRequest (req: SignedRequest, signedHeaders: string[]): string {
  // Non-S3 services encode the (already encoded) path once more, segment by segment.
  const uri = req.rawPath === '' ? '/' : req.rawPath.split('/').map(rfc3986).join('/')
  const pairs = req.rawQuery === ''
    ? []
    : req.rawQuery.split('&').map(p => {
      const i = p.indexOf('=')
      const k = decodeURIComponent(i < 0 ? p : p.slice(0, i))
      const v = decodeURIComponent(i < 0 ? '' : p.slice(i + 1))
      return [rfc3986(k), rfc3986(v)] as const
    })
  pairs.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
  const query = pairs.map(([k, v]) => `${k}=${v}`).join('&')
  const headerLines = signedHeaders.map(name => {
    const v = req.headers[name]
    const value = (Array.isArray(v) ? v.join(',') : v ?? '').trim().replace(/\s+/g, ' ')
    return `${name}:${value}\n`
  }).join('')
  const payloadHeader = req.headers['x-amz-content-sha256']
  const payload = typeof payloadHeader === 'string' ? payloadHeader : sha256(req.body)
  return [req.method.toUpperCase(), uri, query, headerLines, signedHeaders.join(';'), payload].join('\n')
}

export function expectedSignature (req: SignedRequest, auth: ParsedAuth, secretAccessKey: string): { signature: string, canonical: string, stringToSign: string } {
  const amzDate = String(req.headers['x-amz-date'] ?? '')
  const canonical = canonicalRequest(req, auth.signedHeaders)
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
  const key = hmac(hmac(hmac(hmac('AWS4' + secretAccessKey, auth.date), auth.region), auth.service), 'aws4_request')
  return { signature: createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex'), canonical, stringToSign }
}

/** Why a request's signature does not verify, or undefined when it does. */
export function sigv4Problem (req: SignedRequest, expect: { service: string, region: string, secretAccessKey?: string, mustSign: string[] }): string | undefined {
  const auth = parseAuthorization(typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined)
  if (auth === undefined) return 'Missing Authentication Token'
  if (auth.service !== expect.service) return `Credential should be scoped to correct service: '${expect.service}'.`
  if (auth.region !== expect.region) return `Credential should be scoped to a valid region: '${expect.region}'.`
  const amzDate = req.headers['x-amz-date']
  if (typeof amzDate !== 'string' || !amzDate.startsWith(auth.date)) return 'X-Amz-Date missing or not matching the credential scope date'
  if (req.headers['x-amz-content-sha256'] !== sha256(req.body)) return 'X-Amz-Content-SHA256 does not match the body'
  for (const h of expect.mustSign) if (!auth.signedHeaders.includes(h)) return `header ${h} is not signed`
  if (expect.secretAccessKey !== undefined && expectedSignature(req, auth, expect.secretAccessKey).signature !== auth.signature) {
    return 'The request signature we calculated does not match the signature you provided.'
  }
  return undefined
}
