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

type TestRow = ScenarioReport['tables'][number]['rows'][number]

function stored(values: TestRow['values'], extra: Partial<TestRow> = {}): StoredScenario {
  const report: ScenarioReport = {
    id: 1,
    title: 'Test scenario',
    setup: [],
    tables: [{ title: 'Figures', rows: [{ label: 'p99', unit: 'ms', better: 'lower', values, ...extra }] }],
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

  it('takes the ratio against a lower bound as an upper bound, and counts it only when ours beats the bound', () => {
    const behind = { lowerBounds: ['y-websocket', 'hocuspocus'] as TestRow['lowerBounds'], notes: { 'y-websocket': 'never caught up', hocuspocus: 'never caught up' } }
    const beaten = renderBenchmarks([stored({ ours: 20, 'y-websocket': 180, hocuspocus: 65 }, behind)], ['intro'])
    expect(tableLines(beaten)[1]).toBe('| p99 ↓ | ms | 20.0 | 180 (never caught up) | 65.0 (never caught up) | ≤ 0.31× vs Hocuspocus ✓ |')
    expect(beaten).toContain('Ours is ahead of the best peer on 1 of 1 compared figures.')
    const open = renderBenchmarks([stored({ ours: 70, 'y-websocket': 180, hocuspocus: 65 }, behind)], ['intro'])
    expect(tableLines(open)[1]).toBe('| p99 ↓ | ms | 70.0 | 180 (never caught up) | 65.0 (never caught up) | ≤ 1.08× vs Hocuspocus ? |')
    expect(open).not.toContain('compared figures')
  })
})

describe('benchmarksMdPath', () => {
  it('keeps smoke runs out of the committed report', () => {
    expect(benchmarksMdPath('default')).toBe(BENCHMARKS_MD)
    expect(benchmarksMdPath('large')).toBe(BENCHMARKS_MD)
    expect(benchmarksMdPath('small').startsWith(RESULTS_DIR)).toBe(true)
  })
})
