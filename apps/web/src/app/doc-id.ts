// Seam: the contract's doc-id rule lives in @collab/protocol, which apps/web does not depend on
// (it is not in package.json). Same rule, kept here until the lead adds that dependency.

/** Doc ids: 1–128 characters of `[A-Za-z0-9_-]` (public contract). */
export const DOC_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/

const URL_SAFE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
export const NEW_DOC_ID_LENGTH = 12

export function isValidDocId(value: unknown): value is string {
  return typeof value === 'string' && DOC_ID_PATTERN.test(value)
}

/** A fresh random id: 12 url-safe characters (72 bits) from the platform's CSPRNG. */
export function newDocId(randomBytes: (length: number) => Uint8Array = defaultRandomBytes): string {
  let id = ''
  // 64 symbols: the low six bits of each byte pick one without bias.
  for (const byte of randomBytes(NEW_DOC_ID_LENGTH)) id += URL_SAFE_ALPHABET.charAt(byte & 63)
  return id
}

function defaultRandomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length))
}

/**
 * Turns what a user pasted (an id, `/d/<id>` or a full link to one) into a doc id, or null.
 */
export function docIdFromUserInput(input: string, baseUrl: string): string | null {
  const text = input.trim()
  if (isValidDocId(text)) return text
  let url: URL
  try {
    url = new URL(text, baseUrl)
  } catch {
    return null
  }
  const match = /^\/d\/([^/]+)\/?$/.exec(url.pathname)
  if (!match?.[1]) return null
  let id: string
  try {
    id = decodeURIComponent(match[1])
  } catch {
    return null
  }
  return isValidDocId(id) ? id : null
}
