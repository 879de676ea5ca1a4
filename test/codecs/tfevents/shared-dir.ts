import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// CI clones the repo elsewhere with shared/ beside it, so find it from this file, not the cwd.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
export const sharedDir = resolve(repoRoot, '../shared')
export const torchLogdir = resolve(sharedDir, 'fixtures/torch_logdir')
export const torchExpectedJson = resolve(sharedDir, 'fixtures/torch_logdir.expected.json')
