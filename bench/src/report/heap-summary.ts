// `node --import tsx src/report/heap-summary.ts <before.heapsnapshot> <after.heapsnapshot> [divisor]`:
// the heap growth between two V8 heap snapshots, by constructor / object name (self sizes), divided
// by `divisor` (e.g. the number of connections opened in between) — where a server's memory per
// connection or per document goes.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } }
  nodes: number[]
  strings: string[]
}

/** Self size and count per "type:name" of every object in a snapshot. */
export function sizesByName(snapshot: HeapSnapshot): Map<string, { bytes: number; count: number }> {
  const fields = snapshot.snapshot.meta.node_fields
  const types = snapshot.snapshot.meta.node_types[0]
  const stride = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const result = new Map<string, { bytes: number; count: number }>()
  for (let i = 0; i < snapshot.nodes.length; i += stride) {
    const type = types[snapshot.nodes[i + typeAt]!] ?? '?'
    // Strings and code are grouped by type; objects by constructor name.
    const name = type === 'object' || type === 'closure' ? `${type}:${snapshot.strings[snapshot.nodes[i + nameAt]!]}` : type
    const entry = result.get(name) ?? { bytes: 0, count: 0 }
    entry.bytes += snapshot.nodes[i + sizeAt]!
    entry.count++
    result.set(name, entry)
  }
  return result
}

export function diff(before: HeapSnapshot, after: HeapSnapshot, divisor: number, top = 30): string {
  const a = sizesByName(before)
  const b = sizesByName(after)
  const rows = [...b].map(([name, v]) => ({ name, bytes: v.bytes - (a.get(name)?.bytes ?? 0), count: v.count - (a.get(name)?.count ?? 0) }))
  const total = rows.reduce((s, r) => s + r.bytes, 0)
  rows.sort((x, y) => y.bytes - x.bytes)
  return [
    `heap growth ${(total / 1024).toFixed(0)} KiB total, ${(total / divisor).toFixed(0)} bytes per unit (÷${divisor})`,
    ...rows.slice(0, top).map((r) => `${(r.bytes / divisor).toFixed(0).padStart(8)} B/unit ${(r.count / divisor).toFixed(2).padStart(7)} objects/unit  ${r.name}`),
  ].join('\n')
}

if (process.argv[1] !== undefined && basename(process.argv[1]).startsWith('heap-summary')) {
  const [before, after, divisor] = process.argv.slice(2)
  if (before === undefined || after === undefined) {
    process.stderr.write('usage: heap-summary.ts <before.heapsnapshot> <after.heapsnapshot> [divisor]\n')
    process.exit(2)
  }
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot
  process.stdout.write(`${diff(read(before), read(after), Number(divisor ?? 1))}\n`)
}
