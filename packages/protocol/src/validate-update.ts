import * as Y from 'yjs'
import type { ProtocolLimits } from './limits'
import { outlineUpdate, undecodable, type UpdateOutline } from './update-outline'

/** One decoded struct of an update (what `Y.decodeUpdate` yields). */
export type DecodedStruct = Y.Item | Y.GC | Y.Skip

/** The update as `Y.decodeUpdate` read it: structs in wire order, then the delete set. */
export interface DecodedUpdate {
  structs: DecodedStruct[]
  /** Deleted ranges per client id (`{ clock, len }`, as on the wire). */
  deletes: Map<number, ReadonlyArray<{ clock: number; len: number }>>
}

/** What {@link validateUpdate} learned about an update while checking it. */
export interface UpdateSummary extends UpdateOutline {
  /** The decoded update, for checks against a document (missing dependencies, conflict cost). */
  decoded: DecodedUpdate
}

/**
 * Checks an update before `Y.applyUpdate` sees it ({@link outlineUpdate}: size, that it reads
 * through, client ids, clocks, the structural rules that make `applyUpdate` throw halfway) and
 * decodes it. Throws a {@link ProtocolError} subclass; never anything else.
 */
export function validateUpdate(
  update: Uint8Array,
  limits: Pick<ProtocolLimits, 'maxUpdateBytes' | 'maxUpdateClientIds'>,
): UpdateSummary {
  return decodeOutlined(update, outlineUpdate(update, limits))
}

/** Decodes an update `outlineUpdate` accepted (it reads the same bytes the same way). */
export function decodeOutlined(update: Uint8Array, outline: UpdateOutline): UpdateSummary {
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch (error) {
    // Not expected after the outline; a refusal all the same.
    throw undecodable(error)
  }
  // Property by property: an object spread here cost ~2 µs per update, five times the decode of
  // a keystroke.
  const { bytes, structs, clientIds, deleteRanges, structEnds, deletes } = outline
  const result = { structs: decoded.structs, deletes: decoded.ds.clients }
  return { bytes, structs, clientIds, deleteRanges, structEnds, deletes, decoded: result }
}
