import * as Y from 'yjs'
import type { ConnectionState, SyncStatus } from './api'

/** Yjs state vector: client id → number of structs seen from that client. */
export type StateVector = Map<number, number>

/**
 * True when `remote` has everything `local` has: for every client id in `local`, the remote
 * clock is at least as far. Clients only the remote knows do not matter.
 */
export function stateVectorCovers(remote: StateVector, local: StateVector): boolean {
  for (const [clientId, clock] of local) {
    if (clock > 0 && (remote.get(clientId) ?? 0) < clock) return false
  }
  return true
}

/**
 * Decodes a state vector received from the network; null for anything malformed (truncated
 * bytes, negative or non-integer clocks). Never throws.
 */
export function decodeStateVectorSafe(bytes: Uint8Array): StateVector | null {
  let decoded: Map<number, number>
  try {
    decoded = Y.decodeStateVector(bytes)
  } catch {
    return null
  }
  for (const [clientId, clock] of decoded) {
    if (!Number.isSafeInteger(clientId) || clientId < 0) return null
    if (!Number.isSafeInteger(clock) || clock < 0) return null
  }
  return decoded
}

/** Inputs that decide what the user is told about the connection. */
export interface ConnectionFacts {
  /** Socket open and the first sync (server's step 2) received. */
  synced: boolean
  /** The browser fired `offline` (or reported offline at start) and no `online` since. */
  browserOffline: boolean
  /** Reconnecting was stopped: destroyed, or the relay refused the document permanently. */
  stopped: boolean
  /** Connection attempts that failed since the last successful sync. */
  failedAttempts: number
  offlineAfterFailedAttempts: number
}

/** Maps the client's internal facts to the three states the UI shows. */
export function deriveConnectionState(facts: ConnectionFacts): ConnectionState {
  if (facts.synced) return 'online'
  if (facts.browserOffline || facts.stopped) return 'offline'
  return facts.failedAttempts >= facts.offlineAfterFailedAttempts ? 'offline' : 'connecting'
}

export function statusEquals(a: SyncStatus, b: SyncStatus): boolean {
  return (
    a.connection === b.connection &&
    a.localLoaded === b.localLoaded &&
    a.localPersistence === b.localPersistence &&
    a.allSaved === b.allSaved &&
    a.pendingChanges === b.pendingChanges &&
    a.nextRetryAtMs === b.nextRetryAtMs &&
    a.permanentError === b.permanentError
  )
}
