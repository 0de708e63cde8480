import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { InvalidUpdateError, UpdateTooLargeError, formatCount } from './errors'
import type { ProtocolLimits } from './limits'

/** One decoded struct of an update (what `Y.decodeUpdate` yields). */
export type DecodedStruct = Y.Item | Y.GC | Y.Skip

/** The update as `Y.decodeUpdate` read it: structs in wire order, then the delete set. */
export interface DecodedUpdate {
  structs: DecodedStruct[]
  /** Deleted ranges per client id (`{ clock, len }`, as on the wire). */
  deletes: Map<number, ReadonlyArray<{ clock: number; len: number }>>
}

/** What {@link validateUpdate} learned about an update while checking it. */
export interface UpdateSummary {
  bytes: number
  structs: number
  /** Distinct client ids in structs and delete set. */
  clientIds: number
  /** Number of deleted ranges in the delete set. */
  deleteRanges: number
  /** The decoded update, for checks against a document (missing dependencies, conflict cost). */
  decoded: DecodedUpdate
}

/**
 * Checks an update before `Y.applyUpdate` sees it: size, that it fully decodes (structs and delete
 * set — `applyUpdate` can integrate half an update and then throw), distinct client ids, no clock
 * past 2^53 - 1, and the structural rules every Yjs encoder keeps but a hostile one may not, each
 * of which makes `applyUpdate` throw halfway or silently drop data:
 * - a client's structs come in one section (Yjs keeps only the last section of a repeated client);
 * - no struct and no deleted range is empty (Yjs cannot re-encode a zero-length range);
 * - an item references only earlier clocks of its own client (a reference to its own future
 *   makes integration throw after the structs before it were applied).
 * Throws a {@link ProtocolError} subclass; never anything else.
 */
export function validateUpdate(
  update: Uint8Array,
  limits: Pick<ProtocolLimits, 'maxUpdateBytes' | 'maxUpdateClientIds'>,
): UpdateSummary {
  if (update.length > limits.maxUpdateBytes) {
    throw new UpdateTooLargeError(update.length, limits.maxUpdateBytes)
  }
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch (error) {
    // Includes RangeError from lib0's recursive readAny on hostile nesting.
    throw new InvalidUpdateError(`does not decode (${describe(error)})`)
  }
  const clientIds = new Set<number>()
  let sectionClient: number | null = null
  let sectionEnd = 0
  let sections = 0
  for (const struct of decoded.structs) {
    const { client, clock } = struct.id
    if (client !== sectionClient || clock !== sectionEnd) {
      if (clientIds.has(client)) throw new InvalidUpdateError(`client ${client} has two struct sections`)
      clientIds.add(client)
      sectionClient = client
      sections++
    }
    sectionEnd = clock + struct.length
    if (struct.length <= 0) throw new InvalidUpdateError(`struct ${client}:${clock} is empty`)
    if (clock + struct.length > Number.MAX_SAFE_INTEGER) {
      throw new InvalidUpdateError(`clock of client ${client} runs past 2^53 - 1`)
    }
    if (struct instanceof Y.Item) checkOwnReferences(struct)
  }
  // Sections of one client that touch (or empty ones) look like one run above; the header says.
  const declaredSections = decoding.readVarUint(decoding.createDecoder(update))
  if (declaredSections !== sections) {
    throw new InvalidUpdateError(`${declaredSections} struct sections declared, ${sections} distinct non-empty ones found`)
  }
  let deleteRanges = 0
  for (const [client, ranges] of decoded.ds.clients) {
    clientIds.add(client)
    deleteRanges += ranges.length
    for (const range of ranges) {
      if (range.len <= 0) throw new InvalidUpdateError(`deleted range ${client}:${range.clock} is empty`)
      if (range.clock + range.len > Number.MAX_SAFE_INTEGER) {
        throw new InvalidUpdateError(`deleted range of client ${client} runs past 2^53 - 1`)
      }
    }
  }
  if (clientIds.size > limits.maxUpdateClientIds) {
    throw new InvalidUpdateError(
      `${formatCount(clientIds.size)} client ids exceed maxUpdateClientIds ${formatCount(limits.maxUpdateClientIds)}`,
    )
  }
  return {
    bytes: update.length,
    structs: decoded.structs.length,
    clientIds: clientIds.size,
    deleteRanges,
    decoded: { structs: decoded.structs, deletes: decoded.ds.clients },
  }
}

function checkOwnReferences(item: Y.Item): void {
  const { client, clock } = item.id
  const parent = item.parent instanceof Y.ID ? item.parent : null
  for (const reference of [item.origin, item.rightOrigin, parent]) {
    if (reference !== null && reference.client === client && reference.clock >= clock) {
      throw new InvalidUpdateError(`item ${client}:${clock} references ${client}:${reference.clock}, not before it`)
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 200)
  return String(error).slice(0, 200)
}
