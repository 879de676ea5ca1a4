import t from 'tap'
import { readFileSync } from 'node:fs'
import { generateOpenApi } from '../scripts/openapi.js'

t.test('openapi/openapi.json is what the routes declare (run `npm run openapi` after changing a route)', async t => {
  const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')
  const generated = await generateOpenApi()
  t.ok(committed === generated, 'openapi/openapi.json is stale: run npm run openapi')
  const doc = JSON.parse(generated)
  t.ok(doc.components.schemas.Error, 'the error shape is one shared schema')
  for (const [path, ops] of Object.entries<Record<string, { responses: Record<string, unknown> }>>(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const codes = Object.keys(op.responses)
      t.ok(codes.some(c => c.startsWith('2')), `${method} ${path} declares its success answer`)
      if (path.startsWith('/v1/')) t.ok(codes.includes('401'), `${method} ${path} declares 401`)
    }
  }
})
