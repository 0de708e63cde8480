// Compaction when several relays share one store (PostgreSQL, or any store with REDIS_URL set).
// A relay's live document may lack an entry another relay appended a moment ago, so a snapshot
// of the live document with upToSeq = lastSeq could delete that entry unseen. Instead fold what
// is stored (compactDoc), one relay at a time under the store's compaction lock; an entry
// appended meanwhile has a higher seq and stays in the log.
import {
  compactDoc,
  foldToSnapshot,
  type CompactionOutcome,
  type DocStats,
  type DocStore,
} from '@collab/storage'

export interface SharedCompactionOptions {
  /**
   * The live document's state, for the fallback snapshot when the log refused a batch: then the
   * live document holds updates that exist nowhere else, and the snapshot must include them.
   */
  live: Uint8Array | null
  now: () => number
}

export interface SharedCompactionResult {
  /** `locked-elsewhere`: another relay (or this one) is compacting the document right now. */
  outcome: CompactionOutcome | 'locked-elsewhere'
  bytesBefore: number
  bytesAfter: number
  foldedEntries: number
  upToSeq: number
  durationMs: number
  /** What is stored after it (log counters include every relay's entries). */
  stats: DocStats
}

/** Folds the stored log into the stored snapshot (plus `live` when given); never loses an entry. */
export async function compactSharedStore(
  store: DocStore,
  docId: string,
  options: SharedCompactionOptions,
): Promise<SharedCompactionResult> {
  const startedMs = options.now()
  if (options.live !== null) return snapshotWithLive(store, docId, options.live, options.now, startedMs)
  const run = () => compactDoc(store, docId, { now: options.now })
  const locked = store.tryWithCompactionLock ? await store.tryWithCompactionLock(docId, run) : { acquired: true as const, value: await run() }
  const stats = await store.stats(docId)
  if (!locked.acquired) {
    const storedBytes = stats.snapshotBytes + stats.logBytes
    return {
      outcome: 'locked-elsewhere',
      bytesBefore: storedBytes,
      bytesAfter: storedBytes,
      foldedEntries: 0,
      upToSeq: 0,
      durationMs: options.now() - startedMs,
      stats,
    }
  }
  const { outcome, bytesBefore, bytesAfter, foldedEntries, upToSeq, durationMs } = locked.value
  return { outcome, bytesBefore, bytesAfter, foldedEntries, upToSeq, durationMs, stats }
}

async function snapshotWithLive(
  store: DocStore,
  docId: string,
  live: Uint8Array,
  now: () => number,
  startedMs: number,
): Promise<SharedCompactionResult> {
  const stored = await store.load(docId)
  const bytesBefore = (stored.snapshot?.byteLength ?? 0) + stored.updates.reduce((sum, update) => sum + update.byteLength, 0)
  // Stored state first, then the live document: the snapshot covers every entry up to lastSeq.
  const snapshot = foldToSnapshot({ ...stored, updates: [...stored.updates, live] }, docId)
  await store.replaceSnapshot(docId, snapshot, stored.lastSeq)
  return {
    outcome: 'compacted',
    bytesBefore,
    bytesAfter: snapshot.byteLength,
    foldedEntries: stored.updates.length,
    upToSeq: stored.lastSeq,
    durationMs: now() - startedMs,
    stats: await store.stats(docId),
  }
}
