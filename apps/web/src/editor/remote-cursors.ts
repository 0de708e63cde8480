import type { DecorationAttrs } from 'prosemirror-view'

/** A translucent tint of the user's colour over their selection. */
export function remoteSelectionAttrs(user: { color: string }): DecorationAttrs {
  return { class: 'ProseMirror-yjs-selection', style: `background-color: ${user.color}33` }
}
