import { codePoints, keyProblem, MAX_KEY_LENGTH } from '../../domain/limits.js'

const MAX_FILE_LENGTH = 255
const BAD_CHAR = /[^\p{L}\p{N}_/.\- ]/gu

/** Why `file` is not an acceptable event-file path relative to a logdir, else undefined. */
export function fileProblem (file: string): string | undefined {
  if (file.length === 0) return 'must not be empty'
  if (file.length > MAX_FILE_LENGTH) return `must be at most ${MAX_FILE_LENGTH} characters`
  if (file.startsWith('/') || file.includes('\\') || /^[A-Za-z]:/.test(file)) return 'must be a relative path with "/" separators'
  if (file.includes('\0')) return 'must not contain NUL'
  const parts = file.split('/')
  if (parts.some(p => p === '' || p === '.' || p === '..')) return 'must be a normalised relative path (no "..", ".", "//" or trailing "/")'
  if (!(parts[parts.length - 1] as string).includes('tfevents')) return 'must name an event file (its name contains "tfevents")'
  return undefined
}

/**
 * The key prefix for an event file: its directory relative to the logdir (the TensorBoard run),
 * with "/" after it, or '' for the logdir itself. Several writer runs in one logdir stay apart.
 */
export function runPrefix (file: string): string {
  const i = file.lastIndexOf('/')
  return i < 0 ? '' : file.slice(0, i + 1)
}

/**
 * A TensorBoard tag (with its run prefix) as a gateway key: characters the key rules refuse
 * become "_", empty, "." and ".." path segments become "_", and the key is cut to the maximum
 * length. Points are kept under the mapped key rather than dropped; two tags that differ only
 * in refused characters share a key.
 */
export function toKey (raw: string): string {
  if (keyProblem(raw) === undefined) return raw
  let parts = raw.replace(BAD_CHAR, '_').split('/').map(p => (p === '' || p === '.' || p === '..' ? '_' : p))
  let key = parts.join('/')
  if (codePoints(key) > MAX_KEY_LENGTH) {
    key = Array.from(key).slice(0, MAX_KEY_LENGTH).join('')
    parts = key.split('/').map(p => (p === '' || p === '.' || p === '..' ? '_' : p))
    key = parts.join('/')
  }
  return key
}
