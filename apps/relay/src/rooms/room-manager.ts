import { CloseCode } from '@collab/protocol'
import { FlushClock } from './flush-clock'
import { Room, type RoomOptions } from './room'

/** Summary of an open room, for listings and health. */
export interface OpenRoomInfo {
  docId: string
  state: Room['state']
  connections: number
  pendingUpdates: number
  storageHealthy: boolean
  /** Storage holds something of this document (so it appears in `store.list()`). */
  stored: boolean
  openedAtMs: number
}

/**
 * The open rooms by doc id. A room stays registered until it is closed; a joiner arriving while
 * an idle room unloads revives it, so nobody reads storage that may still lack the last writes.
 */
export class RoomManager {
  private readonly rooms = new Map<string, Room>()
  private shuttingDown = false

  private readonly options: RoomOptions

  /** Without a `flushClock`, the rooms share one ticking every `flushIntervalMs`. */
  constructor(options: RoomOptions) {
    this.options = { ...options, flushClock: options.flushClock ?? new FlushClock(options.timers, options.flushIntervalMs) }
  }

  /** Rooms that are not yet closed (loading, ready or closing). */
  get openRoomCount(): number {
    return this.rooms.size
  }

  get closing(): boolean {
    return this.shuttingDown
  }

  /** The room for `docId`, loading it when needed. Throws once {@link closeAll} started. */
  getOrLoad(docId: string): Room {
    if (this.shuttingDown) throw new Error('RoomManager is closing')
    const existing = this.rooms.get(docId)
    if (existing !== undefined) {
      if (existing.state === 'loading' || existing.state === 'ready' || existing.revive()) return existing
      throw new Error(`Room ${docId} is ${existing.state} and cannot be revived`)
    }
    const room = new Room(docId, this.options, (closed) => this.onRoomClosed(closed))
    this.rooms.set(docId, room)
    return room
  }

  get(docId: string): Room | undefined {
    return this.rooms.get(docId)
  }

  /** True when any open room cannot write to storage. */
  get storageFailing(): boolean {
    for (const room of this.rooms.values()) if (!room.persistence.healthy) return true
    return false
  }

  list(): OpenRoomInfo[] {
    return [...this.rooms.values()].map((room) => ({
      docId: room.docId,
      state: room.state,
      connections: room.connectionCount,
      pendingUpdates: room.persistence.pendingUpdates,
      storageHealthy: room.persistence.healthy,
      stored: room.persistence.storesAnything,
      openedAtMs: room.openedAtMs,
    }))
  }

  /**
   * Shutdown: refuse new rooms, flush every room (retrying until `deadlineMs` on the injected
   * clock), then close their connections with 1012 so clients reconnect to the next process.
   */
  async closeAll(deadlineMs?: number): Promise<void> {
    this.shuttingDown = true
    const rooms = [...new Set(this.rooms.values())]
    await Promise.all(
      rooms.map((room) =>
        room.close({
          reason: 'shutdown',
          code: CloseCode.ServiceRestart,
          compact: false,
          ...(deadlineMs === undefined ? {} : { deadlineMs }),
        }),
      ),
    )
  }

  private onRoomClosed(room: Room): void {
    if (this.rooms.get(room.docId) === room) this.rooms.delete(room.docId)
  }
}
