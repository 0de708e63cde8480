// Three sync step 1 requests are very common and have answers that only change when the document
// does: an empty state vector (a stock client's new tab, every client of a reconnect storm after a
// cold restart) gets the whole document; the document's own state vector (every client of a warm
// reconnect storm, a tab that was merely disconnected) gets no structs and the whole delete set;
// and one state vector many joiners share: our editor's, which holds only the genesis item every
// replica creates (packages/yjs-binding/src/root.ts), gets all but that item. Each takes time
// proportional to the document to encode; a room encodes each once and sends the same bytes until
// the document changes (the shared one: the last such state vector asked for, one at a time).
// Those answers are kept only for large documents: below MIN_CACHED_WHOLE_BYTES encoding takes
// well under a millisecond, and keeping a copy would only double every small document's memory.
// The whole-document update is also what a compaction stores as the snapshot, so the two share
// one encoding: a snapshot taken after a joiner's request costs no encoding, and a joiner after a
// compaction gets the cached answer.
// With WS_COMPRESSION=all, a kept answer asked for again (several joiners of one version: a storm
// after a cold restart, a class opening a shared link) is also compressed, once, off the event
// loop, for the clients that negotiated permessage-deflate: Yjs updates of text shrink to about
// half.
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

/** Whole-document (and shared) answers smaller than this are encoded per request, not kept. */
export const MIN_CACHED_WHOLE_BYTES = 16 * 1024

/**
 * The request for a kept answer (counting clients that can take it compressed) that starts
 * compressing it. Not the first: in a room being edited, the next joiner usually finds a newer
 * version, and compressing for one client would not pay.
 */
export const DEFLATE_AT_REQUEST = 2

/** A kept answer's compression: requests so far, and the compressed payload once ready. */
interface Compression {
  requests: number
  deflated: Buffer | null
}

export class FullStateCache extends DocumentCache {
  /** The whole-document answer; `update` is a view of its last bytes (the update it carries). */
  private whole: { frame: Uint8Array; update: Uint8Array } | null = null
  private current: { stateVector: Uint8Array; frame: Uint8Array } | null = null
  /** The large answer to the last other state vector asked for (see the file comment). */
  private shared: { stateVector: Uint8Array; frame: Uint8Array } | null = null
  /** Per kept frame, and dropped with it: a compression that finishes late lands nowhere. */
  private readonly compressions = new WeakMap<Uint8Array, Compression>()

  constructor(
    doc: Y.Doc,
    private readonly minCachedWholeBytes = MIN_CACHED_WHOLE_BYTES,
  ) {
    super(doc)
  }

  /** The sync step 2 frame answering `stateVector`; cached for the three common cases. */
  step2For(stateVector: Uint8Array): Uint8Array {
    const kept = this.keptLargeAnswer(stateVector)
    if (kept !== null) return kept
    if (isEmptyStateVector(stateVector)) return this.wholeAnswer().frame
    if (this.current !== null && sameBytes(this.current.stateVector, stateVector)) return this.current.frame
    const frame = encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, stateVector))
    const own = Y.encodeStateVector(this.doc)
    // State vectors list clients in encounter order; only a byte-equal one is the same request.
    if (sameBytes(own, stateVector)) this.current = { stateVector: own, frame }
    else if (frame.byteLength >= this.minCachedWholeBytes) this.shared = { stateVector: stateVector.slice(), frame }
    return frame
  }

  /**
   * The answer to `stateVector` compressed (a permessage-deflate payload), for a client that
   * negotiated the extension; null when it goes plain. Only kept large answers (the whole
   * document, the shared one) are compressed, from the DEFLATE_AT_REQUEST-th request of one
   * version on, on zlib's thread pool: until that is done (and when it did not make the answer
   * smaller) they go plain. Call after {@link step2For} with the same state vector.
   */
  deflatedStep2For(stateVector: Uint8Array): Buffer | null {
    const frame = this.keptLargeAnswer(stateVector)
    if (frame === null) return null
    let compression = this.compressions.get(frame)
    if (compression === undefined) {
      compression = { requests: 0, deflated: null }
      this.compressions.set(frame, compression)
    }
    if (compression.deflated !== null) return compression.deflated
    if (++compression.requests === DEFLATE_AT_REQUEST) {
      const started = compression
      deflateMessageAsync(frame).then(
        (deflated) => {
          if (deflated.byteLength < frame.byteLength) started.deflated = deflated
        },
        // zlib failing leaves the answer plain; nothing is lost.
        () => {},
      )
    }
    return null
  }

  /** The kept whole-document or shared answer to `stateVector`, if there is one. */
  private keptLargeAnswer(stateVector: Uint8Array): Uint8Array | null {
    if (isEmptyStateVector(stateVector)) return this.whole?.frame ?? null
    if (this.shared !== null && sameBytes(this.shared.stateVector, stateVector)) return this.shared.frame
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
    this.shared = null
  }
}
