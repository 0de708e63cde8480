import type { Mark } from 'prosemirror-model'
import type { Command, EditorState } from 'prosemirror-state'
import { sanitizeHref } from './href'
import { schema } from './schema'

/** A span of text carrying one link mark. */
export interface LinkRange {
  from: number
  to: number
  mark: Mark
}

/**
 * The link around the cursor: the contiguous run of text in the cursor's textblock that carries
 * the same link mark as the text just after (or, failing that, just before) the cursor.
 */
export function linkRangeAt(state: EditorState, pos: number = state.selection.from): LinkRange | null {
  const $pos = state.doc.resolve(pos)
  const parent = $pos.parent
  const linkType = schema.marks.link
  const after = $pos.parentOffset < parent.content.size ? parent.childAfter($pos.parentOffset) : null
  const before = $pos.parentOffset > 0 ? parent.childBefore($pos.parentOffset) : null
  const hit = [after, before].find((c) => c?.node != null && linkType.isInSet(c.node.marks) !== undefined)
  if (hit === undefined || hit === null || hit.node === null) return null
  const mark = linkType.isInSet(hit.node.marks)
  if (mark === undefined) return null
  let startIndex = hit.index
  let endIndex = hit.index + 1
  while (startIndex > 0 && mark.isInSet(parent.child(startIndex - 1).marks)) startIndex--
  while (endIndex < parent.childCount && mark.isInSet(parent.child(endIndex).marks)) endIndex++
  const blockStart = $pos.start()
  let from = blockStart
  for (let i = 0; i < startIndex; i++) from += parent.child(i).nodeSize
  let to = from
  for (let i = startIndex; i < endIndex; i++) to += parent.child(i).nodeSize
  return { from, to, mark }
}

/** The href of the link at the selection start, or null. */
export function currentLinkHref(state: EditorState): string | null {
  const range = linkRangeAt(state)
  const href: unknown = range?.mark.attrs.href
  return typeof href === 'string' ? href : null
}

/**
 * Link the selection to `href`. With an empty selection inside a link, that link's href changes;
 * with an empty selection elsewhere, the href is inserted as linked text. Returns false (and
 * changes nothing) for an unsafe href (see `sanitizeHref`) or where links are not allowed
 * (code blocks).
 */
export function setLink(href: string, title: string | null = null): Command {
  return (state, dispatch) => {
    const safeHref = sanitizeHref(href)
    if (safeHref === null) return false
    const linkType = schema.marks.link
    const mark = linkType.create({ href: safeHref, title })
    const { selection } = state
    if (selection.empty) {
      const $cursor = selection.$from
      if (!$cursor.parent.type.allowsMarkType(linkType)) return false
      const existing = linkRangeAt(state)
      if (dispatch !== undefined) {
        const tr = state.tr
        if (existing !== null) {
          tr.removeMark(existing.from, existing.to, linkType).addMark(existing.from, existing.to, mark)
        } else {
          const marks = mark.addToSet($cursor.marks())
          tr.insert(selection.from, schema.text(safeHref, marks))
        }
        dispatch(tr.scrollIntoView())
      }
      return true
    }
    let applicable = false
    state.doc.nodesBetween(selection.from, selection.to, (node) => {
      if (applicable) return false
      if (node.inlineContent && node.type.allowsMarkType(linkType)) applicable = true
      return !applicable
    })
    if (!applicable) return false
    if (dispatch !== undefined) {
      const tr = state.tr
      for (const range of selection.ranges) {
        tr.removeMark(range.$from.pos, range.$to.pos, linkType).addMark(range.$from.pos, range.$to.pos, mark)
      }
      dispatch(tr.scrollIntoView())
    }
    return true
  }
}

/**
 * Remove links: over the selection, or the whole link around an empty cursor. False when there
 * is no link to remove.
 */
export const removeLink: Command = (state, dispatch) => {
  const linkType = schema.marks.link
  const { selection } = state
  let from = selection.from
  let to = selection.to
  if (selection.empty) {
    const range = linkRangeAt(state)
    if (range === null) return false
    from = range.from
    to = range.to
  } else if (!state.doc.rangeHasMark(from, to, linkType)) {
    return false
  }
  if (dispatch !== undefined) dispatch(state.tr.removeMark(from, to, linkType).scrollIntoView())
  return true
}
