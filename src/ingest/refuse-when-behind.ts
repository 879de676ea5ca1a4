import type { FastifyInstance } from 'fastify'
import type { PressureReading } from './backpressure.js'

/**
 * Every ingest route's back-pressure gate (native batches, event-file uploads, MLflow writes):
 * while the gateway is over a high-water mark the request is counted as refused and `refusal`
 * (the route's own 429, with its Retry-After) is thrown before anything is parsed or stored.
 */
export function refuseWhenBehind (app: FastifyInstance, refusal: (p: PressureReading) => Error): void {
  const pressure = app.backpressure.current()
  if (!pressure.over) return
  app.metricsRegistry.inc('trackgate_ingest_rejected_total', { reason: 'backpressure' })
  throw refusal(pressure)
}
