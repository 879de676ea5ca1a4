import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from '../src/app.js'
import { toConfig, ConfigSchema, type EnvConfig } from '../src/config/config.js'
import { envSchema } from 'env-schema'

/** The OpenAPI document as the routes declare it, with stable formatting. */
export async function generateOpenApi (): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'trackgate-openapi-'))
  try {
    const env = envSchema<EnvConfig>({ schema: ConfigSchema, data: { TRACKGATE_DATA_DIR: dir, LOG_LEVEL: 'silent' }, dotenv: false })
    const app = await build(toConfig(env))
    await app.ready()
    const doc = app.swagger()
    await app.close()
    return JSON.stringify(doc, null, 2) + '\n'
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = await generateOpenApi()
  mkdirSync('openapi', { recursive: true })
  writeFileSync('openapi/openapi.json', text)
  process.stdout.write(`wrote openapi/openapi.json (${text.length} bytes)\n`)
}
