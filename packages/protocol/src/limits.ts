/**
 * Limits the relay enforces on what clients send. Every field is overridable (the relay maps them
 * to environment variables); {@link DEFAULT_LIMITS} are sized for a rich-text editor.
 */
export interface ProtocolLimits {
  /** Largest WebSocket frame accepted (ws `maxPayload`); bigger frames close with 1009. */
  maxFrameBytes: number
  /** Largest single Yjs update (sync step 2 or update) accepted. */
  maxUpdateBytes: number
  /** Largest document (encoded state) a room may grow to. */
  maxDocumentBytes: number
  /** Most distinct client ids (structs and delete set together) in one update. */
  maxUpdateClientIds: number
  /** Largest JSON text of one awareness state, in UTF-8 bytes. */
  maxAwarenessStateBytes: number
  /** Deepest nesting of arrays/objects in one awareness state. */
  maxAwarenessJsonDepth: number
  /** Most entries (client ids) in one awareness update. */
  maxAwarenessEntries: number
  /** Most awareness client ids one connection may own (a stock client uses one). */
  maxAwarenessClientsPerConnection: number
  /** Sustained messages per second per connection (token bucket refill rate). */
  maxMessagesPerSecond: number
  /** Messages a connection may send in a burst above the sustained rate (token bucket size). */
  messageBurst: number
  /**
   * Most updates with missing dependencies (structs or deletions the room does not have yet) one
   * connection may have waiting. They are held outside the document until what they need arrives.
   */
  maxPendingUpdates: number
  /** Bytes of such waiting updates per connection. */
  maxPendingUpdateBytes: number
  /**
   * Budget of Yjs conflict-resolution steps one update may cost: concurrent inserts at one
   * position (or one map key) times the concurrent items already there. The "many client ids set
   * one key" bomb is quadratic in exactly this.
   */
  maxConflictScanSteps: number
  /** Largest forward jump of the awareness clock of a client id the connection already owns. */
  maxAwarenessClockJump: number
}

/** Largest awareness clock accepted (a stock client adds 1 per change and every 15 s). */
export const MAX_AWARENESS_CLOCK = 2 ** 31 - 1

const KiB = 1024
const MiB = 1024 * KiB

/**
 * Why these numbers:
 * - A keystroke update is 20–40 bytes, a large paste a few hundred KiB; but the first sync of an
 *   offline-first client uploads its whole document as one sync step 2, so updates may be as large
 *   as a large document: 16 MiB covers a book-length text with history. A frame is an update plus
 *   a few bytes of header.
 * - 64 MiB of encoded document is far beyond any hand-written text and keeps a room's memory
 *   bounded (a loaded Y.Doc costs a small multiple of its encoded size).
 * - Every browser session gets a fresh client id, so a long-lived document legitimately carries
 *   thousands; 10,000 per update still stops the "100k client ids on one key" conflict bomb.
 * - A y-prosemirror presence state (name, colour, two relative positions) is ~300 bytes and 4
 *   levels deep: 8 KiB and depth 16 leave room for custom fields without letting one client bloat
 *   every peer's memory or blow a recursive JSON walker's stack.
 * - Stock y-websocket clients echo every remote awareness state they learn back to the relay, so
 *   one awareness update may name every user in a room: 4,096 entries.
 * - Typing produces ~15 updates/s plus ≤20 awareness updates/s; 300 messages/s sustained with a
 *   burst of 3,000 (a reconnecting client flushing queued edits) is far above honest use.
 * - An honest client's update lacks a dependency only for a moment (a live edit that overtook the
 *   sync step 2 carrying its offline history): 1,000 updates / 1 MiB waiting is plenty.
 * - Conflict scans: an honest update inserts one item where a handful of concurrent ones already
 *   are; 1,000,000 steps is ~10–40 ms of work, while 5,000 ids on one key already on 5,000 cost
 *   ~3 s (measured: each further round of such an update grows quadratically).
 * - A stock client's awareness clock grows by 1 per change; 10,000 between two messages of the
 *   same connection is far beyond any honest gap.
 */
export const DEFAULT_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  maxFrameBytes: 16 * MiB + 1 * KiB,
  maxUpdateBytes: 16 * MiB,
  maxDocumentBytes: 64 * MiB,
  maxUpdateClientIds: 10_000,
  maxAwarenessStateBytes: 8 * KiB,
  maxAwarenessJsonDepth: 16,
  maxAwarenessEntries: 4_096,
  maxAwarenessClientsPerConnection: 8,
  maxMessagesPerSecond: 300,
  messageBurst: 3_000,
  maxPendingUpdates: 1_000,
  maxPendingUpdateBytes: 1 * MiB,
  maxConflictScanSteps: 1_000_000,
  maxAwarenessClockJump: 10_000,
})
