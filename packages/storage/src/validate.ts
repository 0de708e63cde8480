// Input checks every adapter runs before touching its database, so a refused call changes
// nothing and every adapter refuses the same inputs with the same errors.
import { InvalidDocIdError, parseDocId } from '@collab/protocol'
import { InvalidArgumentError, InvalidPayloadError, PayloadTooLargeError, formatCount, type PayloadKind } from './errors'

/**
 * Backstop limits. The relay enforces its own (smaller) protocol limits before anything reaches
 * storage; these only keep a bug from writing a huge blob. A full-state update from an offline
 * client can be as large as the document, hence the generous update limit.
 */
export const DEFAULT_MAX_UPDATE_BYTES = 16 * 1024 * 1024
export const DEFAULT_MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024
/** `list()` without a limit returns at most this many documents. */
export const DEFAULT_LIST_LIMIT = 100
export const MAX_LIST_LIMIT = 10_000

export interface PayloadLimits {
  maxUpdateBytes: number
  maxSnapshotBytes: number
}

/** Resolves and checks size limits given to an adapter. */
export function resolvePayloadLimits(options: Partial<PayloadLimits>): PayloadLimits {
  const maxUpdateBytes = options.maxUpdateBytes ?? DEFAULT_MAX_UPDATE_BYTES
  const maxSnapshotBytes = options.maxSnapshotBytes ?? DEFAULT_MAX_SNAPSHOT_BYTES
  requirePositiveInteger('maxUpdateBytes', maxUpdateBytes)
  requirePositiveInteger('maxSnapshotBytes', maxSnapshotBytes)
  return { maxUpdateBytes, maxSnapshotBytes }
}

/** Throws `InvalidDocIdError` (from @collab/protocol) unless `docId` is a valid document id. */
export function checkDocId(docId: string): string {
  // Untyped callers may pass anything; the error's constructor expects a string.
  if (typeof docId !== 'string') throw new InvalidDocIdError(String(docId))
  return parseDocId(docId)
}

function checkPayload(docId: string, kind: PayloadKind, value: unknown, limitBytes: number, where: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidPayloadError(docId, kind, `${where} is ${describeType(value)}, expected a Uint8Array`)
  }
  if (value.byteLength === 0) throw new InvalidPayloadError(docId, kind, `${where} is empty (0 bytes)`)
  if (value.byteLength > limitBytes) throw new PayloadTooLargeError(docId, kind, value.byteLength, limitBytes)
  return value
}

/** Checks a batch for `append`: an array of non-empty Uint8Arrays within `maxUpdateBytes`. */
export function checkUpdates(docId: string, updates: unknown, limits: PayloadLimits): readonly Uint8Array[] {
  if (!Array.isArray(updates)) {
    throw new InvalidPayloadError(docId, 'update', `the batch is ${describeType(updates)}, expected an array`)
  }
  updates.forEach((update: unknown, index) => {
    checkPayload(docId, 'update', update, limits.maxUpdateBytes, `update ${index}`)
  })
  return updates as readonly Uint8Array[]
}

export function checkSnapshot(docId: string, snapshot: unknown, limits: PayloadLimits): Uint8Array {
  return checkPayload(docId, 'snapshot', snapshot, limits.maxSnapshotBytes, 'the snapshot')
}

export interface ListPage {
  limit: number
  offset: number
}

export function checkListOptions(options: { limit?: number; offset?: number } | undefined): ListPage {
  const limit = options?.limit ?? DEFAULT_LIST_LIMIT
  const offset = options?.offset ?? 0
  if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_LIST_LIMIT) {
    throw new InvalidArgumentError('list limit', limit, `an integer from 0 to ${formatCount(MAX_LIST_LIMIT)}`)
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidArgumentError('list offset', offset, 'a non-negative integer')
  }
  return { limit, offset }
}

export function requirePositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(name, value, 'a positive integer')
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`
  return `a ${typeof value}`
}
