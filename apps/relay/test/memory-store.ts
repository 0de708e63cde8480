// In-memory DocStore double for the relay's own unit tests only; integration tests use SQLite.
import type { DocStats, DocStore, DocSummary, StoredDoc } from '@collab/storage'

interface Entry {
  snapshot: Uint8Array | null
  snapshotSeq: number
  log: Array<{ seq: number; update: Uint8Array }>
  lastSeq: number
}

export class MemoryDocStore implements DocStore {
  readonly docs = new Map<string, Entry>()
  appendCalls: Array<{ docId: string; updates: number }> = []
  snapshotCalls: Array<{ docId: string; bytes: number; upToSeq: number }> = []
  /** When set, the next appends reject with it (until cleared). */
  failAppendsWith: Error | null = null

  private entry(docId: string): Entry {
    let entry = this.docs.get(docId)
    if (!entry) {
      entry = { snapshot: null, snapshotSeq: 0, log: [], lastSeq: 0 }
      this.docs.set(docId, entry)
    }
    return entry
  }
  async load(docId: string): Promise<StoredDoc> {
    const entry = this.docs.get(docId)
    if (!entry) return { snapshot: null, updates: [], lastSeq: 0 }
    return { snapshot: entry.snapshot, updates: entry.log.map((e) => e.update), lastSeq: entry.lastSeq }
  }
  async append(docId: string, updates: readonly Uint8Array[]): Promise<number> {
    this.appendCalls.push({ docId, updates: updates.length })
    if (this.failAppendsWith) throw this.failAppendsWith
    const entry = this.entry(docId)
    for (const update of updates) entry.log.push({ seq: ++entry.lastSeq, update })
    return entry.lastSeq
  }
  async replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number): Promise<void> {
    this.snapshotCalls.push({ docId, bytes: snapshot.byteLength, upToSeq })
    const entry = this.entry(docId)
    entry.snapshot = snapshot
    entry.snapshotSeq = upToSeq
    entry.log = entry.log.filter((e) => e.seq > upToSeq)
  }
  async stats(docId: string): Promise<DocStats> {
    const entry = this.docs.get(docId)
    return {
      snapshotBytes: entry?.snapshot?.byteLength ?? 0,
      logEntries: entry?.log.length ?? 0,
      logBytes: entry?.log.reduce((sum, e) => sum + e.update.byteLength, 0) ?? 0,
    }
  }
  async list(): Promise<DocSummary[]> {
    return [...this.docs.keys()].map((docId) => ({ docId, updatedAtMs: 0, storedBytes: 0 }))
  }
  async delete(docId: string): Promise<void> {
    this.docs.delete(docId)
  }
  async close(): Promise<void> {}
}
