import { readFileSync } from 'node:fs'
import type { JobSpec } from '../../../src/launch/job-spec.js'
import type { BuildContext } from '../../../src/launch/sagemaker/build-training-job.js'

const dir = new URL('./fixtures/', import.meta.url)
const readJson = (name: string): unknown => JSON.parse(readFileSync(new URL(name, dir), 'utf8'))

export const BUILDER_FIXTURES = ['single-gpu-spot', 'warm-pool-own-image', 'ddp-2x-g5-12xlarge', 'fsdp-swinunetr'] as const

export function fixtureContext (): BuildContext {
  const raw = readJson('ctx.json') as Omit<BuildContext, 'now'> & { now: string }
  return { ...raw, now: new Date(raw.now) }
}

export interface BuilderFixture { about: string, spec: JobSpec, request: Record<string, unknown> }

/** Loads a fixture, expanding "@default-metric-definitions" into the hand-written list. */
export function loadFixture (name: string): BuilderFixture {
  const text = readFileSync(new URL(`${name}.json`, dir), 'utf8')
    .replace('"@default-metric-definitions"', readFileSync(new URL('default-metric-definitions.json', dir), 'utf8'))
  return JSON.parse(text) as BuilderFixture
}

/** A valid base spec for rule tests: each test breaks one thing. */
export function baseSpec (overrides: Partial<JobSpec> = {}): JobSpec {
  return { ...loadFixture('ddp-2x-g5-12xlarge').spec, ...overrides }
}
