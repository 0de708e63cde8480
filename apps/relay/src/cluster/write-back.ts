import type { DocStore } from '@collab/storage'
import * as Y from 'yjs'

/**
 * What `liveState` holds that storage lacks, as one update (new structs and new deletions), or
 * null when storage has it all. Used when a relay died between publishing a client's update and
 * storing it: the relays that applied it from the bus store it instead. Appending it twice (two
 * survivors) is harmless: re-applying is a no-op in Yjs and the next compaction drops it.
 */
export async function unstoredChanges(store: DocStore, docId: string, liveState: Uint8Array): Promise<Uint8Array | null> {
  const stored = await store.load(docId)
  // Named, so Yjs does not draw a random uuid (~0.45 ms; see Room).
  const doc = new Y.Doc({ gc: true, guid: docId })
  try {
    doc.transact(() => {
      for (const record of stored.snapshot === null ? stored.updates : [stored.snapshot, ...stored.updates]) {
        try {
          Y.applyUpdate(doc, record)
        } catch {
          // A corrupt record is reported when the room loads it; the diff is still correct.
        }
      }
    })
    let missing: Uint8Array | null = null
    // The transaction's update event carries exactly its new structs and newly deleted ranges.
    doc.on('update', (update: Uint8Array) => {
      missing = missing === null ? update : Y.mergeUpdates([missing, update])
    })
    Y.applyUpdate(doc, liveState)
    return missing
  } finally {
    doc.destroy()
  }
}
