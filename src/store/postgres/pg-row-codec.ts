/**
 * Rows of the jobs and tuning tables as the objects they store: a column is its field's name in
 * snake_case, `json` fields are JSON text (null stays NULL), everything else is stored as is
 * (BOOLEAN, BIGINT read as numbers, DOUBLE PRECISION).
 */
const snake = (field: string): string => field.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)
const camel = (column: string): string => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

export class RowCodec<T, P extends object> {
  private readonly json: ReadonlySet<string>
  private readonly patchable: ReadonlySet<string>

  /** `patchable` names every field a patch may set (a Record, so a new patch field is not forgotten). */
  constructor (json: ReadonlyArray<keyof T & string>, patchable: Record<keyof P & string, true>) {
    this.json = new Set(json)
    this.patchable = new Set(Object.keys(patchable))
  }

  decode (row: Record<string, unknown>): T {
    const out: Record<string, unknown> = {}
    for (const [column, v] of Object.entries(row)) {
      const field = camel(column)
      out[field] = this.json.has(field) && typeof v === 'string' ? JSON.parse(v) : v
    }
    return out as T
  }

  encode (field: string, v: unknown): unknown {
    return this.json.has(field) && v !== null ? JSON.stringify(v) : v
  }

  /** `SET` assignments ($1, $2, …) and their values for the patch's defined fields; unknown keys are refused. */
  assignments (patch: P): { sets: string[], values: unknown[] } {
    const sets: string[] = []
    const values: unknown[] = []
    for (const [field, v] of Object.entries(patch)) {
      if (v === undefined) continue
      if (!this.patchable.has(field)) throw new Error(`not a patchable field: ${field}`)
      values.push(this.encode(field, v))
      sets.push(`${snake(field)} = $${values.length}`)
    }
    return { sets, values }
  }

  /** `UPDATE table SET <patch>, updated_at = now WHERE id = … RETURNING *`. */
  update (table: string, id: string, patch: P, now: number): { text: string, values: unknown[] } {
    const { sets, values } = this.assignments(patch)
    values.push(now, id)
    sets.push(`updated_at = $${values.length - 1}`)
    return { text: `UPDATE ${table} SET ${sets.join(', ')} WHERE id = $${values.length} RETURNING *`, values }
  }
}
