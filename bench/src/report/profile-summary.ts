// `node --import tsx src/report/profile-summary.ts <file.cpuprofile> [top]`: self and total time
// per function of a V8 CPU profile (what `node --cpu-prof` writes), to read where our relay spends
// its time without a GUI.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const file = url === '' ? '' : ` ${url.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '')}:${lineNumber + 1}`
  return `${functionName || '(anonymous)'}${file}`
}

export function summarize(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let all = 0
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0
    all += us
    const node = byId.get(id)!
    self.set(label(node), (self.get(label(node)) ?? 0) + us)
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at)!)
      if (!seen.has(name)) total.set(name, (total.get(name) ?? 0) + us)
      seen.add(name)
    }
  })
  const fmt = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / all).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n')
  return `profile ${(all / 1e6).toFixed(2)} s\n-- self --\n${fmt(self)}\n-- total --\n${fmt(total)}`
}

if (process.argv[1] !== undefined && basename(process.argv[1]).startsWith('profile-summary')) {
  const [file, top] = process.argv.slice(2)
  if (file === undefined) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n')
    process.exit(2)
  }
  process.stdout.write(`${summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 25))}\n`)
}
