import { describe, expect, it } from 'vitest'
import { BENCHMARKS_MD, RESULTS_DIR } from '../paths'
import { renderBenchmarks, type StoredScenario } from './markdown'
import type { ScenarioReport } from './report-types'
import { benchmarksMdPath } from './results'

const machine: StoredScenario['machine'] = {
  cpuModel: 'Test CPU',
  cores: 2,
  memoryGiB: 4,
  kernel: 'test',
  node: 'v20',
  pinned: true,
  loadAverageStart: 1,
  loadAverageEnd: 1,
  commit: 'abc1234',
  versions: {},
}

function stored(values: ScenarioReport['tables'][number]['rows'][number]['values']): StoredScenario {
  const report: ScenarioReport = {
    id: 1,
    title: 'Test scenario',
    setup: [],
    tables: [{ title: 'Figures', rows: [{ label: 'p99', unit: 'ms', better: 'lower', values }] }],
    targets: [],
    convergence: [],
    pressure: {},
    failures: [],
    notes: [],
    wallSeconds: 1,
    raw: {},
  }
  return { report, machine, size: 'default', finishedAt: '2026-01-01T00:00:00.000Z' }
}

function tableLines(md: string): string[] {
  return md.split('\n').filter((line) => line.startsWith('| p99') || line.startsWith('| | unit'))
}

describe('renderBenchmarks', () => {
  it('shows ours (no persistence) as its own column; the ratio stays ours ÷ the best peer', () => {
    // The no-persistence variant is faster than ours and every peer here: it must not become the
    // comparison, nor be compared.
    const md = renderBenchmarks([stored({ ours: 4, 'ours-memory': 1, 'y-websocket': 2, hocuspocus: 3 })], ['intro'])
    const [header, row] = tableLines(md)
    expect(header).toBe('| | unit | ours | ours (no persistence) | y-websocket 1.5.4 | Hocuspocus 3.4.4 | ours / best peer |')
    expect(row).toBe('| p99 ↓ | ms | 4.00 | 1.00 | 2.00 | 3.00 | 2.00× vs y-websocket ✗ |')
    expect(md).not.toContain('ours (tmpfs)')
  })

  it('keeps results of the retired tmpfs variant readable, with a note saying what it was', () => {
    const md = renderBenchmarks([stored({ ours: 1, 'ours-tmpfs': 1.5, hocuspocus: 2 } as never)], ['intro'])
    const [header, row] = tableLines(md)
    expect(header).toBe('| | unit | ours | ours (tmpfs) | Hocuspocus 3.4.4 | ours / best peer |')
    expect(row).toBe('| p99 ↓ | ms | 1.00 | 1.50 | 2.00 | 0.50× vs Hocuspocus ✓ |')
    expect(md).toContain('show **ours (tmpfs)** where later runs show ours (no persistence)')
  })
})

describe('benchmarksMdPath', () => {
  it('keeps smoke runs out of the committed report', () => {
    expect(benchmarksMdPath('default')).toBe(BENCHMARKS_MD)
    expect(benchmarksMdPath('large')).toBe(BENCHMARKS_MD)
    expect(benchmarksMdPath('small').startsWith(RESULTS_DIR)).toBe(true)
  })
})
