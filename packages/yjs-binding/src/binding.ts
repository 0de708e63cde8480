// Keeps one ProseMirror document and one content text in step. The mirror holds, for every
// line, what Yjs really stores and which ProseMirror node shows it, so a local transaction is
// written as the smallest change to exactly the lines it touched.
import type { Node as PMNode, Schema } from 'prosemirror-model'
import * as Y from 'yjs'
import { Fragment } from 'prosemirror-model'
import { textChanges } from './changes'
import { flattenChildren, flattenDoc, inlineOf } from './flatten'
import type { PmLine } from './flatten'
import type { BlockData, Token } from './model'
import { blockEqual, inlineLength, jsonEqual, lineTokens } from './model'
import { linesIn, readLines } from './read-y'
import type { DeltaOp, YLine } from './read-y'
import { renderBlocks, renderDoc, renderLeaf, startsGroup } from './render'
import type { RenderLine } from './render'
import { NO_LIMITS } from './align'
import type { DiffLimits } from './align'
import { applyTokenDiff, updateBoundary } from './write-y'

/** Anchor and head of a selection as Yjs relative positions. */
export interface RelativeSelection {
  readonly anchor: Y.RelativePosition
  readonly head: Y.RelativePosition
}

interface MirrorLine {
  readonly y: YLine
  readonly node: PMNode
  /** The boundary ProseMirror's tree implies for the node (may differ from `y.block`). */
  readonly block: BlockData
  /** Position before the node in `syncedDoc`. */
  readonly pos: number
  /**
   * Yjs says something else about this block than what is shown: its container does not fit
   * where peers' concurrent edits put it, or its type cannot hold its content. How such a block
   * is shown depends on its neighbours, so the next local write stores what is shown.
   */
  readonly stale: boolean
}

/** Two reads of a line hold the same content (cheap: strings compare by value). */
function sameYLine(a: YLine, b: YLine): boolean {
  if (a.boundary !== b.boundary || a.inline.length !== b.inline.length || !blockEqual(a.block, b.block)) return false
  for (let index = 0; index < a.inline.length; index++) {
    const x = a.inline[index] as YLine['inline'][number]
    const y = b.inline[index] as YLine['inline'][number]
    if (x.kind !== y.kind || !jsonEqual(x.marks, y.marks)) return false
    if (x.kind === 'text' ? x.text !== (y as typeof x).text : x.type !== (y as typeof x).type || !jsonEqual(x.attrs, (y as typeof x).attrs)) return false
  }
  return true
}

/** Adjacent text runs with the same marks joined (ProseMirror and Yjs may split text differently). */
function joinedRuns(inline: YLine['inline']): YLine['inline'] {
  const joined: YLine['inline'][number][] = []
  for (const part of inline) {
    const previous = joined[joined.length - 1]
    if (part.kind === 'text' && previous?.kind === 'text' && jsonEqual(previous.marks, part.marks)) {
      joined[joined.length - 1] = { ...previous, text: previous.text + part.text }
    } else {
      joined.push(part)
    }
  }
  return joined
}

/** Two lines hold the same content, however their text is split into runs. */
function sameLineContent(a: YLine, b: YLine): boolean {
  return sameYLine({ ...a, inline: joinedRuns(a.inline) }, { ...b, inline: joinedRuns(b.inline) })
}

/** A range of positions in a ProseMirror document. */
export interface ChangedRange {
  readonly from: number
  readonly to: number
}

/** Tokens of `lines` before position `pos` (a position between blocks counts whole lines). */
function tokensBefore(lines: readonly PmLine[], pos: number): number {
  let count = 0
  for (const line of lines) {
    const contentStart = line.node.isLeaf ? line.pos : line.pos + 1
    if (pos >= line.pos + line.node.nodeSize) {
      count += line.node.content.size + 1
      continue
    }
    if (pos > contentStart) count += pos - contentStart
    break
  }
  return count
}

/** Diff limits for a change known to lie within `changed`. */
function diffLimits(lines: readonly PmLine[], total: number, changed: ChangedRange): DiffLimits {
  return { prefix: tokensBefore(lines, changed.from), suffix: Math.max(0, total - tokensBefore(lines, changed.to)) }
}

/** Where a reading of only the changed lines fits into the binding's state. */
interface ReadingPatch {
  /** The synced document the reading started from. */
  readonly base: PMNode
  /** Lines `firstLine` to `oldLineEnd` (exclusive) became lines `firstLine` to `newLineEnd`. */
  readonly firstLine: number
  readonly oldLineEnd: number
  readonly newLineEnd: number
  /** Top-level children `firstChild` to `oldChildEnd` of `base` became `firstChild` to `newChildEnd`. */
  readonly firstChild: number
  readonly oldChildEnd: number
  readonly newChildEnd: number
}

/** What Yjs holds, read by `readYjs`: its lines and the document showing them. */
export interface YjsReading {
  readonly lines: readonly YLine[]
  readonly doc: PMNode
  /** Set when only the lines around a change were read (see `adoptReading`). */
  readonly patch: ReadingPatch | null
}

export interface BindingOptions {
  /**
   * After every partial read (and its adoption), also read everything and throw a
   * `PartialReadMismatchError` if the two differ. For tests: it makes each remote change cost a
   * full read again.
   */
  readonly verifyReads?: boolean
}

/** A partial read of the content text disagreed with a full read (only with `verifyReads`). */
export class PartialReadMismatchError extends Error {
  constructor(readonly what: string) {
    super(`partial read of the content text differs from a full read: ${what}`)
    this.name = 'PartialReadMismatchError'
  }
}

function mirrorLine(y: YLine, leaf: PmLine): MirrorLine {
  return { y, node: leaf.node, block: leaf.block, pos: leaf.pos, stale: y.boundary !== null && !blockEqual(y.block, leaf.block) }
}

/** The lines of the mirror disagree with the ProseMirror document they should describe. */
export class BindingMismatchError extends Error {
  constructor(
    readonly lines: number,
    readonly leaves: number,
  ) {
    super(`binding mismatch: ${lines} lines in Yjs but ${leaves} leaf blocks rendered`)
    this.name = 'BindingMismatchError'
  }
}

export class Binding {
  /** Origin of every Yjs transaction this binding writes. */
  readonly origin: object
  private mirror: MirrorLine[] = []
  private starts: number[] = []
  /** The ProseMirror document that the Yjs content currently describes. */
  syncedDoc: PMNode

  private readonly verifyReads: boolean

  constructor(
    readonly schema: Schema,
    readonly text: Y.XmlText,
    origin?: object,
    options: BindingOptions = {},
  ) {
    this.origin = origin ?? this
    this.verifyReads = options.verifyReads === true
    const lines = readLines(text)
    const doc = renderDoc(schema, lines)
    this.syncedDoc = doc
    this.adopt(lines, doc)
  }

  get ydoc(): Y.Doc {
    const doc = this.text.doc
    if (doc === null) throw new Error('the content text is not part of a Y.Doc')
    return doc
  }

  /**
   * Renders what Yjs holds now (to be applied to the view, then adopted with `adoptReading`).
   * Blocks whose line is unchanged keep their node, so a remote keystroke rebuilds one block, not
   * the document. Given the events of the transaction that changed Yjs since the last adoption,
   * only the lines around the change are read, and only the top-level blocks holding them built.
   */
  readYjs(events?: readonly Y.YEvent<Y.AbstractType<unknown>>[]): YjsReading {
    const partial = events === undefined ? null : this.readChanged(events)
    if (partial === null) return this.readAll()
    if (this.verifyReads) this.verifyReading(partial, this.readAll())
    return partial
  }

  private readAll(): YjsReading {
    const lines = readLines(this.text)
    return { lines, doc: renderDoc(this.schema, lines, this.leafReuser(0, this.mirror.length)), patch: null }
  }

  /** Renders a line, reusing the node of mirror lines `from` to `to` that hold the same content. */
  private leafReuser(from: number, to: number): (line: RenderLine) => PMNode {
    const previous = new Map<Y.Map<unknown> | null, MirrorLine>()
    for (let index = from; index < to; index++) {
      const line = this.mirror[index] as MirrorLine
      previous.set(line.y.boundary, line)
    }
    return (line) => {
      const known = previous.get((line as YLine).boundary)
      if (known !== undefined && sameYLine(known.y, line as YLine)) return known.node
      return renderLeaf(this.schema, line)
    }
  }

  /** Reads only the lines `events` touched, out to whole top-level blocks; null: read everything. */
  private readChanged(events: readonly Y.YEvent<Y.AbstractType<unknown>>[]): YjsReading | null {
    const changes = textChanges(this.text, events)
    const mirror = this.mirror
    if (changes === null || mirror.length === 0) return null
    let first = Infinity
    let last = -Infinity
    if (changes.range !== null) {
      first = this.lineOfOffset(changes.range.from)
      last = this.lineOfOffset(changes.range.to)
    }
    for (const boundary of changes.boundaries) {
      const index = mirror.findIndex((line) => line.y.boundary === boundary)
      if (index < 0) return null
      first = Math.min(first, index)
      last = Math.max(last, index)
    }
    if (first > last) return null
    // One untouched line on each side, then out to lines that start a top-level group: the
    // blocks of the lines in between are then the same as in a full render.
    let start = Math.max(0, first - 1)
    while (start > 0 && !startsGroup((mirror[start - 1] as MirrorLine).y, (mirror[start] as MirrorLine).y)) start--
    let end = Math.min(mirror.length - 1, last + 1)
    while (end < mirror.length - 1 && !startsGroup((mirror[end] as MirrorLine).y, (mirror[end + 1] as MirrorLine).y)) end++
    const toEnd = end === mirror.length - 1
    const endLine = mirror[end] as MirrorLine
    const oldLength = (this.starts[mirror.length - 1] as number) + (mirror[mirror.length - 1] as MirrorLine).y.length
    // Yjs moved on beyond these events (a change made while they were being delivered).
    if (oldLength + changes.lengthChange !== this.text.length) return null
    const from = this.starts[start] as number
    const to = toEnd ? Infinity : (this.starts[end] as number) + endLine.y.length + this.text.length - oldLength
    const fresh = linesIn(this.text.toDelta() as DeltaOp[], from, to)
    if (fresh === null) return null
    // The untouched line at the end must still end the range (else the offsets are not where
    // this binding thinks they are).
    if (!toEnd && (fresh.length === 0 || !sameLineContent(fresh[fresh.length - 1] as YLine, endLine.y))) return null

    // The top-level children holding those lines, and nothing else.
    const base = this.syncedDoc
    const firstChild = start === 0 ? 0 : base.resolve((mirror[start] as MirrorLine).pos).index(0)
    if (start > 0 && base.resolve((mirror[start - 1] as MirrorLine).pos).index(0) >= firstChild) return null
    let oldChildEnd = base.childCount
    if (!toEnd) {
      oldChildEnd = base.resolve((mirror[end + 1] as MirrorLine).pos).index(0)
      if (base.resolve(endLine.pos).index(0) >= oldChildEnd) return null
    }
    const blocks = renderBlocks(this.schema, fresh, this.leafReuser(start, end + 1))
    const children: PMNode[] = []
    for (let index = 0; index < firstChild; index++) children.push(base.child(index))
    children.push(...blocks)
    for (let index = oldChildEnd; index < base.childCount; index++) children.push(base.child(index))
    let doc: PMNode
    try {
      doc = this.schema.topNodeType.createChecked(null, Fragment.from(children))
    } catch {
      return null
    }
    const lines: YLine[] = []
    for (let index = 0; index < start; index++) lines.push((mirror[index] as MirrorLine).y)
    lines.push(...fresh)
    for (let index = end + 1; index < mirror.length; index++) lines.push((mirror[index] as MirrorLine).y)
    return {
      lines,
      doc,
      patch: { base, firstLine: start, oldLineEnd: end + 1, newLineEnd: start + fresh.length, firstChild, oldChildEnd, newChildEnd: firstChild + blocks.length },
    }
  }

  /** The line holding Yjs offset `offset` (the last line for offsets at or past the end). */
  private lineOfOffset(offset: number): number {
    return Math.max(0, this.lineAt((_line, start) => start <= offset))
  }

  private verifyReading(partial: YjsReading, full: YjsReading): void {
    if (!partial.doc.eq(full.doc)) throw new PartialReadMismatchError(`document ${JSON.stringify(partial.doc.toJSON())} vs ${JSON.stringify(full.doc.toJSON())}`)
    if (partial.lines.length !== full.lines.length) throw new PartialReadMismatchError(`${partial.lines.length} lines vs ${full.lines.length}`)
    partial.lines.forEach((line, index) => {
      if (!sameLineContent(line, full.lines[index] as YLine)) throw new PartialReadMismatchError(`line ${index}`)
    })
  }

  /**
   * Records that `shown` (equal to `reading.doc`) is now what the view shows: for a partial
   * reading only the changed lines are flattened again, when the view kept every other block.
   */
  adoptReading(reading: YjsReading, shown: PMNode): void {
    const patch = reading.patch
    if (patch === null || patch.base !== this.syncedDoc || !this.adoptPatch(reading, patch, shown)) {
      this.adopt(reading.lines, shown)
      return
    }
    if (!this.verifyReads) return
    const leaves = flattenDoc(shown)
    if (leaves.length !== this.mirror.length) throw new PartialReadMismatchError(`${this.mirror.length} mirror lines vs ${leaves.length} leaves`)
    leaves.forEach((leaf, index) => {
      const line = this.mirror[index] as MirrorLine
      const expected = mirrorLine(reading.lines[index] as YLine, leaf)
      if (line.node !== expected.node || line.pos !== expected.pos || line.stale !== expected.stale || !blockEqual(line.block, expected.block) || !sameLineContent(line.y, expected.y)) {
        throw new PartialReadMismatchError(`mirror line ${index}`)
      }
    })
  }

  private adoptPatch(reading: YjsReading, patch: ReadingPatch, shown: PMNode): boolean {
    const { base } = patch
    if (shown.childCount !== reading.doc.childCount) return false
    // The view keeps the blocks it did not change; the mirror's lines for them stay valid.
    for (let index = 0; index < patch.firstChild; index++) if (shown.child(index) !== base.child(index)) return false
    const childShift = patch.oldChildEnd - patch.newChildEnd
    for (let index = patch.newChildEnd; index < shown.childCount; index++) if (shown.child(index) !== base.child(index + childShift)) return false
    const leaves = flattenChildren(shown, patch.firstChild, patch.newChildEnd)
    if (leaves.length !== patch.newLineEnd - patch.firstLine) return false
    const mirror = this.mirror
    const posShift = shown.content.size - base.content.size
    const next = mirror.slice(0, patch.firstLine)
    leaves.forEach((leaf, index) => next.push(mirrorLine(reading.lines[patch.firstLine + index] as YLine, leaf)))
    for (let index = patch.oldLineEnd; index < mirror.length; index++) {
      const line = mirror[index] as MirrorLine
      next.push(posShift === 0 ? line : { ...line, pos: line.pos + posShift })
    }
    this.mirror = next
    this.syncedDoc = shown
    this.reindex()
    return true
  }

  /** Records that `doc` (equal to the render of `lines`) is now what the view shows. */
  adopt(lines: readonly YLine[], doc: PMNode): void {
    const leaves = flattenDoc(doc)
    if (leaves.length !== lines.length) throw new BindingMismatchError(lines.length, leaves.length)
    this.mirror = leaves.map((leaf, index) => mirrorLine(lines[index] as YLine, leaf))
    this.syncedDoc = doc
    this.reindex()
  }

  private reindex(): void {
    const starts: number[] = []
    let offset = 0
    for (const line of this.mirror) {
      starts.push(offset)
      offset += line.y.length
    }
    this.starts = starts
  }

  /**
   * Writes the difference between `syncedDoc` and `doc` to Yjs, in one transaction. `changed`,
   * when known, is the range of `doc` that the transactions since `syncedDoc` touched.
   */
  writeDoc(doc: PMNode, changed: ChangedRange | null = null): void {
    if (doc === this.syncedDoc) return
    const next = flattenDoc(doc)
    const mirror = this.mirror
    const same = (line: MirrorLine, leaf: PmLine): boolean => line.node === leaf.node && blockEqual(line.block, leaf.block)
    let start = 0
    while (start < mirror.length && start < next.length && same(mirror[start] as MirrorLine, next[start] as PmLine)) start++
    let oldEnd = mirror.length
    let newEnd = next.length
    while (oldEnd > start && newEnd > start && same(mirror[oldEnd - 1] as MirrorLine, next[newEnd - 1] as PmLine)) {
      oldEnd--
      newEnd--
    }
    // Content after the last boundary (a line without one) must be part of any change that
    // follows it, or new boundaries would end that line instead of their own.
    if (start > 0 && start === oldEnd && (mirror[start - 1] as MirrorLine).y.boundary === null) start--
    const rebased = (from: number, to: number, lines = mirror.slice(from, to)): MirrorLine[] =>
      lines.map((line, index) => ({ ...line, pos: (next[index + from + newEnd - oldEnd] as PmLine).pos }))
    const repairs = (from: number, to: number): MirrorLine[] =>
      mirror.slice(from, to).map((line) => {
        if (!line.stale || line.y.boundary === null) return line
        updateBoundary(line.y.boundary, line.y.block ?? line.block, line.block)
        return { ...line, y: { ...line.y, block: line.block }, stale: false }
      })
    if (start === oldEnd && start === newEnd) {
      this.ydoc.transact(() => {
        this.mirror = [...repairs(0, start), ...rebased(oldEnd, mirror.length, repairs(oldEnd, mirror.length))]
      }, this.origin)
      this.syncedDoc = doc
      return
    }
    const before: Token[] = []
    const maps: Y.Map<unknown>[] = []
    for (let index = start; index < oldEnd; index++) {
      const line = (mirror[index] as MirrorLine).y
      lineTokens(line.inline, line.block, before)
      if (line.boundary !== null) maps.push(line.boundary)
    }
    const after: Token[] = []
    for (let index = start; index < newEnd; index++) {
      const leaf = next[index] as PmLine
      lineTokens(inlineOf(leaf.node), leaf.block, after)
    }
    const limits = changed === null ? NO_LIMITS : diffLimits(next.slice(start, newEnd), after.length, changed)
    const at = start < this.starts.length ? (this.starts[start] as number) : this.text.length
    let written: Y.Map<unknown>[] = []
    let head: MirrorLine[] = []
    let tail: MirrorLine[] = []
    this.ydoc.transact(() => {
      written = applyTokenDiff(this.text, at, before, maps, after, limits)
      head = repairs(0, start)
      tail = repairs(oldEnd, mirror.length)
    }, this.origin)
    const fresh: MirrorLine[] = []
    for (let index = start; index < newEnd; index++) {
      const leaf = next[index] as PmLine
      const inline = inlineOf(leaf.node)
      const boundary = written[index - start] ?? null
      fresh.push({
        y: { inline, block: leaf.block, boundary, length: inlineLength(inline) + 1 },
        node: leaf.node,
        block: leaf.block,
        pos: leaf.pos,
        stale: false,
      })
    }
    this.mirror = [...head, ...fresh, ...rebased(oldEnd, mirror.length, tail)]
    this.syncedDoc = doc
    this.reindex()
  }

  /** Selection before the latest local change (set by the sync plugin, read by undo). */
  selectionBefore: RelativeSelection | null = null

  /** A selection in `syncedDoc` as Yjs relative positions (stable under everyone's edits). */
  relativeSelection(anchor: number, head: number, inward = false): RelativeSelection {
    // `inward`: each end sticks to the text inside the selection (a caret to the character
    // before it), so text others insert right at the caret lands after it, not before.
    const assoc = (pos: number, other: number): number => (!inward ? 0 : pos > other || pos === other ? -1 : 0)
    return {
      anchor: Y.createRelativePositionFromTypeIndex(this.text, this.indexOf(anchor), assoc(anchor, head)),
      head: Y.createRelativePositionFromTypeIndex(this.text, this.indexOf(head), assoc(head, anchor)),
    }
  }

  /** The position in `syncedDoc` of a relative position, or null if it is not in this text. */
  resolve(position: Y.RelativePosition): number | null {
    const absolute = Y.createAbsolutePositionFromRelativePosition(position, this.ydoc)
    if (absolute === null || absolute.type !== this.text) return null
    return this.posOf(absolute.index)
  }

  /** The Yjs offset of ProseMirror position `pos` in `syncedDoc`. */
  indexOf(pos: number): number {
    const line = this.lineAt((candidate) => candidate.pos <= pos)
    if (line < 0) return 0
    const entry = this.mirror[line] as MirrorLine
    const contentStart = entry.node.isLeaf ? entry.pos : entry.pos + 1
    const room = Math.min(entry.node.content.size, inlineLength(entry.y.inline))
    return (this.starts[line] as number) + Math.max(0, Math.min(pos - contentStart, room))
  }

  /** The ProseMirror position in `syncedDoc` of Yjs offset `index`. */
  posOf(index: number): number {
    const line = this.lineAt((_candidate, at) => at <= index)
    if (line < 0) return 0
    const entry = this.mirror[line] as MirrorLine
    const contentStart = entry.node.isLeaf ? entry.pos : entry.pos + 1
    const room = Math.min(entry.node.content.size, inlineLength(entry.y.inline))
    return contentStart + Math.max(0, Math.min(index - (this.starts[line] as number), room))
  }

  /** The last line for which `test` holds (lines are ordered, so a binary search). */
  private lineAt(test: (line: MirrorLine, start: number) => boolean): number {
    let low = 0
    let high = this.mirror.length - 1
    let found = -1
    while (low <= high) {
      const middle = (low + high) >> 1
      if (test(this.mirror[middle] as MirrorLine, this.starts[middle] as number)) {
        found = middle
        low = middle + 1
      } else {
        high = middle - 1
      }
    }
    return found
  }
}
