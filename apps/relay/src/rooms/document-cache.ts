import type * as Y from 'yjs'

/**
 * Something derived from a room's Y.Doc, kept until the document changes: every update event
 * clears it. Subclasses hold the cached values and say how to drop them.
 */
export abstract class DocumentCache {
  /** The doc's 'update' listener (a bound method: see RoomAwareness.onUpdate). */
  private readonly invalidate = this.clear.bind(this)

  constructor(protected readonly doc: Y.Doc) {
    doc.on('update', this.invalidate)
  }

  /** Drops what is cached (also called when the document changed without an update event). */
  abstract clear(): void

  dispose(): void {
    this.doc.off('update', this.invalidate)
    this.clear()
  }
}
