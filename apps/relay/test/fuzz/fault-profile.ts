// The fault proxy's knobs and counters, and the modes it moves through during a session.

/** How often and how hard the proxy misbehaves. Probabilities are per connection unless noted. */
export interface FaultProfile {
  /** Share of connections whose bytes are delayed. */
  latencyProbability: number
  maxLatencyMs: number
  /** Share of the delayed connections that are slow links (a phone on a train): long round trips. */
  slowLinkProbability: number
  maxSlowLinkLatencyMs: number
  /** Share of connections whose writes are cut into small pieces. */
  splitProbability: number
  /** Per forwarded chunk: chance that the direction stalls. */
  stallProbabilityPerChunk: number
  maxStallMs: number
  /** Share of connections that get reset after a drawn time or byte count. */
  resetProbability: number
  maxResetAfterMs: number
  maxResetAfterBytes: number
}

export const DEFAULT_FAULT_PROFILE: FaultProfile = {
  latencyProbability: 0.5,
  maxLatencyMs: 40,
  slowLinkProbability: 0.3,
  maxSlowLinkLatencyMs: 300,
  splitProbability: 0.5,
  stallProbabilityPerChunk: 0.01,
  maxStallMs: 700,
  resetProbability: 0.3,
  maxResetAfterMs: 2_500,
  maxResetAfterBytes: 8_000,
}

/** What the proxy did, for the run summary. */
export interface FaultCounts {
  connections: number
  /** Client connections dropped because the relay was not accepting (down or restarting). */
  refused: number
  resets: number
  stalls: number
  /** Chunks delivered in more than one write. */
  splitChunks: number
  /** Connections whose bytes were delayed. */
  delayedConnections: number
}

/** Faults the proxy injected on purpose (refusals are the relay's doing, not ours). */
export function injectedFaults(counts: FaultCounts): number {
  return counts.resets + counts.stalls + counts.splitChunks + counts.delayedConnections
}

export type ResetKind = 'rst' | 'fin'

/** chaos: every fault; calm: delays and splitting only; healed: a plain pipe. */
export type ProxyMode = 'chaos' | 'calm' | 'healed'
