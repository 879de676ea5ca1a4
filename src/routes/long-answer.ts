import type { EventEmitter } from 'node:events'
import type { FastifyReply } from 'fastify'

export interface LongAnswer { write: (s: string) => void, end: () => void, ended: () => boolean }

/**
 * A long-lived text answer (SSE, followed logs) that ends when the client goes, when `closing`
 * emits 'close' (the gateway shuts down), or when `end` is called.
 */
export function longAnswer (reply: FastifyReply, contentType: string, closing: EventEmitter, onEnd: () => void): LongAnswer {
  reply.hijack()
  const raw = reply.raw
  raw.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' })
  let done = false
  const end = (): void => {
    if (done) return
    done = true
    closing.off('close', end)
    onEnd()
    raw.end()
  }
  closing.on('close', end)
  raw.on('close', end)
  return { write: s => { if (!done) raw.write(s) }, end, ended: () => done }
}
