// Keeps one ProseMirror document and one content text in step. The mirror holds, for every
// line, what Yjs really stores and which ProseMirror node shows it, so a local transaction is
// written as the smallest change to exactly the lines it touched.
import type { Node as PMNode, Schema } from 'prosemirror-model'
import * as Y from 'yjs'
import { flattenDoc, inlineOf } from './flatten'
import type { PmLine } from './flatten'
import type { BlockData, Token } from './model'
import { blockEqual, inlineLength, jsonEqual, lineTokens } from './model'
import { readLines } from './read-y'
import type { YLine } from './read-y'
import { renderDoc, renderLeaf } from './render'
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

  constructor(
    readonly schema: Schema,
    readonly text: Y.XmlText,
    origin?: object,
  ) {
    this.origin = origin ?? this
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
   * Renders what Yjs holds now (to be applied to the view, then `adopt`ed). Blocks whose line is
   * unchanged keep their node, so a remote keystroke rebuilds one block, not the document.
   */
  readYjs(): { lines: YLine[]; doc: PMNode } {
    const lines = readLines(this.text)
    const previous = new Map<Y.Map<unknown> | null, MirrorLine>()
    for (const line of this.mirror) previous.set(line.y.boundary, line)
    const leafOf = (line: YLine): PMNode => {
      const known = previous.get(line.boundary)
      if (known !== undefined && sameYLine(known.y, line)) return known.node
      return renderLeaf(this.schema, line)
    }
    return { lines, doc: renderDoc(this.schema, lines, leafOf as (line: RenderLine) => PMNode) }
  }

  /** Records that `doc` (equal to the render of `lines`) is now what the view shows. */
  adopt(lines: readonly YLine[], doc: PMNode): void {
    const leaves = flattenDoc(doc)
    if (leaves.length !== lines.length) throw new BindingMismatchError(lines.length, leaves.length)
    this.mirror = leaves.map((leaf, index) => {
      const y = lines[index] as YLine
      return { y, node: leaf.node, block: leaf.block, pos: leaf.pos, stale: y.boundary !== null && !blockEqual(y.block, leaf.block) }
    })
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
