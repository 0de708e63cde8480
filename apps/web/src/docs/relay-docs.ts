import { isValidDocId } from '../app/doc-id'

/** A document the relay has stored. */
export interface RelayDoc {
  docId: string
  updatedAtMs: number
  storedBytes: number
}

/** The relay could not be asked (offline, down) or answered with something unusable. */
export class RelayUnreachableError extends Error {
  override readonly name = 'RelayUnreachableError'
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`Could not list documents from ${url}: ${reason}`)
  }
}

export const RELAY_DOCS_PAGE_SIZE = 100

/**
 * Lists documents known to the relay (`GET /api/docs`). The body is validated item by item:
 * entries that are not well-formed are dropped rather than trusted.
 */
export async function fetchRelayDocs(
  { limit = RELAY_DOCS_PAGE_SIZE, offset = 0, signal }: { limit?: number; offset?: number; signal?: AbortSignal } = {},
  fetchImpl: typeof fetch = fetch,
): Promise<RelayDoc[]> {
  const url = `/api/docs?limit=${limit}&offset=${offset}`
  let response: Response
  try {
    response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: signal ?? null })
  } catch (error) {
    if (signal?.aborted) throw error
    throw new RelayUnreachableError(url, error instanceof Error ? error.message : String(error))
  }
  if (!response.ok) throw new RelayUnreachableError(url, `HTTP ${response.status}`)
  let body: unknown
  try {
    body = await response.json()
  } catch {
    throw new RelayUnreachableError(url, 'response is not JSON')
  }
  return parseRelayDocs(body)
}

/** Accepts `[...]` or `{ docs: [...] }` (also `items`); anything else is an empty list. */
export function parseRelayDocs(body: unknown): RelayDoc[] {
  const list = Array.isArray(body) ? body : listField(body)
  const docs: RelayDoc[] = []
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue
    const { docId, updatedAtMs, storedBytes } = item as Record<string, unknown>
    if (!isValidDocId(docId)) continue
    docs.push({
      docId,
      updatedAtMs: typeof updatedAtMs === 'number' && Number.isFinite(updatedAtMs) ? updatedAtMs : 0,
      storedBytes: typeof storedBytes === 'number' && Number.isFinite(storedBytes) ? storedBytes : 0,
    })
  }
  return docs
}

function listField(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null) return []
  const record = body as Record<string, unknown>
  const list = record['docs'] ?? record['items']
  return Array.isArray(list) ? (list as unknown[]) : []
}
