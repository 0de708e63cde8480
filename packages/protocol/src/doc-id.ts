/** Doc ids: 1–128 characters of `[A-Za-z0-9_-]` (public contract). */
export const DOC_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/

export const MAX_DOC_ID_LENGTH = 128

/** Thrown when a string is not a valid document id. */
export class InvalidDocIdError extends Error {
  override readonly name = 'InvalidDocIdError'
  constructor(readonly docId: string) {
    super(
      `Invalid document id ${JSON.stringify(docId.length > 160 ? docId.slice(0, 160) + '…' : docId)}: ` +
        `expected 1–${MAX_DOC_ID_LENGTH} characters of [A-Za-z0-9_-]`,
    )
  }
}

export function isValidDocId(value: unknown): value is string {
  return typeof value === 'string' && DOC_ID_PATTERN.test(value)
}

/** Returns `value` when it is a valid doc id, otherwise throws {@link InvalidDocIdError}. */
export function parseDocId(value: string): string {
  if (!isValidDocId(value)) throw new InvalidDocIdError(value)
  return value
}
