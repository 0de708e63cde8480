// The narrow interface between a room and the cluster: what the link needs from a room, and the
// hooks the room calls. With one relay (no REDIS_URL) the room has no peer and none of this runs.
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'

/**
 * Transaction origin of updates other relays received from their clients: fanned out to this
 * relay's clients, never stored or published again here (the receiving relay stores them).
 */
export const REMOTE_ORIGIN = Symbol('remote-relay')

/** What the cluster sees of a room (`Room` implements it). */
export interface ClusterRoom {
  readonly docId: string
  readonly doc: Y.Doc
  readonly state: 'loading' | 'ready' | 'closing' | 'closed'
  /** The room's awareness mirror (`RoomAwareness`). */
  readonly awareness: { readonly awareness: Awareness }
  /** True when one of this relay's own connections introduced awareness client `clientId`. */
  ownsAwarenessClient(clientId: number): boolean
  /**
   * Applies a validated update from another relay with {@link REMOTE_ORIGIN}. Throws when Yjs
   * fails to integrate it.
   */
  applyRemoteUpdate(update: Uint8Array): void
  /** The room's write path; write-back queues what a dead relay never stored. */
  readonly persistence: { enqueue(update: Uint8Array): void }
}

/** The room's side of the cluster link. */
export interface RoomPeer {
  /** A change one of this relay's clients made (already applied, fanned out and queued). */
  publishUpdate(update: Uint8Array): void
  /** The room finished loading from storage: announce it so peers send what storage lacked. */
  loaded(): void
  /**
   * Queues for storage whatever the live document holds that storage lacks (updates a relay
   * that died applied and published but never stored). Never rejects.
   */
  writeBack(): Promise<void>
  /** The room is closed for good: unsubscribe and drop timers and listeners. */
  leave(): void
}

/** Hands out a {@link RoomPeer} per room (implemented by `ClusterLink`). */
export interface RoomCluster {
  readonly relayId: string
  join(room: ClusterRoom): RoomPeer
}
