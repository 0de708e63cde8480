import { setBlockType, toggleMark } from 'prosemirror-commands'
import { NodeRange } from 'prosemirror-model'
import type { NodeType } from 'prosemirror-model'
import { liftListItem, wrapInList } from 'prosemirror-schema-list'
import { NodeSelection, Selection, TextSelection } from 'prosemirror-state'
import type { Command, EditorState } from 'prosemirror-state'
import { findWrapping, liftTarget } from 'prosemirror-transform'
import { schema, toHeadingLevel } from './schema'
import type { HeadingLevel } from './schema'
import { innermostListRange } from './state-queries'

export { removeLink, setLink } from './link-commands'
export { isBlockActive, isInList, isMarkActive } from './state-queries'

/** Toggle bold over the selection (or the stored marks at the cursor). */
export const toggleBold: Command = toggleMark(schema.marks.strong)
/** Toggle italic. */
export const toggleItalic: Command = toggleMark(schema.marks.em)
/** Toggle strikethrough. */
export const toggleStrike: Command = toggleMark(schema.marks.strike)
/** Toggle inline code. */
export const toggleCode: Command = toggleMark(schema.marks.code)

/**
 * Moves the caret to the start or end of the document (`extend`: the selection's head goes there
 * and its anchor stays), scrolled into view. Bound to Mod-Home/Mod-End: the browser's own move
 * follows layout, which it skips for off-screen blocks of a long document (content-visibility),
 * and there it stopped at the start of the last block instead of the end of the text.
 */
export function moveToDocumentEdge(edge: 'start' | 'end', extend = false): Command {
  return (state, dispatch) => {
    const target = edge === 'start' ? Selection.atStart(state.doc) : Selection.atEnd(state.doc)
    const selection = extend ? TextSelection.between(state.doc.resolve(state.selection.anchor), target.$head) : target
    dispatch?.(state.tr.setSelection(selection).scrollIntoView())
    return true
  }
}

/** Turn the selected textblocks into paragraphs. */
export const setParagraph: Command = setBlockType(schema.nodes.paragraph)

/** Turn the selected textblocks into headings of `level` (1–3; other numbers are clamped). */
export function setHeading(level: HeadingLevel): Command {
  return setBlockType(schema.nodes.heading, { level: toHeadingLevel(level) })
}

/** Turn the selected textblocks into a code block (marks are dropped, hard breaks become newlines). */
export const setCodeBlock: Command = setBlockType(schema.nodes.code_block)

function listAttrs(listType: NodeType): Record<string, unknown> | null {
  return listType === schema.nodes.ordered_list ? { order: 1 } : null
}

/**
 * Toggle a list of `listType`: lift the selected items out when the innermost list around the
 * selection already is one; convert that list when it is the other list type; wrap otherwise.
 */
export function toggleList(listType: NodeType): Command {
  return (state, dispatch) => {
    const range = innermostListRange(state)
    if (range !== null) {
      if (range.parent.type === listType) return liftListItem(schema.nodes.list_item)(state, dispatch)
      if (dispatch !== undefined) {
        const listPos = range.$from.before(range.depth)
        dispatch(state.tr.setNodeMarkup(listPos, listType, listAttrs(listType)).scrollIntoView())
      }
      return true
    }
    return wrapInList(listType, listAttrs(listType))(state, dispatch)
  }
}

/** Toggle a bullet list (see `toggleList`). */
export const toggleBulletList: Command = toggleList(schema.nodes.bullet_list)
/** Toggle an ordered list (see `toggleList`). */
export const toggleOrderedList: Command = toggleList(schema.nodes.ordered_list)

/** Lift the selected blocks out of the innermost blockquote around them, or wrap them in one. */
export const toggleBlockquote: Command = (state, dispatch) => {
  const { $from, $to } = state.selection
  const range = $from.blockRange($to, (node) => node.type === schema.nodes.blockquote)
  if (range !== null) {
    const target = liftTarget(range)
    if (target === null) return false
    if (dispatch !== undefined) dispatch(state.tr.lift(range, target).scrollIntoView())
    return true
  }
  // Items of a list cannot be quoted one by one (a list holds only items): widen the range until
  // a wrapping fits, so a selection over several items quotes the whole list.
  let wrapRange = $from.blockRange($to)
  while (wrapRange !== null) {
    const wrapping = findWrapping(wrapRange, schema.nodes.blockquote)
    if (wrapping !== null) {
      if (dispatch !== undefined) dispatch(state.tr.wrap(wrapRange, wrapping).scrollIntoView())
      return true
    }
    wrapRange = wrapRange.depth > 0 ? new NodeRange($from, $to, wrapRange.depth - 1) : null
  }
  return false
}

function canInsert(state: EditorState, nodeType: NodeType): boolean {
  const { $from } = state.selection
  for (let depth = $from.depth; depth >= 0; depth--) {
    const index = $from.index(depth)
    if ($from.node(depth).canReplaceWith(index, index, nodeType)) return true
  }
  return false
}

/** Insert a horizontal rule in place of the selection. */
export const insertHorizontalRule: Command = (state, dispatch) => {
  const hr = schema.nodes.horizontal_rule
  if (!canInsert(state, hr)) return false
  if (dispatch === undefined) return true
  const tr = state.tr.replaceSelectionWith(hr.create())
  // When nothing follows the rule, the rule itself ends up selected and there is nowhere to type
  // below it: add an empty paragraph and put the cursor there.
  const { selection } = tr
  if (selection instanceof NodeSelection && selection.node.type === hr) {
    const paragraph = schema.nodes.paragraph
    const $after = tr.doc.resolve(selection.to)
    if ($after.parent.canReplaceWith($after.index(), $after.index(), paragraph)) {
      tr.insert(selection.to, paragraph.create())
      tr.setSelection(TextSelection.create(tr.doc, selection.to + 1))
    }
  }
  dispatch(tr.scrollIntoView())
  return true
}

/** Insert a hard break (line break inside the block) in place of the selection. */
export const insertHardBreak: Command = (state, dispatch) => {
  const br = schema.nodes.hard_break
  const { $from } = state.selection
  if (!$from.parent.inlineContent || !$from.parent.canReplaceWith($from.index(), $from.index(), br)) return false
  if (dispatch !== undefined) dispatch(state.tr.replaceSelectionWith(br.create()).scrollIntoView())
  return true
}
