// Everything a seed decides up front: how many clients, how many steps, when the relay is killed
// and how, which relay settings (group commit window, compaction threshold, unload delay).
import { DEFAULT_FAULT_PROFILE, type FaultProfile } from './fault-proxy'
import type { Random } from './random'

export interface SessionSettings {
  minClients: number
  maxClients: number
  minSteps: number
  maxSteps: number
  /** Upper bounds of relay kills per seed (both 0 when the relay is shared, as in the soak). */
  maxSigkills: number
  maxSigterms: number
  /** Longest pause between two actions. */
  maxPauseMs: number
  /** How long every client may take to converge once all faults are healed. */
  convergeTimeoutMs: number
  profile: FaultProfile
}

export const CI_SETTINGS: SessionSettings = {
  minClients: 3,
  maxClients: 5,
  minSteps: 250,
  maxSteps: 450,
  maxSigkills: 3,
  maxSigterms: 1,
  maxPauseMs: 6,
  convergeTimeoutMs: 20_000,
  profile: DEFAULT_FAULT_PROFILE,
}

export type RelaySignal = 'SIGKILL' | 'SIGTERM'

export interface RelayKill {
  atStep: number
  signal: RelaySignal
  /** Actions that run while the relay is down, before the restart starts. */
  downSteps: number
}

/** How the relay is stopped before the fresh client checks storage. */
export type FinalStop = 'SIGTERM' | 'SIGKILL-after-saved'

export interface SessionPlan {
  clientCount: number
  steps: number
  /** Edits after healing, on stable connections: a lost fan-out there is never repaired by a reconnect. */
  calmSteps: number
  kills: RelayKill[]
  finalStop: FinalStop
  /** Relay environment for this seed (ignored when the relay is shared). */
  relayEnv: Record<string, string>
}

export type ActionKind = 'edit' | 'marker' | 'offline' | 'online' | 'replace' | 'reset' | 'stall'

export const ACTION_WEIGHTS: Readonly<Record<ActionKind, number>> = {
  edit: 70,
  marker: 8,
  offline: 4,
  online: 5,
  replace: 1,
  reset: 2,
  stall: 2,
}

export function drawPlan(random: Random, settings: SessionSettings): SessionPlan {
  const clientCount = random.int(settings.minClients, settings.maxClients)
  const steps = random.int(settings.minSteps, settings.maxSteps)
  const signals: RelaySignal[] = [
    ...Array.from({ length: random.int(0, settings.maxSigkills) }, () => 'SIGKILL' as const),
    ...Array.from({ length: random.int(0, settings.maxSigterms) }, () => 'SIGTERM' as const),
  ]
  const kills = signals
    .map((signal) => ({ atStep: random.int(10, steps - 10), signal, downSteps: random.int(0, 25) }))
    .sort((a, b) => a.atStep - b.atStep)
  const calmSteps = random.int(20, 60)
  return {
    clientCount,
    steps,
    calmSteps,
    kills,
    finalStop: random.bool(0.5) ? 'SIGTERM' : 'SIGKILL-after-saved',
    relayEnv: {
      // What a SIGKILL can lose is whatever sits in the group-commit window.
      FLUSH_INTERVAL_MS: String(random.pick([5, 50, 250, 1_000])),
      // Small thresholds make compaction run (and get killed) during the session.
      COMPACT_MAX_LOG_ENTRIES: String(random.pick([8, 64, 5_000])),
      // 0: the room unloads the moment the last client drops, racing reconnects.
      ROOM_UNLOAD_DELAY_MS: String(random.pick([0, 200, 2_000])),
    },
  }
}
