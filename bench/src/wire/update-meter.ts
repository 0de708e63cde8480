// How far a Yjs update carries each client: the end clock of its structs and how many of that
// client's items it deletes, from the update's outline (@collab/protocol's `outlineUpdate`, which
// reads an update without building its structs). A light client uses this to learn which of a
// writer's updates a frame delivers, without a Y.Doc and however the server merges or splits
// updates.
import { outlineUpdate, type UpdateOutline } from '@collab/protocol'

/** How far updates seen so far carry one client. */
export interface ClientProgress {
  /** One past the highest clock of this client's structs seen (insertions). */
  endClock: number
  /** Sum of delete-set lengths on this client's items seen (deletions). */
  deleted: number
}

/** A Yjs update this meter does not understand (it is never the server's fault alone). */
export class UnreadableUpdateError extends Error {
  override readonly name = 'UnreadableUpdateError'
  constructor(reason: string, byteLength: number) {
    super(`Cannot meter a Yjs update of ${byteLength} bytes: ${reason}`)
  }
}

/** Updates from a server under test are metered, not policed: no size or client-id limit. */
const NO_LIMITS = { maxUpdateBytes: Number.POSITIVE_INFINITY, maxUpdateClientIds: Number.POSITIVE_INFINITY }

function progressOf(progress: Map<number, ClientProgress>, client: number): ClientProgress {
  let entry = progress.get(client)
  if (entry === undefined) {
    entry = { endClock: 0, deleted: 0 }
    progress.set(client, entry)
  }
  return entry
}

/**
 * Adds what `update` carries to `progress` (per client id): raises `endClock` to the end of its
 * structs, adds its delete-set lengths to `deleted`. Only clients in `track` are recorded when it
 * is given. Throws {@link UnreadableUpdateError} on an update the relay's own reader
 * (`outlineUpdate`) refuses.
 */
export function meterUpdate(
  update: Uint8Array,
  progress: Map<number, ClientProgress>,
  track?: ReadonlySet<number>,
): void {
  let outline: UpdateOutline
  try {
    outline = outlineUpdate(update, NO_LIMITS)
  } catch (error) {
    throw new UnreadableUpdateError((error as Error).message, update.byteLength)
  }
  for (const [client, endClock] of outline.structEnds) {
    if (track !== undefined && !track.has(client)) continue
    const entry = progressOf(progress, client)
    if (endClock > entry.endClock) entry.endClock = endClock
  }
  for (const [client, ranges] of outline.deletes) {
    if (track !== undefined && !track.has(client)) continue
    let deleted = 0
    for (let at = 1; at < ranges.length; at += 2) deleted += ranges[at]!
    progressOf(progress, client).deleted += deleted
  }
}

/**
 * For a writer's update sequence, the cumulative progress after each update: what a receiver must
 * have seen (endClock and deleted both reached) to hold updates 0..k.
 */
export function cumulativeProgress(updates: readonly Uint8Array[], client: number): { endClocks: Float64Array; deleted: Float64Array } {
  const progress = new Map<number, ClientProgress>()
  const endClocks = new Float64Array(updates.length)
  const deleted = new Float64Array(updates.length)
  const track = new Set([client])
  updates.forEach((update, k) => {
    meterUpdate(update, progress, track)
    const entry = progress.get(client)
    endClocks[k] = entry?.endClock ?? 0
    deleted[k] = entry?.deleted ?? 0
  })
  return { endClocks, deleted }
}
