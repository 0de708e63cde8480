import { isValidDocId } from '../app/doc-id'

/** A document opened on this device (its content lives in IndexedDB under the doc id). */
export interface RecentDoc {
  docId: string
  title: string
  lastOpenedAtMs: number
}

const STORAGE_KEY = 'collab:recent-docs'
export const MAX_RECENT_DOCS = 200
export const MAX_TITLE_CHARS = 200

/** The device's list of opened documents, newest first. Corrupt storage reads as empty. */
export function loadRecentDocs(storage: Storage = localStorage): RecentDoc[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(storage.getItem(STORAGE_KEY) ?? '[]')
  } catch {
    return []
  }
  if (!Array.isArray(parsed)) return []
  const docs: RecentDoc[] = []
  for (const item of parsed as unknown[]) {
    const doc = toRecentDoc(item)
    if (doc) docs.push(doc)
  }
  return docs.sort((a, b) => b.lastOpenedAtMs - a.lastOpenedAtMs)
}

/** Records that `docId` was opened now (and, when known, its title). */
export function rememberDoc(
  docId: string,
  update: { title?: string; nowMs?: number },
  storage: Storage = localStorage,
): void {
  const docs = loadRecentDocs(storage)
  const previous = docs.find((doc) => doc.docId === docId)
  const entry: RecentDoc = {
    docId,
    title: (update.title ?? previous?.title ?? '').slice(0, MAX_TITLE_CHARS),
    lastOpenedAtMs: update.nowMs ?? previous?.lastOpenedAtMs ?? Date.now(),
  }
  const next = [entry, ...docs.filter((doc) => doc.docId !== docId)].slice(0, MAX_RECENT_DOCS)
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify(next))
  } catch {
    // Storage full or disabled (private mode): the list is a convenience, the document is safe.
  }
}

function toRecentDoc(value: unknown): RecentDoc | null {
  if (typeof value !== 'object' || value === null) return null
  const { docId, title, lastOpenedAtMs } = value as Record<string, unknown>
  if (!isValidDocId(docId)) return null
  if (typeof lastOpenedAtMs !== 'number' || !Number.isFinite(lastOpenedAtMs)) return null
  return { docId, title: typeof title === 'string' ? title.slice(0, MAX_TITLE_CHARS) : '', lastOpenedAtMs }
}
