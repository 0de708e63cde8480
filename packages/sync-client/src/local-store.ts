import * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'
import { fromBase64, toBase64 } from 'lib0/buffer'
import type { LocalPersistenceState, Timers } from './api'
import type { SavedState } from './save-tracker'
import { browserStorage, openLocalJournal } from './local-journal'
import { batchRemoteWrites } from './replica-writes'
import { decodeStateVectorSafe } from './status'

/** IndexedDB database holding one document's replica. */
export function localDatabaseName(docId: string): string {
  return `collab-doc:${docId}`
}

const SAVED_STATE_KEY = 'collab:saved-state'
const MAX_SAVED_STATE_CHARS = 1_000_000

/** The document's IndexedDB replica plus the client's small bookkeeping record beside it. */
export interface LocalStore {
  readonly state: LocalPersistenceState
  /** The y-indexeddb origin of replica loads (null when there is no replica). */
  readonly origin: IndexeddbPersistence | null
  /** Resolves once the replica is in the doc, failed, or timed out; never rejects. */
  readonly whenLoaded: Promise<SavedState | null>
  /** Remembers the save bookkeeping; failures are ignored (it is only a hint for the next visit). */
  writeSavedState(saved: SavedState): void
  destroy(): Promise<void>
}

export interface LocalStoreOptions {
  docId: string
  doc: Y.Doc
  enabled: boolean
  /** After this long without a loaded replica, go on without it (a blocked upgrade can hang forever). */
  loadTimeoutMs: number
  timers: Timers
  onStateChange: () => void
  /** Updates with these origins came from the relay (not journaled: it has them). */
  isRemoteOrigin?: (origin: unknown) => boolean
  /** Where the journal of not-yet-committed local edits lives; defaults to localStorage. */
  journalStorage?: Storage | null
}

export function openLocalStore(options: LocalStoreOptions): LocalStore {
  const { doc, timers, onStateChange } = options
  if (!options.enabled || typeof indexedDB === 'undefined') {
    return {
      state: 'disabled',
      origin: null,
      whenLoaded: Promise.resolve(null),
      writeSavedState: () => {},
      destroy: async () => {},
    }
  }

  let state: LocalPersistenceState = 'loading'
  let destroyed = false
  const persistence = new IndexeddbPersistence(localDatabaseName(options.docId), doc)
  const isRemoteOrigin = options.isRemoteOrigin ?? (() => false)
  const journal = openLocalJournal({
    docId: options.docId,
    doc,
    persistence,
    storage: options.journalStorage === undefined ? browserStorage() : options.journalStorage,
    isRemoteOrigin,
  })
  // After the journal: re-applying its entries (during this call) must not ask isRemoteOrigin.
  const replicaWrites = batchRemoteWrites({ persistence, doc, isRemoteOrigin, timers })
  // Relay updates still waiting for their write go out before the page is gone.
  const flushOnHide = (): void => replicaWrites.flush()
  globalThis.addEventListener?.('pagehide', flushOnHide)
  const setState = (next: LocalPersistenceState): void => {
    if (state === next || destroyed) return
    state = next
    onStateChange()
  }

  let finishLoad: (saved: SavedState | null, outcome: LocalPersistenceState) => void = () => {}
  const whenLoaded = new Promise<SavedState | null>((resolve) => {
    const timeout = timers.setTimeout(() => finishLoad(null, 'failed'), options.loadTimeoutMs)
    finishLoad = (saved, outcome) => {
      timers.clearTimeout(timeout)
      setState(outcome)
      resolve(saved)
    }
  })
  persistence._db.catch(() => finishLoad(null, 'failed'))
  // A replica that loads after the timeout still merges into the doc: report it as loaded then.
  persistence.whenSynced.then(() => readSavedState(persistence)).then((saved) => finishLoad(saved, 'loaded'))

  let lastWritten = ''
  return {
    get state() {
      return state
    },
    origin: persistence,
    whenLoaded,
    writeSavedState(saved) {
      if (destroyed || state !== 'loaded') return
      const encoded = encodeSavedState(saved)
      if (encoded === lastWritten) return
      lastWritten = encoded
      persistence.set(SAVED_STATE_KEY, encoded).catch(() => {})
    },
    async destroy() {
      finishLoad(null, state)
      destroyed = true
      globalThis.removeEventListener?.('pagehide', flushOnHide)
      replicaWrites.flush()
      journal.destroy()
      try {
        await persistence.destroy()
      } catch {
        // The database never opened: nothing to close.
      }
    },
  }
}

export function encodeSavedState(saved: SavedState): string {
  const vector = saved.savedStateVector
  return JSON.stringify({
    pendingChanges: saved.pendingChanges,
    savedStateVector: vector === null ? null : toBase64(encodeStateVectorMap(vector)),
  })
}

/** Parses a stored record; anything malformed yields null (treated as "nothing known"). */
export function decodeSavedState(raw: unknown): SavedState | null {
  if (typeof raw !== 'string' || raw.length > MAX_SAVED_STATE_CHARS) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof parsed !== 'object' || parsed === null) return null
  const { pendingChanges, savedStateVector } = parsed as Record<string, unknown>
  if (typeof pendingChanges !== 'number' || !Number.isSafeInteger(pendingChanges) || pendingChanges < 0) return null
  if (savedStateVector === null) return { pendingChanges, savedStateVector: null }
  if (typeof savedStateVector !== 'string') return null
  let bytes: Uint8Array
  try {
    bytes = fromBase64(savedStateVector)
  } catch {
    return null
  }
  const vector = decodeStateVectorSafe(bytes)
  return vector === null ? null : { pendingChanges, savedStateVector: vector }
}

async function readSavedState(persistence: IndexeddbPersistence): Promise<SavedState | null> {
  try {
    return decodeSavedState(await persistence.get(SAVED_STATE_KEY))
  } catch {
    return null
  }
}

function encodeStateVectorMap(vector: Map<number, number>): Uint8Array {
  // Y.encodeStateVector accepts a Map as well as a Doc.
  return Y.encodeStateVector(vector)
}
