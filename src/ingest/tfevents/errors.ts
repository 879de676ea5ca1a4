import createError from '@fastify/error'

// Kept beside the route until src/errors.ts (not this change's file) takes it over.
export const TfeventsOffsetMismatch = createError('TG_TFEVENTS_OFFSET',
  'upload of %s starts at byte %s but the gateway has consumed up to byte %s of that file: send it from there (also in the x-trackgate-consumed header)', 409)
export const TfeventsMediaType = createError('TG_UNSUPPORTED_MEDIA_TYPE', 'send the event file bytes as application/octet-stream (got %s)', 415)
