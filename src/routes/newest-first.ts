import { BadRequest } from '../errors.js'
import { decodeCursor, encodeCursor } from '../runs/run-dto.js'

/** Keyset pagination of newest-first lists (runs, jobs): the cursor is the last row's (createdAt, id). */
export interface After { createdAt: number, id: string }

const isCursor = (v: unknown): v is { c: number, i: string } =>
  typeof v === 'object' && v !== null && typeof (v as { c: unknown }).c === 'number' && typeof (v as { i: unknown }).i === 'string'

/** The `cursor` query as a position, undefined for the first page; 400 for a cursor we never issued. */
export function afterCursor (cursor: string | undefined): After | undefined {
  const after = decodeCursor(cursor, isCursor)
  if (after === null) throw new BadRequest('cursor is not one this API returned')
  return after === undefined ? undefined : { createdAt: after.c, id: after.i }
}

/** One page: the rows as the API shows them, and the cursor of the next page (null when this one is not full). */
export function newestFirstPage<R extends After, D> (rows: R[], limit: number, dto: (r: R) => D): { items: D[], nextCursor: string | null } {
  const last = rows[rows.length - 1]
  return { items: rows.map(dto), nextCursor: rows.length === limit && last !== undefined ? encodeCursor({ c: last.createdAt, i: last.id }) : null }
}
