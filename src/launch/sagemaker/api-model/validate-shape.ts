import type { ApiModel, Shape } from './model-types.js'

/**
 * A generic walker over a botocore service model: checks a JSON value against a shape the way
 * the service's front end does (required, type, length, range, pattern, enum, list/map sizes).
 * Used by the gateway before calling AWS and by the test emulator on every request, so both
 * read their constraints from the model instead of hand-copied numbers.
 */
export type PathSegment = string | number

export interface ShapeIssue {
  /** Member names, list indices (0-based) and map keys from the root input shape. */
  path: PathSegment[]
  kind: 'required' | 'type' | 'length' | 'range' | 'pattern' | 'enum' | 'unknown-member'
  /** Whether the issue is about a map key rather than the value at `path`. */
  mapKey?: boolean
  value?: unknown
  /** AWS-style constraint text, e.g. "Member must have length less than or equal to 63". */
  constraint: string
}

export interface ValidateOptions {
  /** Report members the shape does not declare (the real service ignores them; we catch typos). */
  rejectUnknownMembers?: boolean
}

const regexCache = new Map<string, RegExp>()

/**
 * Model patterns are unanchored Smithy/Java regexes; the service matches the whole value. Java's
 * POSIX classes (`\p{Alnum}`) have no JS equivalent under the `u` flag, so they are spelled out.
 */
export function modelPattern (pattern: string): RegExp {
  let re = regexCache.get(pattern)
  if (re === undefined) {
    const js = pattern
      .replaceAll('\\p{Alnum}', 'a-zA-Z0-9')
      .replaceAll('\\p{Alpha}', 'a-zA-Z')
      .replaceAll('\\p{Digit}', '0-9')
    re = new RegExp(`^(?:${js})$`, 'u')
    regexCache.set(pattern, re)
  }
  return re
}

export function validateShape (model: ApiModel, shapeName: string, value: unknown, opts: ValidateOptions = {}): ShapeIssue[] {
  const issues: ShapeIssue[] = []
  walk(model, shapeName, value, [], issues, opts)
  return issues
}

function walk (model: ApiModel, shapeName: string, value: unknown, path: PathSegment[], out: ShapeIssue[], opts: ValidateOptions): void {
  const shape = model.shapes[shapeName]
  if (shape === undefined) throw new Error(`API model has no shape ${shapeName}`)
  switch (shape.type) {
    case 'structure': return walkStructure(model, shape, value, path, out, opts)
    case 'list': {
      if (!Array.isArray(value)) { out.push(typeIssue(path, value, 'a list')); return }
      checkSize(shape, value.length, path, value, out)
      const member = shape.member?.shape
      if (member !== undefined) value.forEach((v, i) => walk(model, member, v, [...path, i], out, opts))
      return
    }
    case 'map': {
      if (!isPlainObject(value)) { out.push(typeIssue(path, value, 'a map')); return }
      const entries = Object.entries(value)
      checkSize(shape, entries.length, path, value, out)
      for (const [k, v] of entries) {
        const keyIssues: ShapeIssue[] = []
        if (shape.key !== undefined) walk(model, shape.key.shape, k, [...path, k], keyIssues, opts)
        for (const issue of keyIssues) out.push({ ...issue, mapKey: true })
        if (shape.value !== undefined) walk(model, shape.value.shape, v, [...path, k], out, opts)
      }
      return
    }
    case 'string': {
      if (typeof value !== 'string') { out.push(typeIssue(path, value, 'a string')); return }
      checkSize(shape, value.length, path, value, out)
      if (shape.enum !== undefined && !shape.enum.includes(value)) {
        out.push({ path, kind: 'enum', value, constraint: `Member must satisfy enum value set: [${shape.enum.join(', ')}]` })
      } else if (shape.pattern !== undefined && !modelPattern(shape.pattern).test(value)) {
        out.push({ path, kind: 'pattern', value, constraint: `Member must satisfy regular expression pattern: ${shape.pattern}` })
      }
      return
    }
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) { out.push(typeIssue(path, value, 'an integer')); return }
      return checkRange(shape, value, path, out)
    case 'float':
    case 'double':
      if (typeof value !== 'number') { out.push(typeIssue(path, value, 'a number')); return }
      return checkRange(shape, value, path, out)
    case 'boolean':
      if (typeof value !== 'boolean') out.push(typeIssue(path, value, 'a boolean'))
      return
    case 'timestamp':
      // JSON 1.1 sends epoch seconds as numbers; botocore also accepts ISO-8601 strings.
      if (typeof value !== 'number' && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
        out.push(typeIssue(path, value, 'a timestamp (epoch seconds)'))
      }
      return
    case 'blob':
      if (typeof value !== 'string') out.push(typeIssue(path, value, 'a base64 string'))
  }
}

function walkStructure (model: ApiModel, shape: Shape, value: unknown, path: PathSegment[], out: ShapeIssue[], opts: ValidateOptions): void {
  if (!isPlainObject(value)) { out.push(typeIssue(path, value, 'a structure')); return }
  const members = shape.members ?? {}
  for (const name of shape.required ?? []) {
    if (value[name] === undefined || value[name] === null) {
      out.push({ path: [...path, name], kind: 'required', value: null, constraint: 'Member must not be null' })
    }
  }
  for (const [name, v] of Object.entries(value)) {
    const ref = members[name]
    if (ref === undefined) {
      if (opts.rejectUnknownMembers === true) {
        out.push({ path: [...path, name], kind: 'unknown-member', value: v, constraint: 'Member is not defined in the API model' })
      }
      continue
    }
    if (v === undefined || v === null) continue
    walk(model, ref.shape, v, [...path, name], out, opts)
  }
}

function checkSize (shape: Shape, size: number, path: PathSegment[], value: unknown, out: ShapeIssue[]): void {
  if (shape.min !== undefined && size < shape.min) {
    out.push({ path, kind: 'length', value, constraint: `Member must have length greater than or equal to ${shape.min}` })
  }
  if (shape.max !== undefined && size > shape.max) {
    out.push({ path, kind: 'length', value, constraint: `Member must have length less than or equal to ${shape.max}` })
  }
}

function checkRange (shape: Shape, value: number, path: PathSegment[], out: ShapeIssue[]): void {
  if (shape.min !== undefined && value < shape.min) {
    out.push({ path, kind: 'range', value, constraint: `Member must have value greater than or equal to ${shape.min}` })
  }
  if (shape.max !== undefined && value > shape.max) {
    out.push({ path, kind: 'range', value, constraint: `Member must have value less than or equal to ${shape.max}` })
  }
}

function typeIssue (path: PathSegment[], value: unknown, expected: string): ShapeIssue {
  return { path, kind: 'type', value, constraint: `Member must be ${expected}` }
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The service's member path: lowerCamelCase names, 1-based `.member` list items, e.g. `inputDataConfig.1.member.channelName`. */
export function awsPath (path: PathSegment[]): string {
  return path.map(s => typeof s === 'number' ? `${s + 1}.member` : s.charAt(0).toLowerCase() + s.slice(1)).join('.')
}

/** "N validation error(s) detected: Value 'x' at 'path' failed to satisfy constraint: …; …" */
export function formatValidationMessage (issues: ShapeIssue[]): string {
  const parts = issues.map(i => {
    const v = i.mapKey === true ? i.path[i.path.length - 1] : i.value
    const shown = v === null || v === undefined ? 'null' : `'${typeof v === 'string' ? v : JSON.stringify(v)}'`
    return `Value ${shown} at '${awsPath(i.path)}' failed to satisfy constraint: ${i.mapKey === true ? 'Map keys must satisfy constraint: ' : ''}${i.constraint}`
  })
  return `${issues.length} validation error${issues.length === 1 ? '' : 's'} detected: ${parts.join('; ')}`
}
