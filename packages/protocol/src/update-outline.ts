// An update's outline: where its structs end per client and what it deletes, read in one pass over
// the bytes with every check `validateUpdate` makes, but without building a struct. `Y.decodeUpdate`
// allocates an Item, its ids and its content for each struct: ~2 ms and megabytes of garbage for a
// 240 KB document state, and superlinear beyond (the young generation overflows), paid again for
// every client that re-uploads a state the relay already holds. The outline says whether decoding is
// needed at all (see the relay's DocumentNovelty).
//
// The reading mirrors Yjs 13's V1 decoder (src/utils/updates.js lazyStructReaderGenerator,
// readItemContent and the content readers, readDeleteSet) through the same lib0 readers in the
// same order, so it consumes exactly what `Y.decodeUpdate` consumes and refuses what it refuses
// (update-outline.test.ts compares the two on valid, truncated and mutated updates).
import * as decoding from 'lib0/decoding'
import { InvalidUpdateError, ProtocolError, UpdateTooLargeError, formatCount } from './errors'
import type { ProtocolLimits } from './limits'

/**
 * One client's deleted ranges as the update's delete set states them, flat: clock, len, clock,
 * len, … An object per range was garbage enough to matter: a reconnecting client's delete set is
 * thousands of ranges, and V8, having seen such objects survive while a large update was decoded,
 * allocated later ones straight in the old generation (a warm reconnect storm of 200 clients
 * then left ~20 MiB of them there until a major GC).
 */
export type DeletedRanges = number[]

/** What an update carries, per client, and its size. */
export interface UpdateOutline {
  bytes: number
  /** Structs of every kind, Skips included (as many as `Y.decodeUpdate` returns). */
  structs: number
  /** Distinct client ids in structs and delete set. */
  clientIds: number
  /** Number of deleted ranges in the delete set. */
  deleteRanges: number
  /** Per client: one past the clock of its last struct that is not a Skip (absent when it has none). */
  structEnds: Map<number, number>
  /** Deleted ranges per client id, in wire order (clients without ranges absent). */
  deletes: Map<number, DeletedRanges>
}

/** Struct info: the low five bits name the content; 0 is a GC struct, 10 a Skip. */
const CONTENT_BITS = 0b11111
const INFO_SKIP = 10
const HAS_ORIGIN = 0x80
const HAS_RIGHT_ORIGIN = 0x40
const HAS_PARENT_SUB = 0x20

const CONTENT_DELETED = 1
const CONTENT_JSON = 2
const CONTENT_BINARY = 3
const CONTENT_STRING = 4
const CONTENT_EMBED = 5
const CONTENT_FORMAT = 6
const CONTENT_TYPE = 7
const CONTENT_ANY = 8
const CONTENT_DOC = 9

/** Yjs's type refs: YArray 0 … YXmlText 6; XmlElement (3) and XmlHook (5) carry a name. */
const LAST_TYPE_REF = 6
const TYPE_XML_ELEMENT = 3
const TYPE_XML_HOOK = 5

/**
 * Reads and checks an update without decoding its structs: size, that it reads through to the end
 * of its delete set, distinct client ids, no clock past 2^53 - 1, and the structural rules every
 * Yjs encoder keeps but a hostile one may not (each makes `applyUpdate` throw halfway or drop
 * data): a client's structs come in one non-empty section; no struct and no deleted range is
 * empty; an item references only earlier clocks of its own client. Throws a
 * {@link ProtocolError} subclass; never anything else.
 */
export function outlineUpdate(
  update: Uint8Array,
  limits: Pick<ProtocolLimits, 'maxUpdateBytes' | 'maxUpdateClientIds'>,
): UpdateOutline {
  if (update.length > limits.maxUpdateBytes) {
    throw new UpdateTooLargeError(update.length, limits.maxUpdateBytes)
  }
  const reader = new OutlineReader(decoding.createDecoder(update), limits.maxUpdateClientIds)
  try {
    reader.readStructSections()
    reader.readDeleteSet()
  } catch (error) {
    if (error instanceof ProtocolError) throw error
    // lib0's end-of-array and range errors, invalid UTF-8, JSON, recursion depth in readAny.
    throw undecodable(error)
  }
  return {
    bytes: update.length,
    structs: reader.structs,
    clientIds: reader.clientIds.size,
    deleteRanges: reader.deleteRanges,
    structEnds: reader.structEnds,
    deletes: reader.deletes,
  }
}

class OutlineReader {
  structs = 0
  deleteRanges = 0
  readonly clientIds = new Set<number>()
  readonly structEnds = new Map<number, number>()
  readonly deletes = new Map<number, DeletedRanges>()

  constructor(
    private readonly decoder: decoding.Decoder,
    private readonly maxClientIds: number,
  ) {}

  readStructSections(): void {
    const decoder = this.decoder
    const sections = decoding.readVarUint(decoder)
    for (let section = 0; section < sections; section++) {
      const count = decoding.readVarUint(decoder)
      const client = decoding.readVarUint(decoder)
      let clock = decoding.readVarUint(decoder)
      // Yjs keeps only the last section of a repeated client. (The delete set comes later: so far
      // the client ids are those of the sections.)
      if (this.clientIds.has(client)) throw new InvalidUpdateError(`client ${client} has two struct sections`)
      if (count === 0) throw new InvalidUpdateError(`the struct section of client ${client} has no structs`)
      this.addClientId(client)
      let end = -1
      for (let i = 0; i < count; i++) {
        const info = decoding.readUint8(decoder)
        let length: number
        let skip = false
        if (info === INFO_SKIP) {
          length = decoding.readVarUint(decoder)
          skip = true
        } else if ((info & CONTENT_BITS) !== 0) {
          length = this.readItem(info, client, clock)
        } else {
          length = decoding.readVarUint(decoder)
        }
        if (length <= 0) throw new InvalidUpdateError(`struct ${client}:${clock} is empty`)
        if (clock + length > Number.MAX_SAFE_INTEGER) {
          throw new InvalidUpdateError(`clock of client ${client} runs past 2^53 - 1`)
        }
        clock += length
        if (!skip) end = clock
        this.structs++
      }
      if (end >= 0) this.structEnds.set(client, end)
    }
  }

  /** Reads an item after its info byte; returns its length in clock units. */
  private readItem(info: number, client: number, clock: number): number {
    const decoder = this.decoder
    if ((info & HAS_ORIGIN) !== 0) this.readOwnReference(client, clock)
    if ((info & HAS_RIGHT_ORIGIN) !== 0) this.readOwnReference(client, clock)
    if ((info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0) {
      // The parent: a root type's name, or the id of the type it lives in.
      if (decoding.readVarUint(decoder) === 1) decoding.readVarString(decoder)
      else this.readOwnReference(client, clock)
      if ((info & HAS_PARENT_SUB) !== 0) decoding.readVarString(decoder)
    }
    return this.readContent(info & CONTENT_BITS)
  }

  /** An id the item refers to: of its own client, it must lie before the item. */
  private readOwnReference(client: number, clock: number): void {
    const referenceClient = decoding.readVarUint(this.decoder)
    const referenceClock = decoding.readVarUint(this.decoder)
    if (referenceClient === client && referenceClock >= clock) {
      throw new InvalidUpdateError(`item ${client}:${clock} references ${client}:${referenceClock}, not before it`)
    }
  }

  private readContent(ref: number): number {
    const decoder = this.decoder
    switch (ref) {
      case CONTENT_DELETED:
        return decoding.readVarUint(decoder)
      case CONTENT_JSON: {
        const count = decoding.readVarUint(decoder)
        for (let i = 0; i < count; i++) {
          const json = decoding.readVarString(decoder)
          if (json !== 'undefined') JSON.parse(json)
        }
        return count
      }
      case CONTENT_BINARY:
        decoding.readVarUint8Array(decoder)
        return 1
      case CONTENT_STRING:
        return this.readStringLength()
      case CONTENT_EMBED:
        JSON.parse(decoding.readVarString(decoder))
        return 1
      case CONTENT_FORMAT:
        decoding.readVarString(decoder)
        JSON.parse(decoding.readVarString(decoder))
        return 1
      case CONTENT_TYPE: {
        const typeRef = decoding.readVarUint(decoder)
        if (typeRef > LAST_TYPE_REF) throw new InvalidUpdateError(`unknown type ref ${typeRef}`)
        if (typeRef === TYPE_XML_ELEMENT || typeRef === TYPE_XML_HOOK) decoding.readVarString(decoder)
        return 1
      }
      case CONTENT_ANY: {
        const count = decoding.readVarUint(decoder)
        for (let i = 0; i < count; i++) decoding.readAny(decoder)
        return count
      }
      case CONTENT_DOC: {
        decoding.readVarString(decoder)
        // Yjs reads the subdocument's options from it (`opts.shouldLoad`).
        if (decoding.readAny(decoder) == null) throw new InvalidUpdateError('subdocument without options')
        return 1
      }
      default:
        throw new InvalidUpdateError(`unknown content ref ${ref}`)
    }
  }

  /**
   * The UTF-16 length of a string content, as `readVarString(...).length`. ASCII (what most typing
   * is) is counted on the bytes; anything else is decoded as Yjs decodes it (invalid UTF-8 throws).
   */
  private readStringLength(): number {
    const decoder = this.decoder
    const start = decoder.pos
    const bytes = decoding.readVarUint8Array(decoder)
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! >= 0x80) {
        decoder.pos = start
        return decoding.readVarString(decoder).length
      }
    }
    return bytes.length
  }

  readDeleteSet(): void {
    const decoder = this.decoder
    const clients = decoding.readVarUint(decoder)
    for (let c = 0; c < clients; c++) {
      const client = decoding.readVarUint(decoder)
      const count = decoding.readVarUint(decoder)
      if (count === 0) continue
      this.addClientId(client)
      let ranges = this.deletes.get(client)
      if (ranges === undefined) {
        ranges = []
        this.deletes.set(client, ranges)
      }
      for (let r = 0; r < count; r++) {
        const clock = decoding.readVarUint(decoder)
        const len = decoding.readVarUint(decoder)
        if (len <= 0) throw new InvalidUpdateError(`deleted range ${client}:${clock} is empty`)
        if (clock + len > Number.MAX_SAFE_INTEGER) {
          throw new InvalidUpdateError(`deleted range of client ${client} runs past 2^53 - 1`)
        }
        ranges.push(clock, len)
        this.deleteRanges++
      }
    }
  }

  private addClientId(client: number): void {
    this.clientIds.add(client)
    if (this.clientIds.size > this.maxClientIds) {
      throw new InvalidUpdateError(
        `${formatCount(this.clientIds.size)} client ids exceed maxUpdateClientIds ${formatCount(this.maxClientIds)}`,
      )
    }
  }
}

/** The refusal of an update whose bytes a Yjs reader threw on (`error`, cut to 200 characters). */
export function undecodable(error: unknown): InvalidUpdateError {
  const detail = error instanceof Error ? error.message : String(error)
  return new InvalidUpdateError(`does not decode (${detail.slice(0, 200)})`)
}
