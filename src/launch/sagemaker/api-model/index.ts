import trimmed from './requests.json' with { type: 'json' }
import type { ApiModel, Shape } from './model-types.js'

export type { ApiModel, Shape } from './model-types.js'
export { validateShape, formatValidationMessage, awsPath, modelPattern } from './validate-shape.js'
export type { ShapeIssue, PathSegment } from './validate-shape.js'

/**
 * The request shapes of CreateTrainingJob and CreateHyperParameterTuningJob, trimmed from
 * shared/reference/sagemaker-api-model.json (botocore 1.43.67). Regenerate with
 * `node --import tsx test/launch/sagemaker/trim-model.ts --write`; a test checks it is current.
 */
export const requestModel = trimmed as unknown as ApiModel

/** A shape of the trimmed model; throws for a name we did not keep, so typos fail loudly. */
export function requestShape (name: string): Shape {
  const shape = requestModel.shapes[name]
  if (shape === undefined) throw new Error(`trimmed API model has no shape ${name}`)
  return shape
}

/** The enum of a string shape, e.g. `TrainingInstanceType`. */
export function shapeEnum (name: string): readonly string[] {
  return requestShape(name).enum ?? []
}
