import { readdirSync } from 'node:fs'
import type { BenchRow } from './types.js'

/** `npm run bench [name…]`: runs bench/*.bench.ts (or the named ones) and prints one table. */
const only = process.argv.slice(2)
const files = readdirSync(new URL('.', import.meta.url)).filter(f => f.endsWith('.bench.ts')).sort()
  .filter(f => only.length === 0 || only.some(o => f.startsWith(o)))
const rows: BenchRow[] = []
for (const f of files) {
  process.stderr.write(`bench: ${f}…\n`)
  const mod = await import(`./${f}`) as { default: () => Promise<BenchRow[]> }
  rows.push(...await mod.default())
}
const fmt = (v: number): string => Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 })
const table = rows.map(r => [r.bench, r.metric, `${fmt(r.value)} ${r.unit}`, r.target])
const head = ['benchmark', 'measure', 'value', 'target']
const widths = head.map((h, i) => Math.max(h.length, ...table.map(r => (r[i] as string).length)))
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`
process.stdout.write([line(head), `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`, ...table.map(line)].join('\n') + '\n')
