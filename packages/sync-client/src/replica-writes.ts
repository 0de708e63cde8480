// y-indexeddb writes every update in an IndexedDB transaction of its own. Opening one costs the
// page about a millisecond of main-thread time (measured in bench scenario 7: ~1.5 ms of script
// per remote keystroke, most of it the transaction), paid by every page for every keystroke
// anyone types. Updates from the relay are not at risk in the meantime (the relay has them), so
// they are gathered for a moment and written as one merged update. A local edit first writes
// whatever was gathered, in order, so the replica never holds an edit without the edits it was
// made on.
import type { IndexeddbPersistence } from 'y-indexeddb'
import * as Y from 'yjs'
import type { TimerHandle, Timers } from './api'

/** How long updates from the relay wait to be written to the replica together. */
export const REMOTE_WRITE_DELAY_MS = 250

export interface ReplicaWrites {
  /** Writes the gathered relay updates now (before the page goes away or the replica closes). */
  flush(): void
}

export interface ReplicaWritesOptions {
  persistence: IndexeddbPersistence
  doc: Y.Doc
  /** Updates with these origins came from the relay. */
  isRemoteOrigin(origin: unknown): boolean
  timers: Timers
  delayMs?: number
}

/**
 * Takes over y-indexeddb's update listener: local updates go to its writer at once as before,
 * relay updates in batches. y-indexeddb's `destroy()` removes the listener that replaces its own.
 */
export function batchRemoteWrites(options: ReplicaWritesOptions): ReplicaWrites {
  const { persistence, doc, timers } = options
  const write = persistence._storeUpdate
  const pending: Uint8Array[] = []
  let timer: TimerHandle | null = null
  const flush = (): void => {
    if (timer !== null) {
      timers.clearTimeout(timer)
      timer = null
    }
    if (pending.length === 0) return
    const batch = pending.length === 1 ? (pending[0] as Uint8Array) : Y.mergeUpdates(pending)
    pending.length = 0
    write(batch, null)
  }
  const onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (!options.isRemoteOrigin(origin)) {
      flush()
      write(update, origin)
      return
    }
    pending.push(update)
    timer ??= timers.setTimeout(flush, options.delayMs ?? REMOTE_WRITE_DELAY_MS)
  }
  doc.off('update', write)
  doc.on('update', onUpdate)
  persistence._storeUpdate = onUpdate
  return { flush }
}
