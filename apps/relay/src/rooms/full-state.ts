// The answer to a sync step 1 with an empty state vector — a new client, a fresh tab, every
// client of a reconnect storm after a cold restart — is the whole document. Encoding a large
// document takes tens of milliseconds; a room encodes it once and sends the same bytes to every
// such joiner until the document changes.
import { encodeSyncStep2 } from '@collab/protocol'
import * as Y from 'yjs'

/** `Y.encodeStateVector` of an empty document: one varint 0 (no clients). */
function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.length === 1 && stateVector[0] === 0
}

export class FullStateCache {
  private frame: Uint8Array | null = null
  private readonly invalidate = (): void => {
    this.frame = null
  }

  constructor(private readonly doc: Y.Doc) {
    doc.on('update', this.invalidate)
  }

  /** The sync step 2 frame answering `stateVector`; cached when it is the whole document. */
  step2For(stateVector: Uint8Array): Uint8Array {
    if (!isEmptyStateVector(stateVector)) return encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector))
    this.frame ??= encodeSyncStep2(Y.encodeStateAsUpdate(this.doc))
    return this.frame
  }

  dispose(): void {
    this.doc.off('update', this.invalidate)
    this.frame = null
  }
}
