import type { Run } from '../store/store.js'

/** A run as the API shows it: never its token hash. */
export const runDto = (r: Run) => ({
  id: r.id,
  name: r.name,
  experiment: r.experiment,
  status: r.status,
  tags: r.tags,
  jobName: r.jobName,
  parentRunId: r.parentRunId,
  group: r.group,
  headSeq: r.headSeq,
  createdAt: new Date(r.createdAt).toISOString(),
  endedAt: r.endedAt === null ? null : new Date(r.endedAt).toISOString()
})

/** Opaque pagination cursors: base64url JSON, validated on the way back in. */
export function encodeCursor (v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url')
}

export function decodeCursor<T> (s: string | undefined, check: (v: unknown) => v is T): T | undefined | null {
  if (s === undefined) return undefined
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'))
    return check(v) ? v : null
  } catch {
    return null
  }
}
