/** How each field of a patch is stored: its column, and how its value is encoded. */
export type PatchColumns<P> = Record<keyof P, [string, (v: unknown) => unknown]>

/** `SET` assignments and their values for the defined fields of `patch` (undefined leaves a field as it is). */
export function patchAssignments<P extends object> (columns: PatchColumns<P>, patch: P): { sets: string[], values: unknown[] } {
  const sets: string[] = []
  const values: unknown[] = []
  for (const [k, v] of Object.entries(patch) as Array<[keyof P, unknown]>) {
    if (v === undefined) continue
    const [col, enc] = columns[k]
    sets.push(`${col} = ?`)
    values.push(enc(v))
  }
  return { sets, values }
}
