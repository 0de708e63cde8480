import { describe, expect, it } from 'vitest'
import type { Row } from '../report/report-types'
import { aheadTarget, judge, ratioRow } from './compare'

function row(values: Row['values'], extra: Partial<Row> = {}): Row {
  return { label: 'N=200: bytes out', unit: 'KiB/s', better: 'lower', values, ...extra }
}

const behind = (ids: Row['lowerBounds']) => ({
  lowerBounds: ids,
  notes: Object.fromEntries((ids ?? []).map((id) => [id, 'never caught up'])),
})

describe('judge', () => {
  it('compares against the best peer that qualifies', () => {
    expect(judge(row({ ours: 3, 'y-websocket': 4, hocuspocus: 2 }))).toEqual({
      met: false,
      peer: { id: 'hocuspocus', label: 'Hocuspocus 3.4.4', value: 2 },
      bound: false,
      unbeaten: [],
    })
    expect(judge(row({ ours: 1, 'y-websocket': 4, hocuspocus: 6 }), 4).met).toBe(true)
    expect(judge(row({ ours: 1, 'y-websocket': 4, hocuspocus: 6 }), 5).met).toBe(false)
  })

  it('counts a peer that fell behind as ahead of ours only if its lower bound already is', () => {
    // Both peers fell behind; the tightest bound (the lowest) is what ours must beat.
    const values = { ours: 20, 'y-websocket': 180, hocuspocus: 65, 'ws-floor': 10 }
    expect(judge(row(values, behind(['y-websocket', 'hocuspocus'])), 3)).toEqual({
      met: true,
      peer: { id: 'hocuspocus', label: 'Hocuspocus 3.4.4', value: 65 },
      bound: true,
      unbeaten: [],
    })
    // 20 × 5 = 100 > 65: Hocuspocus's true figure could be anywhere from 65 up, so unknown.
    expect(judge(row(values, behind(['y-websocket', 'hocuspocus'])), 5)).toMatchObject({ met: null, unbeaten: ['hocuspocus'] })
  })

  it('is not met when a qualifying peer is ahead, whatever the bounds say', () => {
    const values = { ours: 20, 'y-websocket': 15, hocuspocus: 500 }
    expect(judge(row(values, behind(['hocuspocus']))).met).toBe(false)
  })

  it('is unknown when the qualifying peer is beaten but a bound is not', () => {
    const values = { ours: 20, 'y-websocket': 200, hocuspocus: 30 }
    expect(judge(row(values, behind(['hocuspocus'])), 5)).toEqual({
      met: null,
      peer: { id: 'y-websocket', label: 'y-websocket 1.5.4', value: 200 },
      bound: false,
      unbeaten: ['hocuspocus'],
    })
  })

  it('does not compare bounds on a higher-is-better row', () => {
    const values = { ours: 5, 'y-websocket': 1 }
    expect(judge(row(values, { better: 'higher', ...behind(['y-websocket']) })).met).toBeNull()
  })

  it('keeps excluded values out of every comparison', () => {
    const values = { ours: 20, 'y-websocket': 1 }
    expect(judge(row(values, { excluded: ['y-websocket'] }))).toEqual({ met: null, peer: null, bound: false, unbeaten: [] })
  })
})

describe('aheadTarget', () => {
  it('says when the peer figure is a lower bound and the ratio an upper one', () => {
    const values = { ours: 20, 'y-websocket': 180, hocuspocus: 65, 'ws-floor': 190 }
    const check = aheadTarget('awareness bytes out: ≥5× less than the best peer', row(values, behind(['y-websocket', 'hocuspocus'])), 3)
    expect(check.met).toBe(true)
    expect(check.detail).toBe(
      'N=200: bytes out: ours 20.0 KiB/s vs Hocuspocus 3.4.4 ≥ 65.0 KiB/s (never caught up: at least this) (ours/peer ≤ 0.31×); ws floor 190 KiB/s',
    )
  })

  it('names the bound ours does not beat when the verdict is unknown', () => {
    const check = aheadTarget('t', row({ ours: 20, 'y-websocket': 200, hocuspocus: 30 }, behind(['hocuspocus'])), 5)
    expect(check.met).toBeNull()
    expect(check.detail).toBe(
      'N=200: bytes out: ours 20.0 KiB/s vs y-websocket 1.5.4 200 KiB/s (ours/peer 0.10×); unknown against Hocuspocus 3.4.4 (never caught up: ≥ 30.0 KiB/s, a bound ours does not beat)',
    )
  })

  it('says so when the bound shown is the one ours does not beat', () => {
    const check = aheadTarget('t', row({ ours: 20, hocuspocus: 65 }, behind(['hocuspocus'])), 5)
    expect(check.met).toBeNull()
    expect(check.detail).toBe(
      "N=200: bytes out: ours 20.0 KiB/s vs Hocuspocus 3.4.4 ≥ 65.0 KiB/s (never caught up: at least this) (ours/peer ≤ 0.31×); ours does not beat that bound by the target's factor, so unknown",
    )
  })

  it('is not judged when no peer was measured', () => {
    expect(aheadTarget('t', row({ ours: 20 })).met).toBeNull()
  })
})

describe('ratioRow', () => {
  it('keeps two significant digits for ratios below 0.01', () => {
    expect(ratioRow(533, 273_941)).toBe('0.0019×')
    expect(ratioRow(1, 2)).toBe('0.50×')
    expect(ratioRow(0, 2)).toBe('n/a')
  })
})
