// Ours against the best peer of the same run.
import type { Better, Row, TargetCheck } from '../report/report-types'
import { PEER_IDS, SERVERS, type ServerId } from '../servers/server-spec'

export interface PeerValue {
  id: ServerId
  label: string
  value: number
}

/** The peer with the best value (lowest or highest), ignoring missing ones. */
export function bestPeer(values: Row['values'], better: Better, excluded: readonly ServerId[] = []): PeerValue | null {
  let best: PeerValue | null = null
  for (const id of PEER_IDS) {
    if (excluded.includes(id)) continue
    const value = values[id]
    if (value === null || value === undefined || !Number.isFinite(value)) continue
    if (best === null || (better === 'lower' ? value < best.value : value > best.value)) best = { id, label: SERVERS[id].label, value }
  }
  return best
}

/** `ours / peer` as text, e.g. "0.42×". */
export function ratioRow(ours: number, peer: number): string {
  // A ratio of a negative or zero figure (memory that shrank below the baseline) means nothing.
  if (ours <= 0 || peer <= 0) return 'n/a'
  return `${(ours / peer).toFixed(2)}×`
}

/**
 * Target "ours ahead of the best peer by `factor`" on one row: for lower-is-better, ours × factor
 * ≤ peer; for higher-is-better, ours ≥ peer × factor.
 */
export function aheadTarget(target: string, row: Row, factor = 1): TargetCheck {
  const better = row.better ?? 'lower'
  const ours = row.values.ours
  const peer = bestPeer(row.values, better, row.excluded)
  if (ours === null || ours === undefined || !Number.isFinite(ours) || peer === null) {
    const excluded = (row.excluded ?? []).filter((id) => row.values[id] !== undefined)
    const why =
      excluded.length > 0 && ours !== null && ours !== undefined
        ? `ours ${format(ours)} ${row.unit}; no peer qualifies (${excluded.map((id) => `${SERVERS[id].label}: ${row.notes?.[id] ?? 'excluded'}`).join(', ')})`
        : 'not measured for ours or any peer'
    return { target, met: null, detail: `${row.label}: ${why}` }
  }
  const met = better === 'lower' ? ours * factor <= peer.value : ours >= peer.value * factor
  const floor = row.values['ws-floor']
  const floorText = floor === null || floor === undefined || !Number.isFinite(floor) ? '' : `; ws floor ${format(floor)} ${row.unit}`
  return { target, met, detail: `${row.label}: ours ${format(ours)} ${row.unit} vs ${peer.label} ${format(peer.value)} ${row.unit} (ours/peer ${ratioRow(ours, peer.value)})${floorText}` }
}

export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}
