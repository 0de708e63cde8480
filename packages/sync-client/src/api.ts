// Public types of the sync client; the implementation lives in sync-client.ts.
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'

export type ConnectionState = 'online' | 'connecting' | 'offline'

export interface SyncStatus {
  /** online: socket open and first sync done; connecting: trying; offline: no network or gave up for now. */
  connection: ConnectionState
  /** The IndexedDB copy has been loaded into the document. */
  localLoaded: boolean
  /** Every local change is durable on the relay (compared by state vector). */
  allSaved: boolean
  /** Local transactions not yet confirmed as stored by the relay. */
  pendingChanges: number
  /** When the next reconnect attempt happens (ms since epoch), if one is scheduled. */
  nextRetryAtMs: number | null
}

export interface UserProfile {
  name: string
  /** CSS colour, `#rrggbb`. */
  color: string
}
