import type { DecorationAttrs } from 'prosemirror-view'
import { isDrawableRemoteState } from './presence'

// y-prosemirror's default cursor DOM is kept (the UI contract relies on `.ProseMirror-yjs-cursor`
// with a child holding the name); only the selection tint is lighter, and states whose colour
// y-prosemirror cannot draw are skipped instead of producing a console warning.

/** Hide our own cursor, and remote states y-prosemirror could not draw. */
export function remoteCursorFilter(localClientId: number, clientId: number, state: unknown): boolean {
  return localClientId !== clientId && isDrawableRemoteState(state)
}

/** A translucent tint of the user's colour over their selection. */
export function remoteSelectionAttrs(user: { color: string }): DecorationAttrs {
  return { class: 'ProseMirror-yjs-selection', style: `background-color: ${user.color}33` }
}
