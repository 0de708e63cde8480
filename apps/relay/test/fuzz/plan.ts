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
  maxSigkills: 2,
  maxSigterms: 1,
  maxPauseMs: 6,
  convergeTimeoutMs: 20_000,
  profile: DEFAULT_FAULT_PROFILE,
}

export type RelaySignal = 'SIGKILL' | 'SIGTERM'

export interface RelayKill {
  /** Actions with the relay up (since it became ready, or since the start) before this kill. */
  afterSteps: number
  signal: RelaySignal
  /** Actions that run while the relay is down, before the restart starts. */
  downSteps: number
}

/** How the relay is stopped before the fresh client checks storage. */
export type FinalStop = 'SIGTERM' | 'SIGKILL-after-saved'

/** A SIGKILL while everyone edits normally; typing goes on while the relay is down and boots. */
export interface CalmCrash {
  atStep: number
  /** Calm steps with the relay down before the restart is started. */
  downSteps: number
  /** Calm steps taken while it boots (without waiting for it); then its readiness is awaited. */
  bootSteps: number
  /** Calm steps once it is ready again: clients reconnect while typing on. */
  afterSteps: number
}

export interface SessionPlan {
  clientCount: number
  steps: number
  /** Edits after the chaos, on slow but stable connections: a lost fan-out there is never repaired by a reconnect. */
  calmSteps: number
  /**
   * A SIGKILL during the calm phase (a crash while everyone edits normally): clients reconnect
   * while typing on, and nothing hides a broken recovery behind later reconnects.
   */
  calmCrash: CalmCrash | null
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
  // Shuffled so a SIGTERM is not always last; spaced so clients reconnect between kills.
  const kills = signals
    .map((signal) => ({ order: random.float(), signal }))
    .sort((a, b) => a.order - b.order)
    .map(({ signal }) => ({ afterSteps: random.int(5, 100), signal, downSteps: random.int(0, 25) }))
  const calmSteps = random.int(30, 80)
  const crashes = settings.maxSigkills > 0 && random.bool(0.5)
  const calmCrash: CalmCrash | null = crashes
    ? { atStep: random.int(0, 20), downSteps: random.int(0, 10), bootSteps: random.int(0, 60), afterSteps: random.int(60, 160) }
    : null
  return {
    clientCount,
    steps,
    calmSteps,
    calmCrash,
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
