import { createHash, randomBytes, randomUUID } from 'node:crypto'

export const newId = (): string => randomUUID()

/** A bearer secret: prefix + 32 random bytes, base64url (256 bits; a plain SHA-256 is a safe store for it). */
export const newSecret = (prefix: string): string => `${prefix}_${randomBytes(32).toString('base64url')}`

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex')
