// Two sync step 1 requests are very common and have answers that only change when the document
// does: an empty state vector (a new client, a fresh tab, every client of a reconnect storm after
// a cold restart) gets the whole document, and the document's own state vector (every client of a
// warm reconnect storm, a tab that was merely disconnected) gets no structs and the whole delete
// set. Both take time proportional to the document to encode; a room encodes each once and sends
// the same bytes until the document changes. The whole-document answer is kept only for large
// documents: below MIN_CACHED_WHOLE_BYTES encoding takes well under a millisecond, and keeping
// a copy would only double every small document's memory. The whole-document update is also what
// a compaction stores as the snapshot, so the two share one encoding: a snapshot taken after a
// joiner's request costs no encoding, and a joiner after a compaction gets the cached answer.
// With WS_COMPRESSION=all, a kept whole-document answer asked for again (several joiners of one
// version: a storm after a cold restart, tabs opening a shared link) is also compressed, once, off
// the event loop, for the clients that negotiated permessage-deflate: Yjs updates of text shrink
// to about half.
import { encodeSyncStep2 } from '@collab/protocol'
import * as Y from 'yjs'
import { deflateMessageAsync } from '../connection/compression'
import { DocumentCache } from './document-cache'

/** `Y.encodeStateVector` of an empty document: one varint 0 (no clients). */
function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.length === 1 && stateVector[0] === 0
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}

/** Whole-document answers smaller than this are encoded per request, not kept. */
export const MIN_CACHED_WHOLE_BYTES = 16 * 1024

/**
 * The request for a kept whole-document answer (counting clients that can take it compressed)
 * that starts compressing it. Not the first: in a room being edited, the next joiner usually
 * finds a newer version, and compressing for one client would not pay.
 */
export const DEFLATE_WHOLE_AT_REQUEST = 2

export class FullStateCache extends DocumentCache {
  /** The whole-document answer; `update` is a view of its last bytes (the update it carries). */
  private whole: { frame: Uint8Array; update: Uint8Array } | null = null
  private current: { stateVector: Uint8Array; frame: Uint8Array } | null = null
  /** Requests for `whole` from clients that could take it compressed, and its compressed payload once ready. */
  private wholeDeflateRequests = 0
  private wholeDeflated: Buffer | null = null

  constructor(
    doc: Y.Doc,
    private readonly minCachedWholeBytes = MIN_CACHED_WHOLE_BYTES,
  ) {
    super(doc)
  }

  /** The sync step 2 frame answering `stateVector`; cached for the two common cases. */
  step2For(stateVector: Uint8Array): Uint8Array {
    if (isEmptyStateVector(stateVector)) return this.wholeAnswer().frame
    if (this.current !== null && sameBytes(this.current.stateVector, stateVector)) return this.current.frame
    const frame = encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector))
    const own = Y.encodeStateVector(this.doc)
    // State vectors list clients in encounter order; only a byte-equal one is the same request.
    if (sameBytes(own, stateVector)) this.current = { stateVector: own, frame }
    return frame
  }

  /**
   * The answer to `stateVector` compressed (a permessage-deflate payload), for a client that
   * negotiated the extension; null when it goes plain. Only kept whole-document answers are
   * compressed, from the DEFLATE_WHOLE_AT_REQUEST-th request of one version on, on zlib's thread
   * pool: until that is done (and when it did not make the answer smaller) they go plain.
   * Call after {@link step2For} with the same state vector.
   */
  deflatedStep2For(stateVector: Uint8Array): Buffer | null {
    const whole = this.whole
    if (whole === null || !isEmptyStateVector(stateVector)) return null
    if (this.wholeDeflated !== null) return this.wholeDeflated
    if (++this.wholeDeflateRequests === DEFLATE_WHOLE_AT_REQUEST) {
      deflateMessageAsync(whole.frame).then(
        (deflated) => {
          // A version that changed meanwhile is not this answer any more.
          if (this.whole === whole && deflated.byteLength < whole.frame.byteLength) this.wholeDeflated = deflated
        },
        // zlib failing leaves the answer plain; nothing is lost.
        () => {},
      )
    }
    return null
  }

  /** The whole document as one update (what a snapshot stores); shares the cached answer. */
  wholeUpdate(): Uint8Array {
    return this.wholeAnswer().update
  }

  private wholeAnswer(): { frame: Uint8Array; update: Uint8Array } {
    if (this.whole !== null) return this.whole
    const update = Y.encodeStateAsUpdate(this.doc)
    const frame = encodeSyncStep2(update)
    // The frame ends with a copy of the update; keep a view of it, not the original as well.
    const whole = { frame, update: frame.subarray(frame.byteLength - update.byteLength) }
    if (frame.byteLength >= this.minCachedWholeBytes) this.whole = whole
    return whole
  }

  clear(): void {
    this.whole = null
    this.current = null
    this.wholeDeflateRequests = 0
    this.wholeDeflated = null
  }
}
