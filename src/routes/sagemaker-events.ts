import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { createHash, timingSafeEqual } from 'node:crypto'
import { errors } from './schemas/common.js'
import { SageMakerEventAnswer, SageMakerEventBody, SageMakerEventHeaders } from './schemas/jobs.js'
import { NotFound, Unauthorized } from '../errors.js'
import type { TrainingJobStateChangeEvent } from '../launch/sagemaker/job-status.js'

export const EVENTS_SECRET_HEADER = 'x-trackgate-eventbridge-secret'

/** Equal-length digests, so the comparison takes the same time whatever the guess. */
const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * The EventBridge webhook (an API destination with the shared secret in a header). Events may
 * repeat and arrive out of order: the tracker drops duplicates by state key and older states.
 */
const sagemakerEventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const secret = app.config.launch.eventsSecret
  const expected = secret === undefined ? undefined : digest(secret)

  app.post('/v1/events/sagemaker', {
    schema: {
      tags: ['jobs'],
      summary: 'EventBridge "SageMaker Training Job State Change" webhook (shared secret in x-trackgate-eventbridge-secret)',
      security: [],
      headers: SageMakerEventHeaders,
      body: SageMakerEventBody,
      response: { 200: SageMakerEventAnswer, ...errors(400, 401, 404) }
    }
  }, async (request) => {
    if (expected === undefined) throw new NotFound('the EventBridge webhook (set TRACKGATE_EVENTS_SECRET to enable it)')
    const given = request.headers[EVENTS_SECRET_HEADER]
    if (given === undefined || !timingSafeEqual(digest(given), expected)) throw new Unauthorized()
    const outcome = await app.sagemakerTracker.onEvent(request.body as TrainingJobStateChangeEvent)
    if (outcome === 'applied') request.log.info({ trainingJobName: (request.body.detail as { TrainingJobName?: string } | undefined)?.TrainingJobName }, 'SageMaker event applied')
    return { outcome }
  })
}

export default sagemakerEventRoutes
