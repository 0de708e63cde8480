import * as Y from 'yjs'
import { InvalidUpdateError, UpdateTooLargeError, formatCount } from './errors'
import type { ProtocolLimits } from './limits'

/** What {@link validateUpdate} learned about an update while checking it. */
export interface UpdateSummary {
  bytes: number
  structs: number
  /** Distinct client ids in structs and delete set. */
  clientIds: number
  /** Number of deleted ranges in the delete set. */
  deleteRanges: number
}

/**
 * Checks an update before `Y.applyUpdate` sees it: size, that it fully decodes (structs and delete
 * set — `applyUpdate` can integrate half an update and then throw), distinct client ids, and that
 * no clock runs past 2^53 - 1. Throws a {@link ProtocolError} subclass; never anything else.
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
  for (const struct of decoded.structs) {
    clientIds.add(struct.id.client)
    if (struct.id.clock + struct.length > Number.MAX_SAFE_INTEGER) {
      throw new InvalidUpdateError(`clock of client ${struct.id.client} runs past 2^53 - 1`)
    }
  }
  let deleteRanges = 0
  for (const [client, ranges] of decoded.ds.clients) {
    clientIds.add(client)
    deleteRanges += ranges.length
    for (const range of ranges) {
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
  return { bytes: update.length, structs: decoded.structs.length, clientIds: clientIds.size, deleteRanges }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 200)
  return String(error).slice(0, 200)
}
