import type { FastifyServerOptions } from 'fastify'

/**
 * Secrets never reach the logs: authorization headers are redacted, and the request log line
 * carries the path without its query string. Tokens and keys only travel in headers and in the
 * one answer that creates them, which is not logged.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  '*.token', '*.key', '*.apiKey', '*.password', '*.secret', '*.accessKeyId', '*.secretAccessKey', '*.sessionToken'
]

export function loggerOptions (level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string, url: string, id: string, ip?: string }) => ({ method: req.method, url: req.url.split('?')[0], id: req.id, ip: req.ip })
    },
    ...(stream === undefined ? {} : { stream })
  } as FastifyServerOptions['logger']
}
