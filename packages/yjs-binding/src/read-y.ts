// Yjs → lines: reads the content text as it really is (whatever peers wrote into it).
import * as Y from 'yjs'
import type { BlockData, ContainerData, Inline, MarkData } from './model'
import { BOUNDARY_KEYS, byMarkType, inlineLength } from './model'

/** A line as stored in Yjs. `boundary` is null for trailing content that no boundary ends. */
export interface YLine {
  readonly inline: readonly Inline[]
  readonly block: BlockData | null
  readonly boundary: Y.Map<unknown> | null
  /** Positions the line takes in the text: its inline content plus its boundary. */
  readonly length: number
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Formatting attributes → marks: `true` is a mark without attributes, an object its attributes. */
function marksFrom(attributes: unknown): MarkData[] {
  if (!isRecord(attributes)) return []
  const marks: MarkData[] = []
  for (const [type, value] of Object.entries(attributes)) {
    if (value === true) marks.push({ type, attrs: {} })
    else if (isRecord(value)) marks.push({ type, attrs: value })
  }
  return marks.sort(byMarkType)
}

function containerFrom(value: unknown): ContainerData | null {
  if (!isRecord(value) || typeof value.type !== 'string') return null
  return { type: value.type, attrs: isRecord(value.attrs) ? value.attrs : {}, start: value.start === true }
}

/** What a boundary map says; malformed values (from a broken peer) read as empty. */
export function blockFrom(map: Y.Map<unknown>): BlockData {
  const type = map.get(BOUNDARY_KEYS.type)
  const attrs = map.get(BOUNDARY_KEYS.attrs)
  const path = map.get(BOUNDARY_KEYS.path)
  return {
    type: typeof type === 'string' ? type : '',
    attrs: isRecord(attrs) ? attrs : {},
    path: Array.isArray(path) ? path.map(containerFrom).filter((entry): entry is ContainerData => entry !== null) : [],
  }
}

/** One operation of `Y.XmlText.toDelta()`. */
export interface DeltaOp {
  insert?: unknown
  attributes?: unknown
}

/** All lines of the content text, in order; always at least one. */
export function readLines(text: Y.XmlText): YLine[] {
  return linesIn(text.toDelta() as DeltaOp[], 0, Infinity) as YLine[]
}

/** The formatting attributes in force, as `toDelta` attaches them to an op (none: no key). */
function withAttributes(op: DeltaOp, attributes: ReadonlyMap<string, unknown>): DeltaOp {
  if (attributes.size > 0) op.attributes = Object.fromEntries(attributes)
  return op
}

/**
 * What `text.toDelta()` holds between Yjs offsets `from` and `to` (`to` may be Infinity), its first
 * op starting at `from`, read without building the rest: a remote keystroke in a long document
 * costs the lines around it, not a delta of the whole text. It walks the text's items as `toDelta`
 * does (Yjs 13's public item fields), with the same ops: runs of text merged until a format
 * change or an embed. Null when an item spans `from` or `to`, or when `from` (past 0) does not
 * follow a boundary: the caller's idea of where the lines are is wrong.
 */
export function deltaBetween(text: Y.XmlText, from: number, to: number): DeltaOp[] | null {
  const ops: DeltaOp[] = []
  const attributes = new Map<string, unknown>()
  let run = ''
  const endRun = (): void => {
    if (run.length === 0) return
    ops.push(withAttributes({ insert: run }, attributes))
    run = ''
  }
  let offset = 0
  let afterBoundary = true
  for (let item = text._start; item !== null; item = item.right) {
    if (item.deleted) continue
    const content = item.content
    if (content instanceof Y.ContentFormat) {
      if (offset >= from) endRun()
      if (content.value === null) attributes.delete(content.key)
      else attributes.set(content.key, content.value)
      continue
    }
    let insert: unknown
    if (content instanceof Y.ContentString) insert = content.str
    else if (content instanceof Y.ContentType) insert = content.type
    else if (content instanceof Y.ContentEmbed) insert = content.embed
    // toDelta shows nothing else (nor do its offsets count it).
    else continue
    const at = offset
    offset += typeof insert === 'string' ? insert.length : 1
    if (offset <= from) {
      afterBoundary = insert instanceof Y.Map
      continue
    }
    if (at >= to) break
    if (at < from || offset > to || (at === from && !afterBoundary)) return null
    if (typeof insert === 'string') {
      run += insert
    } else {
      endRun()
      ops.push(withAttributes({ insert }, attributes))
    }
  }
  endRun()
  return ops
}

/**
 * The lines between Yjs offsets `from` and `to` of a text whose delta, from offset `opsStart` on,
 * is `ops`. Both offsets must fall between lines (at 0, right after a boundary, or at the end).
 * The whole text (from 0 to Infinity) always has at least one line; a part of it may have none.
 * Null when an offset falls inside a run of text (the caller's idea of where the lines are is
 * wrong).
 */
export function linesIn(ops: readonly DeltaOp[], from: number, to: number, opsStart = 0): YLine[] | null {
  const lines: YLine[] = []
  let inline: Inline[] = []
  const endLine = (boundary: Y.Map<unknown> | null): void => {
    const block = boundary === null ? null : blockFrom(boundary)
    lines.push({ inline, block, boundary, length: inlineLength(inline) + (boundary === null ? 0 : 1) })
    inline = []
  }
  let offset = opsStart
  for (const op of ops) {
    const insert = op.insert
    const length = typeof insert === 'string' ? insert.length : 1
    const at = offset
    offset += length
    if (offset <= from) continue
    if (at >= to) break
    if (at < from || offset > to) return null
    if (typeof insert === 'string') {
      inline.push({ kind: 'text', text: insert, marks: marksFrom(op.attributes) })
    } else if (insert instanceof Y.Map) {
      endLine(insert as Y.Map<unknown>)
    } else if (isRecord(insert) && !(insert instanceof Y.AbstractType)) {
      const type = typeof insert.type === 'string' ? insert.type : ''
      inline.push({ kind: 'atom', type, attrs: isRecord(insert.attrs) ? insert.attrs : {}, marks: marksFrom(op.attributes) })
    } else {
      // Another Yjs type or a primitive embedded by some other writer: one unknown position.
      inline.push({ kind: 'atom', type: '', attrs: {}, marks: [] })
    }
  }
  if (inline.length > 0 || (lines.length === 0 && from === 0 && to === Infinity)) endLine(null)
  return lines
}
