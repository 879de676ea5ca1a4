import { Agent, request } from 'undici'
import { httpFailure, networkFailure } from '../http-failure.js'
import { SinkError } from '../sink-error.js'

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/**
 * The two W&B endpoints (`/graphql`, `/files/{entity}/{project}/{run}/file_stream`) over one
 * undici Agent, with Basic auth `api:<key>` (reference §1.1). The key is only ever in the
 * Authorization header; every message that leaves this module goes through `redact`.
 */
export class WandbClient {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000 })
  private readonly auth: string
  private readonly secrets: string[]

  constructor (private readonly baseUrl: string, apiKey: string, private readonly timeoutMs: number) {
    const token = Buffer.from(`api:${apiKey}`).toString('base64')
    this.auth = `Basic ${token}`
    this.secrets = [apiKey, token].filter((s) => s.length > 0)
  }

  redact (text: string): string {
    let out = text
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]')
    return out
  }

  async post (path: string, body: string, signal: AbortSignal): Promise<HttpAnswer> {
    try {
      const res = await request(this.baseUrl + path, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { authorization: this.auth, 'content-type': 'application/json', 'user-agent': 'trackgate-wandb-sink' },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)])
      })
      const text = await res.body.text()
      return { status: res.statusCode, headers: res.headers, text }
    } catch (err) {
      const failure = networkFailure(err)
      throw new SinkError(failure.code, this.redact(`W&B ${path}: ${failure.message}`))
    }
  }

  /** A non-2xx answer as a named sink failure (the shared classification table), redacted. */
  failure (answer: HttpAnswer, what: string): SinkError {
    const failure = httpFailure(answer.status, answer.headers, this.redact(`W&B ${what}: ${answer.text}`))
    return new SinkError(failure.code, failure.message, {
      status: answer.status,
      ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {})
    })
  }

  /**
   * One GraphQL operation. GraphQL errors usually come back as HTTP 200 with `errors` (reference
   * §1.3); they are classified by message since the server gives no codes.
   */
  async graphql<T> (operationName: string, query: string, variables: Record<string, unknown> | undefined, signal: AbortSignal): Promise<{ data: T, answer: HttpAnswer }> {
    const answer = await this.post('/graphql', JSON.stringify({ operationName, query, ...(variables !== undefined ? { variables } : {}) }), signal)
    let parsed: { data?: T, errors?: Array<{ message?: string }> } | undefined
    try {
      parsed = JSON.parse(answer.text)
    } catch {
      parsed = undefined
    }
    const message = parsed?.errors?.map((e) => e.message ?? '').join('; ')
    if (answer.status < 200 || answer.status >= 300) {
      // Go retries a 409 on upsertBucket: concurrent creates of one run ID race (wandb#9871).
      if (answer.status === 409) return this.raise('TG_SINK_UNAVAILABLE', answer, operationName, message)
      throw this.failure(answer, operationName)
    }
    if (message !== undefined && message !== '') {
      if (/duplicate entry|conflict/i.test(message)) return this.raise('TG_SINK_UNAVAILABLE', answer, operationName, message)
      if (/permission|unauthori[sz]ed|forbidden|not allowed/i.test(message)) return this.raise('TG_SINK_AUTH', answer, operationName, message)
      // Anything else concerns the run as a whole, not a record: park it rather than bisect.
      return this.raise('TG_SINK_GONE', answer, operationName, message)
    }
    if (parsed?.data === undefined || parsed.data === null) return this.raise('TG_SINK_UNAVAILABLE', answer, operationName, 'no data in GraphQL answer')
    return { data: parsed.data, answer }
  }

  private raise (code: SinkError['code'], answer: HttpAnswer, op: string, message: string | undefined): never {
    throw new SinkError(code, this.redact(`W&B ${op}: HTTP ${answer.status}: ${(message ?? answer.text).slice(0, 500)}`), { status: answer.status })
  }

  async close (): Promise<void> {
    await this.agent.close()
  }
}
