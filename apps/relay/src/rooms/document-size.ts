import * as Y from 'yjs'

/** Re-measure the document at most once per this much growth: encoding a large one is not free. */
const MEASURE_EVERY_BYTES = 1024 * 1024

/**
 * The document's size if an update were added, cheaply. `estimateBytes()` (snapshot + log +
 * pending bytes) over-counts, since it sums updates; only when it crosses the limit is the
 * document encoded and measured exactly.
 */
export class DocumentSize {
  private measured: { estimateBytes: number; documentBytes: number } | null = null

  constructor(
    private readonly doc: Y.Doc,
    private readonly estimateBytes: () => number,
    private readonly maxDocumentBytes: number,
  ) {}

  grownBytes(updateBytes: number): number {
    const estimateBytes = this.estimateBytes()
    if (estimateBytes + updateBytes <= this.maxDocumentBytes) return estimateBytes + updateBytes
    const measured = this.measured
    if (
      measured === null ||
      estimateBytes < measured.estimateBytes ||
      estimateBytes - measured.estimateBytes > MEASURE_EVERY_BYTES
    ) {
      this.measured = { estimateBytes, documentBytes: Y.encodeStateAsUpdate(this.doc).byteLength }
      return this.measured.documentBytes + updateBytes
    }
    return measured.documentBytes + (estimateBytes - measured.estimateBytes) + updateBytes
  }
}
