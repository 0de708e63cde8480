// Read-only checks of a decoded update against a document, before Yjs integrates it: what it
// depends on that the document lacks, and how much conflict resolution it would cost.
import type { DecodedUpdate } from '@collab/protocol'
import * as Y from 'yjs'

/** client id → the state (clock) the document must reach for the update to integrate fully. */
export type MissingDependencies = Map<number, number>

/**
 * What `update` needs that `doc` does not have: a gap before a client's first new struct, an
 * origin, right origin or parent of another client beyond what the document and the update hold,
 * or a deleted range beyond them. Empty when Yjs would integrate all of it (no pending structs,
 * no pending deletes). Mirrors the checks of Yjs' `integrateStructs` / `Item.getMissing` /
 * `readAndApplyDeleteSet`; circular references inside one update are the only case it lets pass
 * that Yjs then keeps pending (the room catches that after applying).
 */
export function findMissingDependencies(doc: Y.Doc, update: DecodedUpdate): MissingDependencies {
  const store = doc.store
  const reach = new Map<number, number>()
  const stateOf = (client: number): number => reach.get(client) ?? Y.getState(store, client)
  const missing: MissingDependencies = new Map()
  const need = (client: number, state: number): void => {
    if ((missing.get(client) ?? -1) < state) missing.set(client, state)
  }
  // Each client's structs are contiguous within its section; they reach as far as they connect
  // to what the document has.
  for (const struct of update.structs) {
    if (struct instanceof Y.Skip) continue
    const { client, clock } = struct.id
    const state = stateOf(client)
    if (clock > state) need(client, clock)
    else reach.set(client, Math.max(state, clock + struct.length))
  }
  for (const struct of update.structs) {
    if (!(struct instanceof Y.Item)) continue
    const parent = struct.parent instanceof Y.ID ? struct.parent : null
    for (const reference of [struct.origin, struct.rightOrigin, parent]) {
      if (reference !== null && reference.client !== struct.id.client && reference.clock >= stateOf(reference.client)) {
        need(reference.client, reference.clock + 1)
      }
    }
  }
  for (const [client, ranges] of update.deletes) {
    for (const range of ranges) {
      if (range.clock + range.len > stateOf(client)) need(client, range.clock + range.len)
    }
  }
  return missing
}

/**
 * True when a struct starts below what `doc` has of its client: the update repeats clocks the
 * document already has, and must be trimmed to what it lacks (`Y.diffUpdate`) before it is
 * judged or applied.
 *
 * - A struct that starts below the state and ends above it: Yjs integrates its unknown tail next
 *   to the document's item at the client's last clock, but keeps the parent it derived from the
 *   struct's own origin; a hostile overlap (known clocks sent again with other content) links
 *   the tail into one type's list and another type's parent, which a later update trips over.
 * - Structs the document has entirely: Yjs skips them, so they cost nothing to apply, but judged
 *   untrimmed they count as new content: many stock clients that hold a large document and
 *   reconnect at once to a relay that lacks it (a cold restart without storage, a new replica)
 *   each re-upload the whole document; every upload after the first would read as a storm of
 *   concurrent inserts at one position (refused with 4422) and as document growth.
 *
 * Honest overlaps are common (a sync step 2 encoded against an older state vector).
 */
export function overlapsKnownClocks(doc: Y.Doc, update: DecodedUpdate): boolean {
  for (const struct of update.structs) {
    if (struct instanceof Y.Skip) continue
    if (struct.id.clock < Y.getState(doc.store, struct.id.client)) return true
  }
  return false
}

/** True once `doc` has everything `missing` asked for. */
export function dependenciesMet(doc: Y.Doc, missing: MissingDependencies): boolean {
  for (const [client, state] of missing) if (Y.getState(doc.store, client) < state) return false
  return true
}

type AnyItem = Y.Item | Y.GC
type StructStore = Y.Doc['store']

/** The stored struct containing `id`, or null when the document does not have it. */
function structAt(store: StructStore, id: Y.ID): AnyItem | null {
  if (id.clock >= Y.getState(store, id.client)) return null
  return Y.getItem(store, id) as AnyItem
}

/**
 * Upper estimate of Yjs' conflict-resolution work for `update` on `doc`, stopping once it passes
 * `budget`. Items inserted at one position concurrently (same origin, right origin and parent /
 * map key) are integrated one by one, and each scans the concurrent items already there: g new
 * items where E already are cost about g·E + g²/2 steps. E is found by walking the document from
 * the insert position the way `Item.integrate` does (without splitting anything).
 */
export function estimateConflictSteps(doc: Y.Doc, update: DecodedUpdate, budget: number): number {
  const groups = groupByPosition(update.structs)
  let steps = 0
  for (const bucket of groups.values()) {
    for (const { count, item } of bucket) {
      steps += (count * (count - 1)) / 2
      if (steps > budget) return steps
      const cap = Math.ceil((budget - steps) / count) + 1
      steps += count * existingConflicts(doc, item, cap)
      if (steps > budget) return steps
    }
  }
  return steps
}

interface PositionGroup {
  /** The first item inserted at this position; the others share its origins, parent and key. */
  item: Y.Item
  count: number
}

/**
 * The update's items grouped by insert position, in a map keyed by a 32-bit hash of the position
 * (colliding positions share a bucket and are told apart exactly). A whole-document upload has
 * ~100,000 items, nearly all at distinct positions; string keys cost ~1.4 µs per item there.
 */
function groupByPosition(structs: DecodedUpdate['structs']): Map<number, PositionGroup[]> {
  const buckets = new Map<number, PositionGroup[]>()
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue
    const hash = positionHash(struct)
    const bucket = buckets.get(hash)
    if (bucket === undefined) {
      buckets.set(hash, [{ item: struct, count: 1 }])
      continue
    }
    const group = bucket.find((candidate) => samePosition(candidate.item, struct))
    if (group === undefined) bucket.push({ item: struct, count: 1 })
    else group.count++
  }
  return buckets
}

function samePosition(a: Y.Item, b: Y.Item): boolean {
  return (
    Y.compareIDs(a.origin, b.origin) &&
    Y.compareIDs(a.rightOrigin, b.rightOrigin) &&
    (a.parent instanceof Y.ID && b.parent instanceof Y.ID ? Y.compareIDs(a.parent, b.parent) : a.parent === b.parent) &&
    a.parentSub === b.parentSub
  )
}

function positionHash(item: Y.Item): number {
  let hash = mixId(0x2545f491, item.origin)
  hash = mixId(hash, item.rightOrigin)
  const parent = item.parent
  hash = parent instanceof Y.ID ? mixId(hash, parent) : mixString(hash, typeof parent === 'string' ? parent : null)
  return mixString(hash, item.parentSub)
}

function mixId(hash: number, id: Y.ID | null): number {
  if (id === null) return Math.imul(hash ^ 0x5bd1e995, 0x1b873593)
  // `^` keeps the low 32 bits of a clock; a collision only costs an exact comparison.
  return Math.imul(Math.imul(hash ^ id.client, 0xcc9e2d51) ^ id.clock, 0x1b873593)
}

function mixString(hash: number, text: string | null): number {
  if (text === null) return Math.imul(hash ^ 0x27d4eb2f, 0x165667b1)
  let mixed = Math.imul(hash ^ text.length, 0x85ebca6b)
  for (let index = 0; index < text.length; index++) mixed = Math.imul(mixed ^ text.charCodeAt(index), 0xc2b2ae35)
  return mixed
}

/** Items of `doc` that integrating `item` would scan, counted up to `cap`. */
function existingConflicts(doc: Y.Doc, item: Y.Item, cap: number): number {
  const store = doc.store
  const left = item.origin === null ? null : structAt(store, item.origin)
  const right = item.rightOrigin === null ? null : structAt(store, item.rightOrigin)
  if ((item.origin !== null && left === null) || (item.rightOrigin !== null && right === null)) {
    return 0 // inserted next to items of this same update: scanned inside it, counted as g²
  }
  let steps = 0
  let start: Y.Item | null
  if (left !== null) {
    if (!(left instanceof Y.Item)) return 0
    // An origin inside a longer item splits it: the remainder comes first.
    start = item.origin!.clock === left.id.clock + left.length - 1 ? left.right : left
  } else {
    const parent = right instanceof Y.Item ? right.parent : parentType(doc, item)
    if (!(parent instanceof Y.AbstractType)) return 0
    const sub = right instanceof Y.Item ? right.parentSub : item.parentSub
    if (sub !== null) {
      start = parent._map.get(sub) ?? null
      while (start !== null && start.left !== null && steps < cap) {
        start = start.left
        steps++
      }
    } else {
      start = parent._start
    }
  }
  const scanned = new Set<AnyItem>()
  for (let o = start; o !== null && o !== right && steps < cap; o = o.right) {
    steps++
    scanned.add(o)
    if (Y.compareIDs(item.origin, o.origin)) continue
    const originOfO = o.origin === null ? null : structAt(store, o.origin)
    if (originOfO === null || !scanned.has(originOfO)) break
  }
  return steps
}

function parentType(doc: Y.Doc, item: Y.Item): Y.AbstractType<any> | null {
  if (typeof item.parent === 'string') return doc.share.get(item.parent) ?? null
  if (item.parent instanceof Y.ID) {
    const parent = structAt(doc.store, item.parent)
    return parent instanceof Y.Item && parent.content instanceof Y.ContentType ? parent.content.type : null
  }
  return null
}
