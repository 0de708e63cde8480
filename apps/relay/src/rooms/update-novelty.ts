// Whether an update would change the room's document, read from its outline (`outlineUpdate`: per
// client, where its structs end, and its delete set; no struct decoded). Every reconnecting stock
// client answers the relay's sync step 1 with its whole delete set, which on a long-edited
// document is thousands of ranges the relay already has; `Y.applyUpdate` walks the struct store
// for each of them (~0.45 ms per client on automerge-paper, most of a warm reconnect storm's CPU).
// After a restart of a relay without storage, each answers with its whole state, which decoding
// alone costs 12-17 ms (and megabytes of garbage) for automerge-paper; its outline ~1 ms. The
// document's own delete set is built once and kept until the document changes, so every further
// such answer costs one walk along it and is neither decoded nor applied.
import type { DeletedRanges, UpdateOutline } from '@collab/protocol'
import * as Y from 'yjs'
import { DocumentCache } from './document-cache'

/**
 * Below this many deleted ranges an update is left to `Y.applyUpdate` unless the document's delete
 * set is already built: a typed backspace (one range) must not rebuild it after every keystroke.
 */
export const MIN_RANGES_TO_BUILD = 16

type DeleteSet = ReturnType<typeof Y.createDeleteSetFromStructStore>

export class DocumentNovelty extends DocumentCache {
  /** Sorted, maximal deleted ranges per client of the document; null until needed after a change. */
  private deleted: DeleteSet | null = null

  constructor(
    doc: Y.Doc,
    private readonly minRangesToBuild = MIN_RANGES_TO_BUILD,
  ) {
    super(doc)
  }

  /**
   * Whether applying the update would change the document: a struct it does not have, or a
   * deletion of something not yet deleted.
   */
  changes(outline: UpdateOutline): boolean {
    return this.hasNewStructs(outline) || this.hasNewDeletions(outline.deletes)
  }

  /**
   * True when the update certainly changes nothing and finding that out was cheap (see
   * MIN_RANGES_TO_BUILD); false means "apply it", not "it changes something".
   */
  knownToChangeNothing(outline: UpdateOutline): boolean {
    if (this.hasNewStructs(outline)) return false
    if (this.deleted === null && outline.deleteRanges < this.minRangesToBuild) return false
    return !this.hasNewDeletions(outline.deletes)
  }

  private hasNewStructs(outline: UpdateOutline): boolean {
    const store = this.doc.store
    for (const [client, end] of outline.structEnds) {
      if (end > Y.getState(store, client)) return true
    }
    return false
  }

  private hasNewDeletions(deletes: UpdateOutline['deletes']): boolean {
    if (deletes.size === 0) return false
    this.deleted ??= Y.createDeleteSetFromStructStore(this.doc.store)
    for (const [client, ranges] of deletes) {
      if (!coversAll(this.deleted.clients.get(client) ?? [], ranges)) return true
    }
    return false
  }

  clear(): void {
    this.deleted = null
  }
}

type Range = { readonly clock: number; readonly len: number }

/**
 * Whether every non-empty range of `ranges` (flat clock/len pairs, as an outline holds them) lies
 * inside one of `known` (sorted, non-overlapping, maximal: what `createDeleteSetFromStructStore`
 * builds). Yjs writes a delete set sorted by clock,
 * so one walk along both does it: a reconnecting client's whole delete set against the
 * document's took a binary search per range before, the largest single cost of a warm
 * reconnect storm (bench scenario 6). Ranges out of order (a hostile or foreign encoder) are
 * still answered right, by a binary search each from the first one out of order on.
 */
export function coversAll(known: readonly Range[], ranges: DeletedRanges): boolean {
  let index = 0
  let previousClock = -1
  let sorted = true
  for (let at = 0; at + 1 < ranges.length; at += 2) {
    const clock = ranges[at]!
    const len = ranges[at + 1]!
    if (len <= 0) continue
    if (sorted && clock < previousClock) sorted = false
    previousClock = clock
    if (!sorted) {
      if (!covers(known, clock, len)) return false
      continue
    }
    while (index < known.length && known[index]!.clock + known[index]!.len <= clock) index++
    const candidate = known[index]
    if (candidate === undefined || candidate.clock > clock || clock + len > candidate.clock + candidate.len) {
      return false
    }
  }
  return true
}

/** Whether one of the sorted, non-overlapping `ranges` contains [clock, clock + len). */
function covers(ranges: readonly Range[], clock: number, len: number): boolean {
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
