/**
 * The subset of the botocore/Smithy JSON service-model format that our validator reads.
 * Only constraint-bearing keys are typed; documentation is not in our copy.
 */
export interface MemberRef {
  shape: string
  box?: boolean
}

export interface Shape {
  type: 'string' | 'structure' | 'list' | 'map' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'timestamp' | 'blob'
  members?: Record<string, MemberRef>
  required?: string[]
  member?: MemberRef
  key?: MemberRef
  value?: MemberRef
  min?: number
  max?: number
  pattern?: string
  enum?: string[]
  exception?: boolean
}

export interface Operation {
  name: string
  input?: MemberRef
  output?: MemberRef
  errors?: MemberRef[]
}

export interface ApiModel {
  metadata: Record<string, unknown>
  operations: Record<string, Operation>
  shapes: Record<string, Shape>
}
