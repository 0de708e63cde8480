// The appends made in one tick of the event loop (the rooms the relay flushes together), held
// until the end of that tick so a store can write them together: SQLite in one transaction per
// 100, PostgreSQL in one statement per 100 documents.

/** An append waiting for the end of the current tick. */
export interface PendingAppend {
  readonly docId: string
  readonly updates: readonly Uint8Array[]
  resolve(lastSeq: number): void
  reject(error: unknown): void
}

/**
 * Queue of the current tick's appends. `atEndOfTick` runs in a microtask after the first append
 * of a tick; it (and any other operation of the store, so operations keep their call order)
 * takes the waiting appends with {@link take}.
 */
export class TickAppends {
  private pending: PendingAppend[] = []

  constructor(private readonly atEndOfTick: () => void) {}

  /** Queues an append; the promise settles when the store has written it (or failed to). */
  add(docId: string, updates: readonly Uint8Array[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ docId, updates, resolve, reject })
      if (this.pending.length === 1) queueMicrotask(this.atEndOfTick)
    })
  }

  /** Removes and returns the first `count` waiting appends (all by default), in call order. */
  take(count = Infinity): PendingAppend[] {
    return this.pending.splice(0, count)
  }

  get size(): number {
    return this.pending.length
  }
}
