import { closeSync, openSync, readFileSync, readSync, fstatSync } from 'node:fs'

/**
 * The wrapper shell: runs the trainer in the foreground and writes its exit code to a file, so a
 * gateway that restarted while the trainer ran still learns how it ended. `trap :` (not `trap ''`)
 * keeps TERM/INT at their defaults in the trainer while the shell itself waits it out.
 */
export const WRAPPER = 'trap : TERM INT; "$@"; c=$?; echo "$c" > "$TRACKGATE_EXIT_FILE"; exit "$c"'

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): tells our process from a re-used pid. */
export function processStart (pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? null
  } catch {
    return null
  }
}

/** Alive and (where the OS tells) the same process we started. A zombie counts as gone. */
export function isSameProcess (pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false
  } catch { return start === null }
  return start === null || processStart(pid) === start
}

/** Signals the trainer's whole process group (wrapper shell, python, torchrun workers). */
export function signalGroup (pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    try { process.kill(pid, signal); return true } catch { return false }
  }
}

export function readExitCode (path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim())
    return Number.isInteger(n) ? n : null
  } catch {
    return null
  }
}

const TOKEN = /tgr_[A-Za-z0-9_-]{20,}/g

/** The last lines of the trainer's log for a failure reason (tokens masked, should one be printed). */
export function logTail (path: string, lines = 15, maxChars = 1500): string {
  let fd: number
  try { fd = openSync(path, 'r') } catch { return '' }
  try {
    const size = fstatSync(fd).size
    const len = Math.min(size, 16384)
    const buf = Buffer.alloc(len)
    readSync(fd, buf, 0, len, size - len)
    const text = buf.toString('utf8').replace(TOKEN, 'tgr_[redacted]').split('\n').filter(l => l.trim() !== '').slice(-lines).join('\n')
    return text.length > maxChars ? '…' + text.slice(-maxChars) : text
  } finally {
    closeSync(fd)
  }
}
