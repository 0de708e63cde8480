// The line model shared by both directions of the binding.
//
// In Yjs the whole document is one flat Y.XmlText: inline content (text with marks as
// formatting attributes, inline atoms as embedded objects) and, after each block's content, a
// *boundary*: an embedded Y.Map holding that block's type, attributes and container path. A
// block is therefore a "line": its inline content plus the boundary that ends it.
//
// Splitting a block inserts one boundary, joining two deletes one, changing a block's type or
// wrapping it in a list sets keys on its boundary. No edit ever copies text from one place to
// another, so concurrent edits can never lose or duplicate what someone typed.

/** A mark as stored: its type name and attributes (empty when the mark type has none). */
export interface MarkData {
  readonly type: string
  readonly attrs: Readonly<Record<string, unknown>>
}

/** Marks in one canonical order (by type name), so lists read from ProseMirror and from Yjs compare equal. */
export function byMarkType(a: MarkData, b: MarkData): number {
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0
}

/** A run of text with one set of marks. */
export interface TextRun {
  readonly kind: 'text'
  readonly text: string
  readonly marks: readonly MarkData[]
}

/** An inline leaf node (e.g. a hard break): one position in both ProseMirror and Yjs. */
export interface InlineAtom {
  readonly kind: 'atom'
  readonly type: string
  readonly attrs: Readonly<Record<string, unknown>>
  readonly marks: readonly MarkData[]
}

export type Inline = TextRun | InlineAtom

/** One container a block sits in (list, list item, blockquote), outermost first. */
export interface ContainerData {
  readonly type: string
  readonly attrs: Readonly<Record<string, unknown>>
  /** True on the first block of this container: the block opens a new instance of it. */
  readonly start: boolean
}

/** What a boundary says about the block it ends. */
export interface BlockData {
  readonly type: string
  readonly attrs: Readonly<Record<string, unknown>>
  readonly path: readonly ContainerData[]
}

/** Keys of a boundary Y.Map. */
export const BOUNDARY_KEYS = { type: 'type', attrs: 'attrs', path: 'path' } as const

/** Length of inline content in positions (the same in ProseMirror and in Yjs). */
export function inlineLength(inline: readonly Inline[]): number {
  let length = 0
  for (const part of inline) length += part.kind === 'text' ? part.text.length : 1
  return length
}

/** Structural equality of JSON-like values (attributes come from peers: anything JSON). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const other = b as unknown[]
    return a.length === other.length && a.every((value, index) => jsonEqual(value, other[index]))
  }
  const aKeys = Object.keys(a)
  const bRecord = b as Record<string, unknown>
  if (aKeys.length !== Object.keys(bRecord).length) return false
  return aKeys.every((key) => Object.hasOwn(bRecord, key) && jsonEqual((a as Record<string, unknown>)[key], bRecord[key]))
}

export function blockEqual(a: BlockData | null, b: BlockData | null): boolean {
  if (a === null || b === null) return a === b
  return a.type === b.type && jsonEqual(a.attrs, b.attrs) && jsonEqual(a.path, b.path)
}

export function marksEqual(a: readonly MarkData[], b: readonly MarkData[]): boolean {
  return jsonEqual(a, b)
}

/**
 * One position of a line, for diffing: a character, an inline atom, or the line's boundary.
 * `same` compares what the position *is* (the character, the atom's type, "a boundary");
 * formatting (marks, block data) is compared separately so it can be updated in place.
 */
export type Token =
  | { readonly kind: 'char'; readonly char: string; readonly marks: readonly MarkData[] }
  | { readonly kind: 'atom'; readonly type: string; readonly attrs: Readonly<Record<string, unknown>>; readonly marks: readonly MarkData[] }
  | { readonly kind: 'boundary'; readonly block: BlockData }

export function sameToken(a: Token, b: Token): boolean {
  if (a.kind !== b.kind) return false
  if (a.kind === 'char') return a.char === (b as typeof a).char
  if (a.kind === 'atom') return a.type === (b as typeof a).type && jsonEqual(a.attrs, (b as typeof a).attrs)
  return true
}

/** Expands a line into tokens; `block` null means the line has no boundary in Yjs (yet). */
export function lineTokens(inline: readonly Inline[], block: BlockData | null, into: Token[]): void {
  for (const part of inline) {
    if (part.kind === 'atom') {
      into.push({ kind: 'atom', type: part.type, attrs: part.attrs, marks: part.marks })
      continue
    }
    for (const char of part.text.split('')) into.push({ kind: 'char', char, marks: part.marks })
  }
  if (block !== null) into.push({ kind: 'boundary', block })
}
