import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A 32-byte AES-256 key and its id (the first 8 hex digits of its SHA-256), which sealed values name. */
export interface SecretKey { id: string, key: Buffer }

export class SecretKeyError extends Error {
  override name = 'SecretKeyError'
}

/** 32 bytes as 64 hex digits or base64 (what `openssl rand -hex 32` / `-base64 32` print). */
export function parseSecretKey (text: string, where: string): SecretKey {
  const t = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (key.length !== 32) throw new SecretKeyError(`${where} must hold 32 bytes as 64 hex digits or base64 (openssl rand -hex 32)`)
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key }
}

export interface SecretKeySources { key?: string, keyFile?: string, previousKey?: string, dataDir: string }

/**
 * The key that seals sink secrets at rest: TRACKGATE_SECRET_KEY, else the file at
 * TRACKGATE_SECRET_KEY_FILE, else `<dataDir>/secret.key`, minted (0600) on first start like the
 * admin key. Replicas must share one key (set it in their environment). The previous key
 * (TRACKGATE_SECRET_KEY_PREVIOUS), when set, only opens values sealed before a rotation.
 */
export function loadSecretKeys (s: SecretKeySources): { current: SecretKey, previous?: SecretKey } {
  let current: SecretKey
  if (s.key !== undefined) current = parseSecretKey(s.key, 'TRACKGATE_SECRET_KEY')
  else if (s.keyFile !== undefined) current = parseSecretKey(readFile(s.keyFile), `TRACKGATE_SECRET_KEY_FILE (${s.keyFile})`)
  else {
    const file = join(s.dataDir, 'secret.key')
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      text = randomBytes(32).toString('hex')
      mkdirSync(s.dataDir, { recursive: true })
      writeFileSync(file, text + '\n', { mode: 0o600, flag: 'wx' })
    }
    current = parseSecretKey(text, file)
  }
  return { current, ...(s.previousKey !== undefined && { previous: parseSecretKey(s.previousKey, 'TRACKGATE_SECRET_KEY_PREVIOUS') }) }
}

function readFile (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new SecretKeyError(`TRACKGATE_SECRET_KEY_FILE (${path}) cannot be read: ${(err as Error).message}`)
  }
}
