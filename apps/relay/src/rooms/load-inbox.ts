import type { Frame } from '@collab/protocol'
import { assertNever } from '../assert-never'
import type { Connection } from '../connection/connection'

export interface LoadInboxLimits {
  maxFrames: number
  maxBytes: number
}

/**
 * Frames that arrive while a room loads, per connection, in order. Honest clients send a sync
 * step 1 and their presence while they wait; the limits bound everything else.
 */
export class LoadInbox {
  private readonly queues = new Map<Connection, { frames: Frame[]; bytes: number }>()

  constructor(private readonly limits: LoadInboxLimits) {}

  open(connection: Connection): void {
    this.queues.set(connection, { frames: [], bytes: 0 })
  }

  /** Queues a frame; false (and the queue dropped) when the connection exceeded a limit. */
  push(connection: Connection, frame: Frame): boolean {
    const queue = this.queues.get(connection)
    if (queue === undefined) return true
    queue.bytes += payloadBytes(frame)
    if (queue.frames.length >= this.limits.maxFrames || queue.bytes > this.limits.maxBytes) {
      this.queues.delete(connection)
      return false
    }
    queue.frames.push(frame)
    return true
  }

  /** Removes and returns a connection's queued frames. */
  take(connection: Connection): Frame[] {
    const queue = this.queues.get(connection)
    this.queues.delete(connection)
    return queue?.frames ?? []
  }

  delete(connection: Connection): void {
    this.queues.delete(connection)
  }

  clear(): void {
    this.queues.clear()
  }
}

/** Bytes a decoded frame keeps alive (its payload views). */
function payloadBytes(frame: Frame): number {
  switch (frame.type) {
    case 'sync-step1':
    case 'saved-state-vector':
      return frame.stateVector.byteLength
    case 'sync-step2':
    case 'sync-update':
    case 'awareness':
      return frame.update.byteLength
    case 'auth-permission-denied':
      return frame.reason.length
    case 'query-awareness':
    case 'saved-state-vector-request':
      return 1
    default:
      return assertNever(frame)
  }
}
