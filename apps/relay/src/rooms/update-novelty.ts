import * as Y from 'yjs'

/**
 * Whether applying `update` would change `doc`: a struct the document does not have, or a
 * deletion of something not yet deleted. Used while storage fails, when the relay refuses writes
 * but must still let a reconnecting client finish its sync (its sync step 2 always carries its
 * whole delete set, usually nothing new). `update` must already have passed `validateUpdate`.
 */
export function updateChangesDocument(doc: Y.Doc, update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update)
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue
    if (struct.id.clock + struct.length > Y.getState(doc.store, struct.id.client)) return true
  }
  if (ds.clients.size === 0) return false
  // Sorted, maximal deleted ranges per client (consecutive deleted structs are merged).
  const deleted = Y.createDeleteSetFromStructStore(doc.store)
  for (const [client, ranges] of ds.clients) {
    const known = deleted.clients.get(client) ?? []
    for (const range of ranges) {
      if (range.len > 0 && !covers(known, range.clock, range.len)) return true
    }
  }
  return false
}

function covers(ranges: ReadonlyArray<{ clock: number; len: number }>, clock: number, len: number): boolean {
  let low = 0
  let high = ranges.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const range = ranges[middle]!
    if (range.clock <= clock) {
      if (clock + len <= range.clock + range.len) return true
      low = middle + 1
    } else {
      high = middle - 1
    }
  }
  return false
}
