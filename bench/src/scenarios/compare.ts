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
  const ratio = ours / peer
  // Two significant digits below 0.01 (0.0019×, not 0.00×).
  return `${ratio >= 0.01 ? ratio.toFixed(2) : ratio.toPrecision(2)}×`
}

/** Ours against the peers on one row. */
export interface Verdict {
  /** Ours ahead of every peer (by the factor): true; some peer ahead: false; unknown: null. */
  met: boolean | null
  /** The peer the ratio is taken against: the best one that qualifies, else the tightest bound. */
  peer: PeerValue | null
  /** `peer.value` only bounds that peer's figure from below ({@link Row.lowerBounds}). */
  bound: boolean
  /** Bounded peers whose bound ours does not beat by the factor: why `met` is null. */
  unbeaten: ServerId[]
}

/**
 * Whether ours is ahead of the best peer by `factor` on one row: for lower-is-better, ours ×
 * factor ≤ peer; for higher-is-better, ours ≥ peer × factor. Peers whose value is only a lower
 * bound count on lower-is-better rows, and only where ours beats the bound itself.
 */
export function judge(row: Row, factor = 1): Verdict {
  const better = row.better ?? 'lower'
  const ours = row.values.ours
  const bounded = row.lowerBounds ?? []
  const peer = bestPeer(row.values, better, [...(row.excluded ?? []), ...bounded])
  if (ours === null || ours === undefined || !Number.isFinite(ours)) return { met: null, peer, bound: false, unbeaten: [] }
  const ahead = (value: number) => (better === 'lower' ? ours * factor <= value : ours >= value * factor)
  const finite = (id: ServerId) => Number.isFinite(row.values[id] ?? Number.NaN)
  // Bounds count on lower-is-better rows only; the lowest one is shown when no peer qualifies.
  const counted = better === 'lower' ? bounded.filter(finite) : []
  const unbeaten = counted.filter((id) => !ahead(row.values[id]!))
  const tightest = bestPeer(Object.fromEntries(counted.map((id) => [id, row.values[id]])), 'lower')
  const boundsMet = unbeaten.length === 0 ? true : null
  if (peer !== null) return { met: ahead(peer.value) ? boundsMet : false, peer, bound: false, unbeaten }
  if (tightest !== null) return { met: boundsMet, peer: tightest, bound: true, unbeaten }
  return { met: null, peer: null, bound: false, unbeaten: [] }
}

/** Target "ours ahead of the best peer by `factor`" on one row (see {@link judge}). */
export function aheadTarget(target: string, row: Row, factor = 1): TargetCheck {
  const ours = row.values.ours
  const { met, peer, bound, unbeaten } = judge(row, factor)
  if (ours === null || ours === undefined || !Number.isFinite(ours) || peer === null) {
    const excluded = [...(row.excluded ?? []), ...(row.lowerBounds ?? [])].filter((id) => row.values[id] !== undefined)
    const why =
      excluded.length > 0 && ours !== null && ours !== undefined
        ? `ours ${format(ours)} ${row.unit}; no peer qualifies (${excluded.map((id) => `${SERVERS[id].label}: ${row.notes?.[id] ?? 'excluded'}`).join(', ')})`
        : 'not measured for ours or any peer'
    return { target, met: null, detail: `${row.label}: ${why}` }
  }
  const floor = row.values['ws-floor']
  const floorText = floor === null || floor === undefined || !Number.isFinite(floor) ? '' : `; ws floor ${format(floor)} ${row.unit}`
  const peerText = bound
    ? `${peer.label} ≥ ${format(peer.value)} ${row.unit} (${row.notes?.[peer.id] ?? 'a lower bound'}: at least this) (ours/peer ≤ ${ratioRow(ours, peer.value)})`
    : `${peer.label} ${format(peer.value)} ${row.unit} (ours/peer ${ratioRow(ours, peer.value)})`
  // Unknown: ours does not beat a bound by the factor (the one shown, or another peer's).
  const unknown =
    met !== null
      ? ''
      : bound
        ? "; ours does not beat that bound by the target's factor, so unknown"
        : `; unknown against ${unbeaten
            .map((id) => `${SERVERS[id].label} (${row.notes?.[id] ?? 'fell behind'}: ≥ ${format(row.values[id]!)} ${row.unit}, a bound ours does not beat)`)
            .join(', ')}`
  return { target, met, detail: `${row.label}: ours ${format(ours)} ${row.unit} vs ${peerText}${floorText}${unknown}` }
}

export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}
