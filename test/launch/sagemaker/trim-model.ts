/**
 * Regenerates src/launch/sagemaker/api-model/requests.json: the reference model trimmed to the
 * request shapes the gateway validates before calling AWS (the runtime cannot read ../shared).
 * `node --import tsx test/launch/sagemaker/trim-model.ts --write` rewrites it; the api-model test
 * fails when the copy drifts from the reference.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ApiModel, Shape } from '../../../src/launch/sagemaker/api-model/model-types.js'

export const TRIMMED_OPERATIONS = ['CreateTrainingJob', 'CreateHyperParameterTuningJob'] as const

export const REFERENCE_MODEL_PATH = fileURLToPath(new URL('../../../../shared/reference/sagemaker-api-model.json', import.meta.url))
export const TRIMMED_MODEL_PATH = fileURLToPath(new URL('../../../src/launch/sagemaker/api-model/requests.json', import.meta.url))

export function trimModel (full: ApiModel): ApiModel {
  const shapes: Record<string, Shape> = {}
  const visit = (name: string): void => {
    if (shapes[name] !== undefined) return
    const shape = full.shapes[name]
    if (shape === undefined) throw new Error(`missing shape ${name}`)
    shapes[name] = shape
    for (const ref of [...Object.values(shape.members ?? {}), shape.member, shape.key, shape.value]) {
      if (ref !== undefined) visit(ref.shape)
    }
  }
  const operations: ApiModel['operations'] = {}
  for (const op of TRIMMED_OPERATIONS) {
    const operation = full.operations[op]
    if (operation?.input === undefined) throw new Error(`missing operation ${op}`)
    operations[op] = { name: op, input: operation.input }
    visit(operation.input.shape)
  }
  const sorted = Object.fromEntries(Object.keys(shapes).sort().map(k => [k, shapes[k] as Shape]))
  return { metadata: { apiVersion: full.metadata['apiVersion'], trimmedFrom: 'shared/reference/sagemaker-api-model.json' }, operations, shapes: sorted }
}

export function renderTrimmed (): string {
  const full = JSON.parse(readFileSync(REFERENCE_MODEL_PATH, 'utf8')) as ApiModel
  return JSON.stringify(trimModel(full), null, 1) + '\n'
}

if (process.argv.includes('--write')) writeFileSync(TRIMMED_MODEL_PATH, renderTrimmed())
