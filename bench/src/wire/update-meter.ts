// Reads just enough of a Yjs update (encoding V1) to tell how far it carries each client: the end
// clock of its structs and how many of that client's items it deletes. A light client uses this to
// learn which of a writer's updates a frame delivers, without a Y.Doc and however the server
// merges or splits updates. Grammar: yjs src/utils/encoding.js (readClientsStructRefs,
// readDeleteSet) and the item content readers.
import * as decoding from 'lib0/decoding'

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

const CONTENT_GC = 0
const CONTENT_DELETED = 1
const CONTENT_JSON = 2
const CONTENT_BINARY = 3
const CONTENT_STRING = 4
const CONTENT_EMBED = 5
const CONTENT_FORMAT = 6
const CONTENT_TYPE = 7
const CONTENT_ANY = 8
const CONTENT_DOC = 9
const CONTENT_SKIP = 10
const TYPE_XML_ELEMENT = 3
const TYPE_XML_HOOK = 5

function skipVarString(decoder: decoding.Decoder): void {
  const byteLength = decoding.readVarUint(decoder)
  decoder.pos += byteLength
}

/** UTF-16 length of a varString, counted on its UTF-8 bytes (Yjs string lengths are UTF-16). */
function readVarStringUtf16Length(decoder: decoding.Decoder): number {
  const byteLength = decoding.readVarUint(decoder)
  const bytes = decoder.arr
  const end = decoder.pos + byteLength
  let units = 0
  for (let i = decoder.pos; i < end; i++) {
    const byte = bytes[i]!
    if ((byte & 0xc0) !== 0x80) units += byte >= 0xf0 ? 2 : 1
  }
  decoder.pos = end
  return units
}

/** Skips one item's content and returns its length in clock units. */
function skipContent(decoder: decoding.Decoder, contentRef: number, byteLength: number): number {
  switch (contentRef) {
    case CONTENT_DELETED:
      return decoding.readVarUint(decoder)
    case CONTENT_JSON: {
      const count = decoding.readVarUint(decoder)
      for (let i = 0; i < count; i++) skipVarString(decoder)
      return count
    }
    case CONTENT_BINARY:
      decoding.readVarUint8Array(decoder)
      return 1
    case CONTENT_STRING:
      return readVarStringUtf16Length(decoder)
    case CONTENT_EMBED:
      skipVarString(decoder)
      return 1
    case CONTENT_FORMAT:
      skipVarString(decoder)
      skipVarString(decoder)
      return 1
    case CONTENT_TYPE: {
      const typeRef = decoding.readVarUint(decoder)
      if (typeRef === TYPE_XML_ELEMENT || typeRef === TYPE_XML_HOOK) skipVarString(decoder)
      return 1
    }
    case CONTENT_ANY: {
      const count = decoding.readVarUint(decoder)
      for (let i = 0; i < count; i++) decoding.readAny(decoder)
      return count
    }
    case CONTENT_DOC:
      skipVarString(decoder)
      decoding.readAny(decoder)
      return 1
    default:
      throw new UnreadableUpdateError(`unknown content type ${contentRef}`, byteLength)
  }
}

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
 * is given. Throws {@link UnreadableUpdateError} on content it cannot skip.
 */
export function meterUpdate(
  update: Uint8Array,
  progress: Map<number, ClientProgress>,
  track?: ReadonlySet<number>,
): void {
  const decoder = decoding.createDecoder(update)
  try {
    const sections = decoding.readVarUint(decoder)
    for (let s = 0; s < sections; s++) {
      const structs = decoding.readVarUint(decoder)
      const client = decoding.readVarUint(decoder)
      let clock = decoding.readVarUint(decoder)
      let endClock = 0
      for (let i = 0; i < structs; i++) {
        const info = decoding.readUint8(decoder)
        const contentRef = info & 0b11111
        if (contentRef === CONTENT_GC) {
          clock += decoding.readVarUint(decoder)
          endClock = clock
          continue
        }
        if (contentRef === CONTENT_SKIP) {
          clock += decoding.readVarUint(decoder)
          continue
        }
        const hasOrigin = (info & 0x80) !== 0
        const hasRightOrigin = (info & 0x40) !== 0
        if (hasOrigin) {
          decoding.readVarUint(decoder)
          decoding.readVarUint(decoder)
        }
        if (hasRightOrigin) {
          decoding.readVarUint(decoder)
          decoding.readVarUint(decoder)
        }
        if (!hasOrigin && !hasRightOrigin) {
          // The item carries its parent: a root type's name or the id of a nested type.
          if (decoding.readVarUint(decoder) === 1) skipVarString(decoder)
          else {
            decoding.readVarUint(decoder)
            decoding.readVarUint(decoder)
          }
          if ((info & 0x20) !== 0) skipVarString(decoder)
        }
        clock += skipContent(decoder, contentRef, update.byteLength)
        endClock = clock
      }
      if (endClock > 0 && (track === undefined || track.has(client))) {
        const entry = progressOf(progress, client)
        if (endClock > entry.endClock) entry.endClock = endClock
      }
    }
    const deleteClients = decoding.readVarUint(decoder)
    for (let c = 0; c < deleteClients; c++) {
      const client = decoding.readVarUint(decoder)
      const ranges = decoding.readVarUint(decoder)
      let deleted = 0
      for (let r = 0; r < ranges; r++) {
        decoding.readVarUint(decoder)
        deleted += decoding.readVarUint(decoder)
      }
      if (deleted > 0 && (track === undefined || track.has(client))) progressOf(progress, client).deleted += deleted
    }
  } catch (error) {
    if (error instanceof UnreadableUpdateError) throw error
    throw new UnreadableUpdateError((error as Error).message, update.byteLength)
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
