// IndexedDB writes are asynchronous: a keystroke made a few milliseconds before the tab is
// reloaded or closed can be in the document but not yet in the replica, and the browser aborts
// the write with the page. Offline, nothing else has that keystroke. So every local edit is also
// written synchronously to localStorage, and dropped from there once IndexedDB has committed it;
// opening the document applies whatever is still there.
//
// Each storage call costs the page a synchronous hop (a fraction of a millisecond, before the
// keystroke is painted), so an edit writes once and dropping committed entries does not write by
// itself: the stored list may hold entries IndexedDB already has (re-applying them is a no-op)
// until the next edit rewrites it, or until the journal has been idle for a moment.
import { fromBase64, toBase64 } from 'lib0/buffer'
import type { IndexeddbPersistence } from 'y-indexeddb'
import * as Y from 'yjs'

/** localStorage key of a document's journal. */
export function journalKey(docId: string): string {
  return `collab:journal:${docId}`
}

/** Origin of the transactions that re-apply journal entries. */
export const JOURNAL_ORIGIN = Symbol('collab-journal')

/** Beyond this the journal stops growing (IndexedDB is not committing at all: it is best effort). */
export const MAX_JOURNAL_CHARS = 256 * 1024

/** Quiet time after which entries IndexedDB has committed are also dropped from storage. */
export const JOURNAL_COMPACT_DELAY_MS = 1_000

/**
 * How long after an edit the journal checks which entries IndexedDB has committed. The check is
 * an IndexedDB transaction of its own (a synchronous hop for the page); doing it per keystroke
 * cost typing more than the journal's own write. Checking later only keeps entries longer.
 */
export const JOURNAL_TRIM_DELAY_MS = 300

export interface LocalJournal {
  destroy(): void
}

export interface LocalJournalOptions {
  docId: string
  doc: Y.Doc
  persistence: IndexeddbPersistence
  /** Where entries live; null (no localStorage) turns the journal off. */
  storage: Storage | null
  /** Updates from the relay are not local edits: the relay has them. */
  isRemoteOrigin(origin: unknown): boolean
}

function readEntries(storage: Storage, key: string): string[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(key) ?? '[]')
    return Array.isArray(parsed) ? parsed.filter((entry): entry is string => typeof entry === 'string') : []
  } catch {
    return []
  }
}

/** The browser's localStorage, or null where there is none or it refuses access. */
export function browserStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

export function openLocalJournal(options: LocalJournalOptions): LocalJournal {
  const { doc, persistence, storage } = options
  if (storage === null) return { destroy: () => {} }
  const key = journalKey(options.docId)
  let entries = readEntries(storage, key)
  let chars = entries.reduce((sum, entry) => sum + entry.length, 0)
  for (const entry of entries) {
    try {
      Y.applyUpdate(doc, fromBase64(entry), JOURNAL_ORIGIN)
    } catch {
      // Written by another build or damaged: the replica and the relay still have the rest.
    }
  }

  let destroyed = false
  let trimScheduled = false
  let trimTimer: ReturnType<typeof setTimeout> | null = null
  /** Storage holds entries that were trimmed since (harmless, but they should not linger). */
  let stale = false
  let compactTimer: ReturnType<typeof setTimeout> | null = null
  const write = (): void => {
    stale = false
    if (compactTimer !== null) {
      clearTimeout(compactTimer)
      compactTimer = null
    }
    try {
      if (entries.length === 0) storage.removeItem(key)
      else storage.setItem(key, JSON.stringify(entries))
    } catch {
      // Quota or privacy settings: the replica is still written.
    }
  }
  const compactLater = (): void => {
    stale = true
    if (compactTimer !== null) clearTimeout(compactTimer)
    compactTimer = setTimeout(() => {
      compactTimer = null
      if (!destroyed && stale) write()
    }, JOURNAL_COMPACT_DELAY_MS)
  }
  // A read-only transaction on the updates store starts only after every earlier read-write
  // transaction on it has committed — including y-indexeddb's writes of the entries so far.
  const trim = (): void => {
    trimScheduled = false
    const db = persistence.db
    if (destroyed || db === null) return
    const count = entries.length
    let transaction: IDBTransaction
    try {
      transaction = db.transaction(['updates'], 'readonly')
    } catch {
      return
    }
    transaction.oncomplete = () => {
      if (destroyed) return
      entries = entries.slice(count)
      chars = entries.reduce((sum, entry) => sum + entry.length, 0)
      compactLater()
    }
  }
  // One check covers every edit made before it: edits while one is pending wait for it.
  const scheduleTrim = (): void => {
    if (trimScheduled) return
    trimScheduled = true
    if (persistence.db === null) {
      void persistence.whenSynced.then(trim)
      return
    }
    trimTimer = setTimeout(() => {
      trimTimer = null
      trim()
    }, JOURNAL_TRIM_DELAY_MS)
  }
  const onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === JOURNAL_ORIGIN || origin === persistence || options.isRemoteOrigin(origin)) return
    const entry = toBase64(update)
    if (chars + entry.length > MAX_JOURNAL_CHARS) return
    entries.push(entry)
    chars += entry.length
    write()
    scheduleTrim()
  }
  doc.on('update', onUpdate)
  if (entries.length > 0) scheduleTrim()
  return {
    destroy() {
      if (stale) write()
      destroyed = true
      if (trimTimer !== null) clearTimeout(trimTimer)
      if (compactTimer !== null) clearTimeout(compactTimer)
      doc.off('update', onUpdate)
    },
  }
}
