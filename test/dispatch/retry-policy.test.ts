import t from 'tap'
import { backoffMs, classifyFailure, defaultRetryPolicy, nextAttemptDelay } from '../../src/dispatch/retry-policy.js'
import { parseRetryAfter } from '../../src/dispatch/retry-after.js'
import { SinkError } from '../../src/sinks/sink-error.js'
import { httpFailure } from '../../src/sinks/http-failure.js'

const policy = defaultRetryPolicy(1000, 30000)

t.test('back-off grows ×2 from the initial interval up to the cap, within ±50% jitter', async t => {
  const expected = [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
  expected.forEach((base, i) => {
    const attempts = i + 1
    t.equal(backoffMs(policy, attempts, () => 0), base * 0.5, `attempt ${attempts} low`)
    t.equal(backoffMs(policy, attempts, () => 1), base * 1.5, `attempt ${attempts} high`)
    t.equal(backoffMs(policy, attempts, () => 0.5), base, `attempt ${attempts} middle`)
  })
  for (let i = 0; i < 1000; i++) {
    const v = backoffMs(policy, 3)
    t.ok(v >= 2000 && v <= 6000, 'random jitter stays in bounds') || t.fail(String(v))
  }
})

t.test('Retry-After is a floor, with a ceiling', async t => {
  t.equal(nextAttemptDelay(policy, 1, 5000, () => 0.5), 5000, 'larger Retry-After wins')
  t.equal(nextAttemptDelay(policy, 4, 100, () => 0.5), 8000, 'smaller Retry-After does not shorten back-off')
  t.equal(nextAttemptDelay(policy, 1, 10 * 86400_000, () => 0.5), 3600_000, 'ceiling')
})

t.test('Retry-After parses seconds and HTTP dates (fake clock)', async t => {
  const now = Date.parse('2026-11-26T12:00:00Z')
  t.equal(parseRetryAfter('2', now), 2000)
  t.equal(parseRetryAfter(' 0 ', now), 0)
  t.equal(parseRetryAfter('1.5', now), 1500)
  t.equal(parseRetryAfter('Thu, 26 Nov 2026 12:00:30 GMT', now), 30000)
  t.equal(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now), 0, 'a past date means now')
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter(undefined, now), undefined)
  t.equal(parseRetryAfter(['3', '9'], now), 3000)
})

t.test('one classification table', async t => {
  const h = (status: number, headers: Record<string, string> = {}) => classifyFailure(httpFailure(status, headers, 'x'), false)
  t.match(h(429, { 'retry-after': '7' }), { action: 'retry', code: 'TG_SINK_THROTTLED', retryAfterMs: 7000 })
  t.match(h(429), { action: 'retry', code: 'TG_SINK_THROTTLED', retryAfterMs: undefined })
  t.match(h(503, { 'retry-after': '1' }), { action: 'retry', code: 'TG_SINK_THROTTLED', retryAfterMs: 1000 })
  for (const s of [500, 502, 503, 504, 408]) t.match(h(s), { action: 'retry', code: 'TG_SINK_UNAVAILABLE' }, String(s))
  for (const s of [401, 403]) t.match(h(s), { action: 'pause', code: 'TG_SINK_AUTH' }, String(s))
  for (const s of [400, 404, 409, 413, 422]) t.match(h(s), { action: 'reject', code: 'TG_SINK_REJECTED' }, String(s))
  t.match(classifyFailure(new SinkError('TG_SINK_GONE', 'run deleted'), false), { action: 'pause' })
  t.match(classifyFailure(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), false), { action: 'retry' })
  t.match(classifyFailure(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }), false), { action: 'retry' })
  t.match(classifyFailure(new TypeError('cannot encode'), false), { action: 'reject', code: 'TG_SINK_ENCODE' })
  t.match(classifyFailure(new SinkError('TG_SINK_UNAVAILABLE', 'x'), true), { action: 'shutdown' }, 'an aborted send is not a failure')
  t.notMatch(httpFailure(401, {}, 'bad key abc').message, /Bearer/, 'no credentials in the message')
})
