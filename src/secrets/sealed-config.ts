import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { SecretKey } from './secret-key.js'

/** How a sealed target is stored: the whole config, encrypted, as one JSON field. */
export interface Sealed { sealed: string }

export const isSealed = (v: Record<string, unknown>): v is Record<string, unknown> & Sealed =>
  Object.keys(v).length === 1 && typeof v['sealed'] === 'string' && v['sealed'].startsWith('v1.')

/**
 * AES-256-GCM over the config's JSON, with a fresh 12-byte IV, bound to its row (`aad`, e.g.
 * `<project>/<sink>`) so a value copied to another row does not open. Stored as
 * `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url).
 */
export function seal (config: Record<string, unknown>, key: SecretKey, aad: string): Sealed {
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key.key, iv)
  c.setAAD(Buffer.from(aad, 'utf8'))
  const body = Buffer.concat([c.update(JSON.stringify(config), 'utf8'), c.final()])
  return { sealed: ['v1', key.id, iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.') }
}

export class UnsealError extends Error {
  override name = 'UnsealError'
}

/** The key id a sealed value names. */
export const sealedKeyId = (s: Sealed): string => s.sealed.split('.')[1] ?? ''

export function unseal (s: Sealed, keys: SecretKey[], aad: string): Record<string, unknown> {
  const [, keyId, iv, tag, body] = s.sealed.split('.')
  const key = keys.find(k => k.id === keyId)
  if (key === undefined || iv === undefined || tag === undefined || body === undefined) {
    throw new UnsealError(`a sink target is sealed with secret key ${String(keyId)}, which this gateway does not have: set TRACKGATE_SECRET_KEY to it (or TRACKGATE_SECRET_KEY_PREVIOUS while rotating)`)
  }
  try {
    const d = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'))
    d.setAAD(Buffer.from(aad, 'utf8'))
    d.setAuthTag(Buffer.from(tag, 'base64url'))
    return JSON.parse(Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8')) as Record<string, unknown>
  } catch {
    throw new UnsealError(`a sink target did not open with secret key ${key.id}: it was altered, or copied from another project or sink`)
  }
}
