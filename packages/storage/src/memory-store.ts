// An adapter that keeps everything in the process's memory: for a relay run with persistence
// off (benchmarks against in-memory peers, throwaway demos) and for tests. Nothing survives
// close() or a restart.
import type { CompactionLockResult, DocStats, DocStore, DocSummary, StoredDoc } from './doc-store'
import { InvalidSeqError, StaleSnapshotError, StoreClosedError } from './errors'
import { checkDocId, checkListOptions, checkSnapshot, checkUpdates, resolvePayloadLimits, type PayloadLimits } from './validate'

export interface MemoryDocStoreOptions {
  /** Clock for `updatedAtMs`; defaults to `Date.now`. */
  now?: () => number
  /** Largest single update `append` accepts; default 16 MiB. */
  maxUpdateBytes?: number
  /** Largest snapshot `replaceSnapshot` accepts; default 256 MiB. */
  maxSnapshotBytes?: number
}

interface MemoryDoc {
  snapshot: Uint8Array | null
  snapshotSeq: number
  /** Log entries after the snapshot, oldest first; `seqs[i]` belongs to `updates[i]`. */
  updates: Uint8Array[]
  seqs: number[]
  logBytes: number
  lastSeq: number
  updatedAtMs: number
}

/**
 * {@link DocStore} in memory: the same model, checks and errors as the durable adapters, but
 * documents are lost when the store is closed or the process ends. `reopen` is not possible.
 */
export class MemoryDocStore implements DocStore {
  private docs: Map<string, MemoryDoc> | null = new Map()
  private readonly heldCompactionLocks = new Set<string>()
  private readonly limits: PayloadLimits
  private readonly now: () => number

  /** Throws `InvalidArgumentError` for bad limits. */
  constructor(options: MemoryDocStoreOptions = {}) {
    this.limits = resolvePayloadLimits(options)
    const clock = options.now ?? Date.now
    // Whole milliseconds, like the SQL adapters' integer columns.
    this.now = () => Math.floor(clock())
  }

  private open(operation: string, docId?: string): Map<string, MemoryDoc> {
    if (this.docs === null) {
      throw new StoreClosedError(operation, docId)
    }
    return this.docs
  }

  async load(docId: string): Promise<StoredDoc> {
    checkDocId(docId)
    const doc = this.open('load', docId).get(docId)
    if (doc === undefined) return { snapshot: null, updates: [], lastSeq: 0 }
    return { snapshot: doc.snapshot, updates: [...doc.updates], lastSeq: doc.lastSeq }
  }

  async append(docId: string, updates: readonly Uint8Array[]): Promise<number> {
    checkDocId(docId)
    checkUpdates(docId, updates, this.limits)
    const docs = this.open('append to', docId)
    if (updates.length === 0) return docs.get(docId)?.lastSeq ?? 0
    const doc = this.getOrCreate(docs, docId)
    for (const update of updates) {
      // A copy: the caller may reuse its buffer, and a view must not keep a larger one alive.
      doc.updates.push(update.slice())
      doc.seqs.push(++doc.lastSeq)
      doc.logBytes += update.byteLength
    }
    doc.updatedAtMs = this.now()
    return doc.lastSeq
  }

  async replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number): Promise<void> {
    checkDocId(docId)
    checkSnapshot(docId, snapshot, this.limits)
    const docs = this.open('replace the snapshot of', docId)
    const existing = docs.get(docId)
    const lastSeq = existing?.lastSeq ?? 0
    if (!Number.isSafeInteger(upToSeq) || upToSeq < 0 || upToSeq > lastSeq) {
      throw new InvalidSeqError(docId, upToSeq, lastSeq)
    }
    const snapshotSeq = existing?.snapshotSeq ?? 0
    if (upToSeq < snapshotSeq) throw new StaleSnapshotError(docId, upToSeq, snapshotSeq)
    const doc = existing ?? this.getOrCreate(docs, docId)
    const keepFrom = doc.seqs.findIndex((seq) => seq > upToSeq)
    const folded = keepFrom === -1 ? doc.seqs.length : keepFrom
    doc.logBytes -= doc.updates.slice(0, folded).reduce((sum, update) => sum + update.byteLength, 0)
    doc.updates.splice(0, folded)
    doc.seqs.splice(0, folded)
    doc.snapshot = snapshot.slice()
    doc.snapshotSeq = upToSeq
    doc.updatedAtMs = this.now()
  }

  async stats(docId: string): Promise<DocStats> {
    checkDocId(docId)
    const doc = this.open('read stats of', docId).get(docId)
    return {
      snapshotBytes: doc?.snapshot?.byteLength ?? 0,
      logEntries: doc?.updates.length ?? 0,
      logBytes: doc?.logBytes ?? 0,
    }
  }

  async list(options?: { limit?: number; offset?: number }): Promise<DocSummary[]> {
    const page = checkListOptions(options)
    const docs = this.open('list documents in')
    // Byte-wise doc id order on ties, like the SQL adapters (doc ids are ASCII).
    return [...docs.entries()]
      .sort(([idA, a], [idB, b]) => b.updatedAtMs - a.updatedAtMs || (idA < idB ? -1 : idA > idB ? 1 : 0))
      .slice(page.offset, page.offset + page.limit)
      .map(([docId, doc]) => ({
        docId,
        updatedAtMs: doc.updatedAtMs,
        storedBytes: (doc.snapshot?.byteLength ?? 0) + doc.logBytes,
      }))
  }

  async delete(docId: string): Promise<void> {
    checkDocId(docId)
    this.open('delete', docId).delete(docId)
  }

  /** See {@link DocStore.tryWithCompactionLock}; exclusive within this store. */
  async tryWithCompactionLock<T>(docId: string, fn: () => Promise<T>): Promise<CompactionLockResult<T>> {
    checkDocId(docId)
    if (this.docs === null) throw new StoreClosedError(`lock document ${JSON.stringify(docId)} for compaction`)
    if (this.heldCompactionLocks.has(docId)) return { acquired: false }
    this.heldCompactionLocks.add(docId)
    try {
      return { acquired: true, value: await fn() }
    } finally {
      this.heldCompactionLocks.delete(docId)
    }
  }

  async close(): Promise<void> {
    this.docs = null
  }

  private getOrCreate(docs: Map<string, MemoryDoc>, docId: string): MemoryDoc {
    let doc = docs.get(docId)
    if (doc === undefined) {
      doc = { snapshot: null, snapshotSeq: 0, updates: [], seqs: [], logBytes: 0, lastSeq: 0, updatedAtMs: this.now() }
      docs.set(docId, doc)
    }
    return doc
  }
}
