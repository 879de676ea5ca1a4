import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type AdminKeySource = 'environment' | 'file' | 'minted'

/**
 * The admin key when TRACKGATE_ADMIN_KEY is not set: minted once into `<data dir>/admin.key`
 * (mode 0600) and read from there on every later start, so a restarted `npm start` keeps the
 * key the user already has. Setting TRACKGATE_ADMIN_KEY always wins.
 */
export function resolveAdminKey (configured: string | undefined, dataDir: string): { key: string, source: AdminKeySource, path: string } {
  const path = join(dataDir, 'admin.key')
  if (configured !== undefined) return { key: configured, source: 'environment', path }
  if (existsSync(path)) {
    const key = readFileSync(path, 'utf8').trim()
    if (key.length >= 32) return { key, source: 'file', path }
  }
  const key = `tga_${randomBytes(32).toString('base64url')}`
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(path, key + '\n', { mode: 0o600 })
  return { key, source: 'minted', path }
}
