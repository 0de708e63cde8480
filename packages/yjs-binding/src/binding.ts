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
import { deltaBetween, linesIn, readLines } from './read-y'
import type { YLine } from './read-y'
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
  /** Position before the node in `syncedDoc` (moved in place when a change before it shifts it). */
  pos: number
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

/**
 * The top-level children in which `a` and `b` differ: both start with the same node objects up to
 * child `first` and end with them after `oldEnd` (in `a`) and `newEnd` (in `b`). `oldFrom` and
 * `oldTo` are the positions in `a` before child `first` and child `oldEnd`.
 */
function changedChildren(a: PMNode, b: PMNode): { first: number; oldEnd: number; newEnd: number; oldFrom: number; oldTo: number } {
  let first = 0
  let oldFrom = 0
  const shorter = Math.min(a.childCount, b.childCount)
  while (first < shorter && a.child(first) === b.child(first)) oldFrom += a.child(first++).nodeSize
  let oldEnd = a.childCount
  let newEnd = b.childCount
  let oldTo = a.content.size
  while (oldEnd > first && newEnd > first && a.child(oldEnd - 1) === b.child(newEnd - 1)) {
    oldTo -= a.child(--oldEnd).nodeSize
    newEnd--
  }
  return { first, oldEnd, newEnd, oldFrom, oldTo }
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
   * After every partial read (and its adoption) and every local write, also read and flatten
   * everything and throw an `IncrementalMismatchError` if the binding's state differs. For tests:
   * it makes each change cost a full read again.
   */
  readonly verify?: boolean
}

/**
 * What the binding worked out from the changed lines only disagrees with a full read of Yjs and
 * the document (only with `verify`).
 */
export class IncrementalMismatchError extends Error {
  constructor(readonly what: string) {
    super(`the binding's incremental update differs from a full read: ${what}`)
    this.name = 'IncrementalMismatchError'
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

  private readonly verify: boolean

  constructor(
    readonly schema: Schema,
    readonly text: Y.XmlText,
    origin?: object,
    options: BindingOptions = {},
  ) {
    this.origin = origin ?? this
    this.verify = options.verify === true
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
    if (this.verify) this.verifyReading(partial, this.readAll())
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
    const ops = deltaBetween(this.text, from, to)
    const fresh = ops === null ? null : linesIn(ops, from, to, from)
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
    if (!partial.doc.eq(full.doc)) throw new IncrementalMismatchError(`document ${JSON.stringify(partial.doc.toJSON())} vs ${JSON.stringify(full.doc.toJSON())}`)
    if (partial.lines.length !== full.lines.length) throw new IncrementalMismatchError(`${partial.lines.length} lines vs ${full.lines.length}`)
    partial.lines.forEach((line, index) => {
      if (!sameLineContent(line, full.lines[index] as YLine)) throw new IncrementalMismatchError(`line ${index}`)
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
    if (this.verify) this.checkMirror(reading.lines)
  }

  /** With `verify`: the mirror must equal one built from scratch from `lines` and `syncedDoc`. */
  private checkMirror(lines: readonly YLine[]): void {
    const leaves = flattenDoc(this.syncedDoc)
    if (leaves.length !== this.mirror.length || lines.length !== leaves.length) {
      throw new IncrementalMismatchError(`${this.mirror.length} mirror lines vs ${leaves.length} leaves and ${lines.length} lines`)
    }
    let offset = 0
    leaves.forEach((leaf, index) => {
      const line = this.mirror[index] as MirrorLine
      const expected = mirrorLine(lines[index] as YLine, leaf)
      if (line.node !== expected.node || line.pos !== expected.pos || line.stale !== expected.stale || !blockEqual(line.block, expected.block) || !sameLineContent(line.y, expected.y)) {
        throw new IncrementalMismatchError(`mirror line ${index}`)
      }
      if (this.starts[index] !== offset) throw new IncrementalMismatchError(`start of mirror line ${index}: ${this.starts[index]} vs ${offset}`)
      offset += line.y.length
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
    const fresh = leaves.map((leaf, index) => mirrorLine(reading.lines[patch.firstLine + index] as YLine, leaf))
    const rest = mirror.slice(patch.oldLineEnd)
    if (posShift !== 0) for (const line of rest) line.pos += posShift
    this.mirror = mirror.slice(0, patch.firstLine).concat(fresh, rest)
    this.syncedDoc = shown
    this.reindex(patch.firstLine)
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

  /** Recomputes where lines `from` on start in Yjs (those before it are unchanged). */
  private reindex(from = 0): void {
    const { mirror, starts } = this
    starts.length = mirror.length
    let offset = from === 0 ? 0 : (starts[from - 1] as number) + (mirror[from - 1] as MirrorLine).y.length
    for (let index = from; index < mirror.length; index++) {
      starts[index] = offset
      offset += (mirror[index] as MirrorLine).y.length
    }
  }

  /**
   * Writes the difference between `syncedDoc` and `doc` to Yjs, in one transaction. `changed`,
   * when known, is the range of `doc` that the transactions since `syncedDoc` touched.
   */
  writeDoc(doc: PMNode, changed: ChangedRange | null = null): void {
    const old = this.syncedDoc
    if (doc === old) return
    const mirror = this.mirror
    // Top-level children that are the same node objects in both documents hold the same lines;
    // only the ones between them are flattened, so a keystroke costs its block, not the document.
    const window = changedChildren(old, doc)
    const windowStart = this.lineAt((line) => line.pos < window.oldFrom) + 1
    const windowEnd = this.lineAt((line) => line.pos < window.oldTo) + 1
    const middle = flattenChildren(doc, window.first, window.newEnd)
    const middleEnd = windowStart + middle.length
    const shift = doc.content.size - old.content.size
    const newLength = mirror.length - (windowEnd - windowStart) + middle.length
    /** Where line `index` of `doc` starts; past the window, `line` is the mirror's line it is. */
    const posAt = (index: number, line: MirrorLine): number =>
      index < windowStart ? line.pos : index < middleEnd ? (middle[index - windowStart] as PmLine).pos : line.pos + shift
    /** Line `index` of `doc`: the mirror's outside the window (moved by `shift` after it). */
    const nextLine = (index: number): PmLine => {
      if (index < windowStart) return mirror[index] as MirrorLine
      if (index < middleEnd) return middle[index - windowStart] as PmLine
      const line = mirror[index - middleEnd + windowEnd] as MirrorLine
      return { node: line.node, block: line.block, pos: posAt(index, line) }
    }
    const same = (line: MirrorLine, leaf: PmLine): boolean => line.node === leaf.node && blockEqual(line.block, leaf.block)
    // The lines before and after the window are the same in both: skip them.
    let start = windowStart
    while (start < mirror.length && start < newLength && same(mirror[start] as MirrorLine, nextLine(start))) start++
    let oldEnd = mirror.length
    let newEnd = newLength
    const sameTail = Math.min(mirror.length - windowEnd, oldEnd - start, newEnd - start)
    oldEnd -= sameTail
    newEnd -= sameTail
    while (oldEnd > start && newEnd > start && same(mirror[oldEnd - 1] as MirrorLine, nextLine(newEnd - 1))) {
      oldEnd--
      newEnd--
    }
    // Content after the last boundary (a line without one) must be part of any change that
    // follows it, or new boundaries would end that line instead of their own.
    if (start > 0 && start === oldEnd && (mirror[start - 1] as MirrorLine).y.boundary === null) start--
    // Lines whose boundary says something else than what is shown (`stale`) are rewritten by
    // any local write; the mirror is updated in place.
    const repair = (from: number, to: number): void => {
      for (let index = from; index < to; index++) {
        const line = mirror[index] as MirrorLine
        if (!line.stale || line.y.boundary === null) continue
        updateBoundary(line.y.boundary, line.y.block ?? line.block, line.block)
        mirror[index] = { ...line, y: { ...line.y, block: line.block }, stale: false }
      }
    }
    /** The mirror's lines from `oldEnd` on, moved to where they are in `doc`. */
    const rest = (): MirrorLine[] => {
      const lines = mirror.slice(oldEnd)
      lines.forEach((line, index) => (line.pos = posAt(newEnd + index, line)))
      return lines
    }
    if (start === oldEnd && start === newEnd) {
      this.ydoc.transact(() => repair(0, mirror.length), this.origin)
      this.mirror = mirror.slice(0, start).concat(rest())
      this.syncedDoc = doc
      if (this.verify) this.checkMirror(readLines(this.text))
      return
    }
    const before: Token[] = []
    const maps: Y.Map<unknown>[] = []
    for (let index = start; index < oldEnd; index++) {
      const line = (mirror[index] as MirrorLine).y
      lineTokens(line.inline, line.block, before)
      if (line.boundary !== null) maps.push(line.boundary)
    }
    const changedLines: PmLine[] = []
    for (let index = start; index < newEnd; index++) changedLines.push(nextLine(index))
    const after: Token[] = []
    for (const leaf of changedLines) lineTokens(inlineOf(leaf.node), leaf.block, after)
    const limits = changed === null ? NO_LIMITS : diffLimits(changedLines, after.length, changed)
    const at = start < this.starts.length ? (this.starts[start] as number) : this.text.length
    let written: Y.Map<unknown>[] = []
    this.ydoc.transact(() => {
      written = applyTokenDiff(this.text, at, before, maps, after, limits)
      repair(0, start)
      repair(oldEnd, mirror.length)
    }, this.origin)
    const fresh = changedLines.map((leaf, index): MirrorLine => {
      const inline = inlineOf(leaf.node)
      return {
        y: { inline, block: leaf.block, boundary: written[index] ?? null, length: inlineLength(inline) + 1 },
        node: leaf.node,
        block: leaf.block,
        pos: leaf.pos,
        stale: false,
      }
    })
    this.mirror = mirror.slice(0, start).concat(fresh, rest())
    this.syncedDoc = doc
    this.reindex(start)
    if (this.verify) this.checkMirror(readLines(this.text))
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
