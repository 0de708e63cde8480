import type { RecentDoc } from './recent-docs'
import type { RelayDoc } from './relay-docs'

/** One row of the documents list: known on this device, on the relay, or both. */
export interface DocListEntry {
  docId: string
  title: string
  lastOpenedAtMs: number | null
  updatedAtMs: number | null
  storedBytes: number | null
  onDevice: boolean
  onRelay: boolean
}

/** Merges both sources by id; most recently touched (opened here or edited anywhere) first. */
export function mergeDocLists(recent: readonly RecentDoc[], relay: readonly RelayDoc[]): DocListEntry[] {
  const byId = new Map<string, DocListEntry>()
  for (const doc of recent) {
    byId.set(doc.docId, {
      docId: doc.docId,
      title: doc.title,
      lastOpenedAtMs: doc.lastOpenedAtMs,
      updatedAtMs: null,
      storedBytes: null,
      onDevice: true,
      onRelay: false,
    })
  }
  for (const doc of relay) {
    const existing = byId.get(doc.docId)
    if (existing) {
      existing.updatedAtMs = doc.updatedAtMs
      existing.storedBytes = doc.storedBytes
      existing.onRelay = true
    } else {
      byId.set(doc.docId, {
        docId: doc.docId,
        title: '',
        lastOpenedAtMs: null,
        updatedAtMs: doc.updatedAtMs,
        storedBytes: doc.storedBytes,
        onDevice: false,
        onRelay: true,
      })
    }
  }
  const touchedAtMs = (entry: DocListEntry) => Math.max(entry.lastOpenedAtMs ?? 0, entry.updatedAtMs ?? 0)
  return [...byId.values()].sort((a, b) => touchedAtMs(b) - touchedAtMs(a) || a.docId.localeCompare(b.docId))
}
