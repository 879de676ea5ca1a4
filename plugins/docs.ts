import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

/** OpenAPI document generated from the routes' TypeBox schemas, and Swagger UI at /docs. */
export default fp(async function docsPlugin (app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'trackgate',
        version: '0.1.0',
        description: 'Training gateway: runs, durable metric ingest, fan-out to TensorBoard, MLflow and W&B. ' +
          'Every error answer is `{statusCode, code, error, message}`.'
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A project API key (tgk_…), the gateway admin key, or a run callback token (tgr_…) where noted' }
        }
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'projects' }, { name: 'runs' }, { name: 'ingest' }, { name: 'sinks' }, { name: 'jobs' },
        { name: 'tuning', description: 'Hyperparameter searches: SageMaker Automatic Model Tuning or a local search; every trial is a job with its own run' },
        { name: 'operations' }
      ]
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'docs', dependencies: ['errors'] })
