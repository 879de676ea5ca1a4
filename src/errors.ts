import createError from '@fastify/error'

/**
 * Every error the API answers with, by code. The body is always
 * `{ statusCode, code, error, message }` (see plugins/errors.ts); 5xx messages are hidden.
 */

// Request shape
export const BadRequest = createError('TG_BAD_REQUEST', '%s', 400)
export const InvalidKey = createError('TG_INVALID_KEY', '%s', 400)
export const InvalidValue = createError('TG_INVALID_VALUE', '%s', 400)
export const TooManyMetrics = createError('TG_TOO_MANY_METRICS', 'a batch may hold at most %s metrics (got %s); split it', 413)
export const TfeventsMediaType = createError('TG_UNSUPPORTED_MEDIA_TYPE', 'send the event file bytes as application/octet-stream (got %s)', 415)
export const TooManyItems = createError('TG_TOO_MANY_ITEMS', 'a batch may hold at most %s %s (got %s)', 413)

// Auth
export const Unauthorized = createError('TG_UNAUTHORIZED', 'missing or invalid credentials: send Authorization: Bearer <key> with a project key (POST /v1/projects/{id}/keys) or the run\'s callback token', 401)
export const Forbidden = createError('TG_FORBIDDEN', '%s', 403)

// Resources
export const NotFound = createError('TG_NOT_FOUND', '%s not found', 404)
export const RunNotFound = createError('TG_NOT_FOUND', 'run %s not found in this key\'s project: check the id, or list the project\'s runs with GET /v1/runs', 404)
export const ParamConflict = createError('TG_PARAM_CONFLICT', 'param %s is already %s and params are immutable (got %s): log the new value under another key, or start a new run', 409)
export const RunEnded = createError('TG_RUN_ENDED', 'run %s has ended (%s) and accepts no more records: create a new run (POST /v1/runs) for more', 409)
export const TfeventsOffsetMismatch = createError('TG_TFEVENTS_OFFSET',
  'upload of %s starts at byte %s but the gateway has consumed up to byte %s of that file: send it from there (also in the x-trackgate-consumed header)', 409)
export const Conflict = createError('TG_CONFLICT', '%s', 409)
export const SinkNotConfigured = createError('TG_SINK_NOT_CONFIGURED', 'sink %s has no target for this project: set one with PUT /v1/projects/{id}/targets/%s or in the gateway\'s environment', 400)
export const UnknownSink = createError('TG_UNKNOWN_SINK', 'sink %s is not configured on this gateway (configured: %s): pick one of those, or set the sink up (README, "Sinks")', 400)

// Capacity
export const Backpressure = createError('TG_BACKPRESSURE', 'the gateway is behind (%s); retry after %s s', 429)
export const ShuttingDown = createError('TG_SHUTTING_DOWN', 'the gateway is shutting down; retry shortly', 503)
export const StoreFull = createError('TG_STORE_FULL', 'the store is full; nothing was stored', 507)
