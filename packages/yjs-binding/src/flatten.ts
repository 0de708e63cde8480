// ProseMirror → lines: every leaf block (textblock or block atom) is one line, with the chain of
// containers above it.
import type { Mark, Node as PMNode } from 'prosemirror-model'
import type { BlockData, ContainerData, Inline, MarkData } from './model'
import { byMarkType } from './model'

/** A leaf block of a ProseMirror document and what its boundary must say. */
export interface PmLine {
  readonly node: PMNode
  /** Position before the node. */
  readonly pos: number
  readonly block: BlockData
}

const inlineCache = new WeakMap<PMNode, readonly Inline[]>()
const plainCache = new WeakMap<object, Readonly<Record<string, unknown>>>()

/**
 * ProseMirror's attribute objects have no prototype; Yjs only stores plain objects. Copies are
 * cached per attribute object (ProseMirror shares and never mutates them).
 */
export function plainAttrs(attrs: object): Readonly<Record<string, unknown>> {
  const cached = plainCache.get(attrs)
  if (cached !== undefined) return cached
  const plain = { ...attrs } as Record<string, unknown>
  plainCache.set(attrs, plain)
  return plain
}

/** Marks sorted by type name, so lists from ProseMirror and from Yjs compare equal. */
export function markData(marks: readonly Mark[]): MarkData[] {
  return marks
    .map((mark) => ({ type: mark.type.name, attrs: plainAttrs(mark.attrs) }))
    .sort(byMarkType)
}

/** The inline content of a leaf block (cached per node: nodes are immutable). */
export function inlineOf(node: PMNode): readonly Inline[] {
  const cached = inlineCache.get(node)
  if (cached !== undefined) return cached
  const inline: Inline[] = []
  if (node.isTextblock) {
    node.forEach((child) => {
      if (child.isText) inline.push({ kind: 'text', text: child.text ?? '', marks: markData(child.marks) })
      else inline.push({ kind: 'atom', type: child.type.name, attrs: plainAttrs(child.attrs), marks: markData(child.marks) })
    })
  }
  inlineCache.set(node, inline)
  return inline
}

/** The leaf blocks of `doc` in order, each with its container path. */
export function flattenDoc(doc: PMNode): PmLine[] {
  return flattenChildren(doc, 0, doc.childCount)
}

/** The leaf blocks of top-level children `from` to `to` (exclusive) of `doc`, as in `flattenDoc`. */
export function flattenChildren(doc: PMNode, from: number, to: number): PmLine[] {
  const lines: PmLine[] = []
  // One entry per open container; `started` flips once its first leaf has been emitted.
  const stack: { first: ContainerData; rest: ContainerData; started: boolean }[] = []
  const visit = (node: PMNode, pos: number): void => {
    if (node.isTextblock || node.isLeaf) {
      const path = stack.map((entry) => (entry.started ? entry.rest : entry.first))
      for (const entry of stack) entry.started = true
      lines.push({ node, pos, block: { type: node.type.name, attrs: plainAttrs(node.attrs), path } })
      return
    }
    stack.push({
      first: { type: node.type.name, attrs: plainAttrs(node.attrs), start: true },
      rest: { type: node.type.name, attrs: plainAttrs(node.attrs), start: false },
      started: false,
    })
    node.forEach((child, offset) => visit(child, pos + 1 + offset))
    stack.pop()
  }
  doc.forEach((child, offset, index) => {
    if (index >= from && index < to) visit(child, offset)
  })
  return lines
}
