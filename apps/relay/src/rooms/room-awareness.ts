import {
  InvalidAwarenessError,
  encodeAwareness,
  encodeAwarenessEntries,
  type ParsedAwarenessEntry,
  type ProtocolLimits,
} from '@collab/protocol'
import type { FastifyBaseLogger } from 'fastify'
import * as awarenessProtocol from 'y-protocols/awareness'
import type * as Y from 'yjs'
import type { Connection } from '../connection/connection'
import type { TimerHandle, Timers } from '../timers'

export interface RoomAwarenessOptions {
  docId: string
  timers: Timers
  logger: FastifyBaseLogger
  limits: Pick<ProtocolLimits, 'maxAwarenessClientsPerConnection' | 'maxAwarenessClockJump'>
  /** Outgoing awareness is sent at most once per this interval. */
  flushIntervalMs: number
  /** Presence states one connection receives per second at most: larger rooms flush less often. */
  maxStatesPerSecond: number
  /** Sends one encoded frame to every connection of the room. */
  broadcast(frame: Uint8Array): void
}

/** However large the room, presence is flushed at least this often (peers time a state out after 30 s). */
export const MAX_AWARENESS_INTERVAL_MS = 1_000

/**
 * The flush interval of a room holding `states` presence states. Each flush sends every changed
 * state to every connection, so a room's presence traffic grows with the square of its size; past
 * `maxStatesPerSecond × flushIntervalMs / 1000` states (10 with the defaults) the interval grows
 * with the room instead, so each connection receives at most `maxStatesPerSecond` states per
 * second, up to {@link MAX_AWARENESS_INTERVAL_MS}.
 */
export function awarenessIntervalMs(states: number, flushIntervalMs: number, maxStatesPerSecond: number): number {
  const budgetMs = Math.min(MAX_AWARENESS_INTERVAL_MS, Math.ceil((1000 * states) / maxStatesPerSecond))
  return Math.max(flushIntervalMs, budgetMs)
}

interface AwarenessChange {
  added: number[]
  updated: number[]
  removed: number[]
}

/**
 * The room's awareness mirror. Each client id belongs to the connection that introduced it; a
 * connection's entries for other ids are ignored (stock clients echo every state they learn back
 * to the relay, so foreign ids are normal and never a reason to close). An owned id's clock may
 * not jump by more than `maxAwarenessClockJump` (close 4423): a huge clock would make every later
 * honest state for that id look outdated. Changes are coalesced:
 * the latest state per client id, encoded once and broadcast at most every `flushIntervalMs`, or
 * less often in a large room (see {@link awarenessIntervalMs}).
 */
export class RoomAwareness {
  readonly awareness: awarenessProtocol.Awareness
  private readonly owners = new Map<number, Connection>()
  private readonly changed = new Set<number>()
  private timer: TimerHandle | null = null
  private lastFlushMs = Number.NEGATIVE_INFINITY

  constructor(
    doc: Y.Doc,
    private readonly options: RoomAwarenessOptions,
  ) {
    this.awareness = new awarenessProtocol.Awareness(doc)
    // The relay is a mirror, not a participant: it has no presence of its own.
    this.awareness.setLocalState(null)
    this.awareness.on('update', this.onUpdate)
  }

  /**
   * Applies the entries this connection may set; returns how many were ignored. Throws
   * InvalidAwarenessError for an absurd clock jump on an id it owns (nothing applied).
   */
  apply(connection: Connection, entries: readonly ParsedAwarenessEntry[]): number {
    for (const entry of entries) this.checkClock(connection, entry)
    const allowed = entries.filter((entry) => this.mayApply(connection, entry))
    if (allowed.length > 0) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(allowed), connection)
    }
    return entries.length - allowed.length
  }

  /** Removes every state the connection owns (it closed). */
  removeConnection(connection: Connection): void {
    const ids = connection.releaseAwarenessClients()
    for (const id of ids) {
      if (this.owners.get(id) === connection) this.owners.delete(id)
    }
    awarenessProtocol.removeAwarenessStates(this.awareness, ids, connection)
  }

  /** One awareness frame with every current state, or null when there is none. */
  encodeAll(): Uint8Array | null {
    const ids = [...this.awareness.getStates().keys()]
    if (ids.length === 0) return null
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids))
  }

  destroy(): void {
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer)
    this.timer = null
    this.changed.clear()
    this.awareness.off('update', this.onUpdate)
    this.awareness.destroy()
  }

  private checkClock(connection: Connection, entry: ParsedAwarenessEntry): void {
    if (this.owners.get(entry.clientId) !== connection) return
    const known = this.awareness.meta.get(entry.clientId)
    const maxJump = this.options.limits.maxAwarenessClockJump
    if (known !== undefined && entry.clock > known.clock + maxJump) {
      throw new InvalidAwarenessError(
        `clock of client ${entry.clientId} jumps from ${known.clock} to ${entry.clock} (maxAwarenessClockJump ${maxJump})`,
      )
    }
  }

  private mayApply(connection: Connection, entry: ParsedAwarenessEntry): boolean {
    const owner = this.owners.get(entry.clientId)
    if (owner === connection) return true
    if (owner !== undefined) return false
    // Unowned: only a live state newer than anything we saw may introduce a client id. An echo
    // of a state whose owner has left carries a clock we already know and is ignored.
    if (entry.state === null) return false
    const known = this.awareness.meta.get(entry.clientId)
    if (known !== undefined && entry.clock <= known.clock) return false
    if (connection.awarenessClientIds.size >= this.options.limits.maxAwarenessClientsPerConnection) {
      this.options.logger.debug(
        { docId: this.options.docId, connection: connection.id, clientId: entry.clientId },
        'awareness client id ignored: connection owns too many',
      )
      return false
    }
    this.owners.set(entry.clientId, connection)
    connection.ownAwarenessClient(entry.clientId)
    return true
  }

  /**
   * Listeners are bound methods, not arrow-function fields: under tsx (esbuild keepNames) every
   * named arrow carries a dictionary-mode `name` property, ~300 bytes per room each.
   */
  private readonly onUpdate = this.changedStates.bind(this)

  private changedStates({ added, updated, removed }: AwarenessChange): void {
    for (const id of added) this.changed.add(id)
    for (const id of updated) this.changed.add(id)
    for (const id of removed) this.changed.add(id)
    if (this.changed.size === 0 || this.timer !== null) return
    const { timers, flushIntervalMs, maxStatesPerSecond } = this.options
    const intervalMs = awarenessIntervalMs(this.awareness.getStates().size, flushIntervalMs, maxStatesPerSecond)
    const waitMs = Math.max(0, this.lastFlushMs + intervalMs - timers.now())
    this.timer = timers.setTimeout(() => this.flush(), waitMs)
  }

  private flush(): void {
    this.timer = null
    this.lastFlushMs = this.options.timers.now()
    const ids = [...this.changed]
    this.changed.clear()
    if (ids.length === 0) return
    // Removed ids encode as state null with their last clock, which peers apply as "left".
    this.options.broadcast(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, ids)))
  }
}
