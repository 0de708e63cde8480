// Marker tokens: unique strings a page types (or pastes) that must end up in the document exactly
// once. `[[A1x7]]` = writer A1 (page slot A, first incarnation), its 7th marker. Brackets, letters
// and digits trigger none of the editor's input rules, and free text never contains `[`.

/** Source of the marker regular expression; the in-page probe builds its own RegExp from it. */
export const MARKER_PATTERN = String.raw`\[\[[A-Z][0-9]+x[0-9]+\]\]`

export function markerToken(writer: string, counter: number): string {
  return `[[${writer}x${counter}]]`
}

/** Writer of a token: `[[A1x7]]` → `A1`. */
export function writerOf(token: string): string {
  return token.slice(2, token.indexOf('x'))
}

/** Occurrences of every marker in `text`. */
export function countMarkers(text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const match of text.matchAll(new RegExp(MARKER_PATTERN, 'g'))) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1)
  return counts
}

interface JsonNode {
  type?: string
  text?: string
  content?: JsonNode[]
}

/** Text of every textblock of a ProseMirror JSON document, in document order. */
export function textblocksOf(doc: unknown): string[] {
  const blocks: string[] = []
  const visit = (node: JsonNode): void => {
    const children = node.content ?? []
    const inline = children.length > 0 && children.every((child) => child.type === 'text' || child.type === 'hard_break')
    if (inline || node.type === 'paragraph' || node.type === 'heading' || node.type === 'code_block') {
      blocks.push(children.map((child) => (child.type === 'text' ? (child.text ?? '') : '\n')).join(''))
      return
    }
    for (const child of children) visit(child)
  }
  visit(doc as JsonNode)
  return blocks
}

export interface MarkerCopy {
  block: number
  offset: number
  before: string
  after: string
}

export type DuplicateCause = 'split' | 'undo-restore' | 'unexplained'

export interface DuplicateMarker {
  marker: string
  count: number
  cause: DuplicateCause
  /** The copies carry the same neighbouring text (a copied span). */
  sharedContext: boolean
  copies: MarkerCopy[]
}

/** How much text around a copy is compared; a split copies everything after the split point. */
const CONTEXT_CHARS = 8
/** Copies whose neighbouring text agrees on at least this many characters share a duplicated span. */
const SHARED_CONTEXT_CHARS = 3

function commonPrefixLength(a: string, b: string): number {
  let length = 0
  while (length < a.length && length < b.length && a[length] === b[length]) length++
  return length
}

function reversed(text: string): string {
  return [...text].reverse().join('')
}

/** Two copies share surrounding text: equal (possibly empty at a block edge) or a long enough common part. */
function sharesContext(a: MarkerCopy, b: MarkerCopy): boolean {
  const afterShared = a.after === b.after || commonPrefixLength(a.after, b.after) >= SHARED_CONTEXT_CHARS
  const beforeShared = a.before === b.before || commonPrefixLength(reversed(a.before), reversed(b.before)) >= SHARED_CONTEXT_CHARS
  return afterShared || beforeShared
}

/** Where each copy of `marker` sits, with the text around it in its block. */
export function locateCopies(blocks: readonly string[], marker: string): MarkerCopy[] {
  const copies: MarkerCopy[] = []
  blocks.forEach((text, block) => {
    let offset = text.indexOf(marker)
    while (offset !== -1) {
      const end = offset + marker.length
      copies.push({
        block,
        offset,
        before: text.slice(Math.max(0, offset - CONTEXT_CHARS), offset),
        after: text.slice(end, end + CONTEXT_CHARS),
      })
      offset = text.indexOf(marker, end)
    }
  })
  return copies
}

/**
 * What made the extra copy, as the page that made it saw it (the others only see a remote update):
 * `merge` = no page made it locally, the copies arose from merging concurrent edits; `undo` = an
 * undo or redo transaction; `edit` = a page's own edit or the binding itself.
 */
export type CopyOrigin = 'merge' | 'undo' | 'edit'

/**
 * Attributes a duplicated marker. Yjs never duplicates an item, so every copy of a marker is a set
 * of items some page's transaction created; the ledger knows whether any page's own transaction
 * raised the count (see {@link CopyOrigin}).
 *
 * - `split`: the copies arose only from merging concurrent edits. Each page's transaction that
 *   copied the marker also deleted the original — a move. y-prosemirror 1.3.7 does exactly that
 *   for a paragraph split ("shorten the paragraph + insert a copy of its tail"), a join ("delete
 *   the paragraph + append a copy") and a block type change ("delete the element + insert a copy");
 *   two such moves of the same text made concurrently leave two copies (yjs/y-prosemirror#161).
 *   `sharedContext` says whether the copies still carry the same neighbouring text (the rest of
 *   the copied span), which later edits around either copy can change.
 * - `undo-restore`: an undo or redo brought back original text that had been copied elsewhere.
 * - `unexplained`: a page's own edit (or the binding on its own) made the extra copy.
 */
export function classifyDuplicate(blocks: readonly string[], marker: string, origin: CopyOrigin): DuplicateMarker {
  const copies = locateCopies(blocks, marker)
  const first = copies[0]
  const sharedContext = first !== undefined && copies.slice(1).every((copy) => sharesContext(first, copy))
  const cause: DuplicateCause = origin === 'undo' ? 'undo-restore' : origin === 'merge' ? 'split' : 'unexplained'
  return { marker, count: copies.length, cause, sharedContext, copies }
}
