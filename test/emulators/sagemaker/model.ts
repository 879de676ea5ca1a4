import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ApiModel } from '../../../src/launch/sagemaker/api-model/index.js'
import { requestModel } from '../../../src/launch/sagemaker/api-model/index.js'

/** <repo>/../shared/reference: the research notes live beside the repository, not in it. */
export const REFERENCE_MODEL_PATH = fileURLToPath(new URL('../../../../shared/reference/sagemaker-api-model.json', import.meta.url))

/**
 * The full reference model when it is there (it has every operation's input and output shapes);
 * otherwise the trimmed request model shipped in src, which covers the create operations only.
 */
export function loadApiModel (path: string = REFERENCE_MODEL_PATH): { model: ApiModel, full: boolean } {
  if (existsSync(path)) return { model: JSON.parse(readFileSync(path, 'utf8')) as ApiModel, full: true }
  return { model: requestModel, full: false }
}
