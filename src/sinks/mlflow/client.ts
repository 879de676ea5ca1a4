import { Agent, request } from 'undici'
import { httpFailure, networkFailure } from '../http-failure.js'
import { SinkError } from '../sink-error.js'
import { encodeQuery, type MlflowTarget } from './auth.js'

/** MLflow's `{error_code, message}` answer, kept as the `cause` of the SinkError we throw. */
export class MlflowApiError extends Error {
  readonly status: number
  readonly errorCode: string

  constructor (status: number, errorCode: string, message: string) {
    super(message)
    this.name = 'MlflowApiError'
    this.status = status
    this.errorCode = errorCode
  }
}

/** The MLflow error behind a thrown SinkError, if the server sent one. */
export function mlflowErrorOf (err: unknown): MlflowApiError | undefined {
  const cause = err instanceof SinkError ? err.cause : undefined
  return cause instanceof MlflowApiError ? cause : undefined
}

// A write to a soft-deleted run (or into a deleted experiment) is a 400 INVALID_PARAMETER_VALUE on
// real servers; treated as a record rejection it would dead-letter the whole run, so it is "gone".
const NOT_ACTIVE = /must be in the 'active' state/

export interface MlflowClient {
  get<T>(rpc: string, query: Record<string, string | number | readonly string[]>, signal: AbortSignal): Promise<T>
  post<T>(rpc: string, body: unknown, signal: AbortSignal): Promise<T>
  /** HTTP requests sent so far (for metrics and the bench). */
  readonly sent: number
  close (): Promise<void>
}

export function createMlflowClient (target: MlflowTarget, opts: { requestTimeoutMs: number }): MlflowClient {
  // Our own retries are persisted by the dispatcher, so no retry interceptor here; keep-alive
  // matters (MLflow users report a TLS handshake per call as the main cost).
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 })
  let sent = 0

  async function call<T> (method: 'GET' | 'POST', rpc: string, url: URL, body: string | undefined, outer: AbortSignal): Promise<T> {
    const contentType = body === undefined ? undefined : 'application/json'
    const headers = await target.authorize({ method, url, contentType, body })
    if (contentType !== undefined) headers['content-type'] = contentType
    const signal = AbortSignal.any([outer, AbortSignal.timeout(opts.requestTimeoutMs)])
    let status: number
    let resHeaders: Record<string, string | string[] | undefined>
    let text: string
    sent++
    try {
      const res = await request(url, { method, headers, body, signal, dispatcher: agent })
      status = res.statusCode
      resHeaders = res.headers
      text = await res.body.text()
    } catch (err) {
      throw networkFailure(err)
    }
    if (status >= 200 && status < 300) {
      if (text.trim() === '') return {} as T
      try { return JSON.parse(text) as T } catch (err) { throw networkFailure(err) } // a truncated 200 is a transport fault
    }
    throw failure(rpc, status, resHeaders, text)
  }

  return {
    get sent () { return sent },
    get: async (rpc, query, signal) => {
      const url = new URL(`${target.baseUrl}/api/2.0/mlflow/${rpc}`)
      url.search = encodeQuery(query)
      return await call('GET', rpc, url, undefined, signal)
    },
    post: async (rpc, body, signal) =>
      await call('POST', rpc, new URL(`${target.baseUrl}/api/2.0/mlflow/${rpc}`), JSON.stringify(body), signal),
    close: async () => { await agent.close() }
  }
}

function failure (rpc: string, status: number, headers: Record<string, string | string[] | undefined>, text: string): SinkError {
  let code = ''
  let message = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300) // HTML error pages on 500/404
  try {
    const json = JSON.parse(text) as { error_code?: unknown, message?: unknown }
    if (typeof json.error_code === 'string') code = json.error_code
    if (typeof json.message === 'string') message = json.message
  } catch {}
  const api = new MlflowApiError(status, code, message)
  const detail = `${rpc}: ${code === '' ? '' : code + ': '}${message}`
  if ((status === 404 && code === 'RESOURCE_DOES_NOT_EXIST' && (rpc.startsWith('runs/') || rpc.startsWith('metrics/'))) ||
      (status === 400 && code === 'INVALID_PARAMETER_VALUE' && NOT_ACTIVE.test(message))) {
    return new SinkError('TG_SINK_GONE', detail.slice(0, 500), { status, cause: api })
  }
  const err = httpFailure(status, headers, detail)
  return new SinkError(err.code, err.message, {
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    cause: api
  })
}
