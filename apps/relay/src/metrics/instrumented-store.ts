import type { CompactionLockResult, DocStats, DocStore, DocSummary, StoredDoc } from '@collab/storage'
import type { RelayMetrics } from './relay-metrics'

/**
 * A DocStore that times every group-commit append and counts compactions (stored bytes before
 * and after each snapshot), for `/metrics`. Everything else passes straight through; the optional
 * compaction lock exists exactly when the inner store has it.
 */
export function instrumentStore(inner: DocStore, metrics: RelayMetrics, now: () => number): DocStore {
  const store: DocStore = {
    load: (docId: string): Promise<StoredDoc> => inner.load(docId),
    async append(docId: string, updates: readonly Uint8Array[]): Promise<number> {
      const startedMs = now()
      try {
        const seq = await inner.append(docId, updates)
        metrics.storageBatch((now() - startedMs) / 1000, 'ok')
        return seq
      } catch (error) {
        metrics.storageBatch((now() - startedMs) / 1000, 'failed')
        throw error
      }
    },
    async replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number): Promise<void> {
      // One extra read per compaction (rare: every ~1,000 log entries) to report what it saved.
      const before = await inner.stats(docId).catch(() => null)
      await inner.replaceSnapshot(docId, snapshot, upToSeq)
      const bytesBefore = before === null ? 0 : before.snapshotBytes + before.logBytes
      metrics.compaction(bytesBefore, snapshot.byteLength)
    },
    stats: (docId: string): Promise<DocStats> => inner.stats(docId),
    list: (options?: { limit?: number; offset?: number }): Promise<DocSummary[]> => inner.list(options),
    delete: (docId: string): Promise<void> => inner.delete(docId),
    close: (): Promise<void> => inner.close(),
  }
  if (inner.tryWithCompactionLock !== undefined) {
    const lock = inner.tryWithCompactionLock.bind(inner)
    store.tryWithCompactionLock = <T>(docId: string, fn: () => Promise<T>): Promise<CompactionLockResult<T>> => lock(docId, fn)
  }
  return store
}
