import type { Attrs, MarkType, Node, NodeRange, NodeType } from 'prosemirror-model'
import { NodeSelection } from 'prosemirror-state'
import type { EditorState } from 'prosemirror-state'
import { schema } from './schema'

/** True when the mark is on the stored marks / cursor (empty selection) or anywhere in the selection. */
export function isMarkActive(state: EditorState, markType: MarkType): boolean {
  const { from, to, empty, $from } = state.selection
  if (empty) return markType.isInSet(state.storedMarks ?? $from.marks()) !== undefined
  return state.doc.rangeHasMark(from, to, markType)
}

function attrsMatch(node: Node, attrs: Attrs | undefined): boolean {
  if (attrs === undefined) return true
  return Object.keys(attrs).every((key) => node.attrs[key] === attrs[key])
}

/**
 * True when both ends of the selection sit inside a node of `nodeType` (with `attrs`, when
 * given), or the selected node is one. Use it for headings, paragraph, code block, blockquote.
 */
export function isBlockActive(state: EditorState, nodeType: NodeType, attrs?: Attrs): boolean {
  const { selection } = state
  if (selection instanceof NodeSelection) {
    return selection.node.type === nodeType && attrsMatch(selection.node, attrs)
  }
  const within = (pos: typeof selection.$from): boolean => {
    for (let depth = pos.depth; depth > 0; depth--) {
      const node = pos.node(depth)
      if (node.type === nodeType && attrsMatch(node, attrs)) return true
    }
    return false
  }
  return within(selection.$from) && within(selection.$to)
}

/** A node type is a list when it is bullet_list or ordered_list. */
export function isListType(nodeType: NodeType): boolean {
  return nodeType === schema.nodes.bullet_list || nodeType === schema.nodes.ordered_list
}

/** The innermost list that contains the whole selection, as a range over its items. */
export function innermostListRange(state: EditorState): NodeRange | null {
  const { $from, $to } = state.selection
  return $from.blockRange($to, (node) => isListType(node.type))
}

/** True when the innermost list around the selection is of `listType`. */
export function isInList(state: EditorState, listType: NodeType): boolean {
  const range = innermostListRange(state)
  return range !== null && range.parent.type === listType
}
