// Remote carets and selections from awareness, and this client's own selection published to it.
// The awareness field is `cursor: { anchor, head }` (Yjs relative positions as JSON), the shape
// y-prosemirror uses, and the caret DOM is y-prosemirror's default (`.ProseMirror-yjs-cursor`
// with a child showing the name), so stylesheets and tests written for it keep working.
import { Plugin, PluginKey } from 'prosemirror-state'
import type { EditorState } from 'prosemirror-state'
import { Decoration, DecorationSet } from 'prosemirror-view'
import type { DecorationAttrs, EditorView } from 'prosemirror-view'
import type { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { Binding } from './binding'

/** Awareness field holding the selection. */
export const CURSOR_FIELD = 'cursor'

export const cursorPluginKey = new PluginKey<DecorationSet>('collab-cursors')

/** Who a remote state belongs to, as the app reads it; null hides that state. */
export interface CursorUser {
  readonly name: string
  readonly color: string
}

export interface CursorPluginOptions {
  /** Reads (and validates) the user of a remote awareness state; null: draw nothing for it. */
  readUser(state: unknown): CursorUser | null
  /** The caret element; defaults to y-prosemirror's DOM. */
  cursorBuilder?(user: CursorUser, clientId: number): HTMLElement
  /** Attributes of the selection highlight. */
  selectionAttrs?(user: CursorUser, clientId: number): DecorationAttrs
  /**
   * After edits (anyone's), how long the document must stay unchanged before the cursors are
   * redrawn from awareness; default {@link CURSOR_SETTLE_MS}. Until then they are mapped through
   * the edits.
   */
  settleMs?: number
}

/**
 * Remote carets follow edits by mapping (exact for typing and deleting around them); a diff of
 * the document can map a caret next to a repeated character to the wrong side of it, so once the
 * document has been quiet this long they are drawn again from their Yjs positions. Redrawing
 * after every edit instead was a second view update per remote keystroke on every page that shows
 * a caret (~2–4 ms each on a 100k-character document), and the typist's awareness, which moves
 * their caret exactly, arrives within the relay's awareness interval anyway.
 */
export const CURSOR_SETTLE_MS = 300

export function defaultCursor(user: CursorUser): HTMLElement {
  const caret = document.createElement('span')
  caret.classList.add('ProseMirror-yjs-cursor')
  caret.setAttribute('style', `border-color: ${user.color}`)
  const label = document.createElement('div')
  label.setAttribute('style', `background-color: ${user.color}`)
  label.append(document.createTextNode(user.name))
  // Word joiners keep the caret from breaking the line it sits in.
  caret.append(document.createTextNode('\u2060'), label, document.createTextNode('\u2060'))
  return caret
}

function defaultSelectionAttrs(user: CursorUser): DecorationAttrs {
  return { class: 'ProseMirror-yjs-selection', style: `background-color: ${user.color}70` }
}

function readRelative(value: unknown): Y.RelativePosition | null {
  if (typeof value !== 'object' || value === null) return null
  try {
    return Y.createRelativePositionFromJSON(value)
  } catch {
    return null
  }
}

function buildDecorations(state: EditorState, binding: Binding, awareness: Awareness, options: CursorPluginOptions): DecorationSet {
  if (state.doc !== binding.syncedDoc) return DecorationSet.empty
  const decorations: Decoration[] = []
  const size = state.doc.content.size
  awareness.getStates().forEach((remote, clientId) => {
    if (clientId === awareness.clientID) return
    const cursor = (remote as Record<string, unknown>)[CURSOR_FIELD]
    if (typeof cursor !== 'object' || cursor === null) return
    const user = options.readUser(remote)
    if (user === null) return
    const anchorRel = readRelative((cursor as Record<string, unknown>).anchor)
    const headRel = readRelative((cursor as Record<string, unknown>).head)
    if (anchorRel === null || headRel === null) return
    const anchor = binding.resolve(anchorRel)
    const head = binding.resolve(headRel)
    if (anchor === null || head === null) return
    const clampedHead = Math.max(0, Math.min(head, size))
    const caret = options.cursorBuilder ?? defaultCursor
    decorations.push(
      Decoration.widget(clampedHead, () => caret(user, clientId), {
        key: `${clientId}:${user.name}:${user.color}`,
        side: 10,
      }),
    )
    const from = Math.max(0, Math.min(anchor, head, size))
    const to = Math.min(size, Math.max(anchor, head))
    if (from < to) {
      const attrs = (options.selectionAttrs ?? defaultSelectionAttrs)(user, clientId)
      decorations.push(Decoration.inline(from, to, attrs, { inclusiveEnd: true, inclusiveStart: false }))
    }
  })
  return DecorationSet.create(state.doc, decorations)
}

const REFRESH_META = 'collab-cursors-refresh'

/** Draws remote cursors and publishes this editor's selection while it has focus. */
export function cursorPlugin(binding: Binding, awareness: Awareness, options: CursorPluginOptions): Plugin<DecorationSet> {
  return new Plugin<DecorationSet>({
    key: cursorPluginKey,
    state: {
      init: (_config, state) => buildDecorations(state, binding, awareness, options),
      apply(tr, previous, _old, state) {
        if (tr.getMeta(REFRESH_META) === true) return buildDecorations(state, binding, awareness, options)
        return previous.map(tr.mapping, tr.doc)
      },
    },
    props: {
      decorations: (state) => cursorPluginKey.getState(state),
    },
    view(view: EditorView) {
      let timer: ReturnType<typeof setTimeout> | null = null
      let settleTimer: ReturnType<typeof setTimeout> | null = null
      const cancelSettle = (): void => {
        if (settleTimer !== null) clearTimeout(settleTimer)
        settleTimer = null
      }
      const refresh = (): void => {
        if (timer !== null) return
        timer = setTimeout(() => {
          timer = null
          // A redraw reads every position from Yjs: it settles what edits mapped so far.
          cancelSettle()
          if (!view.isDestroyed) view.dispatch(view.state.tr.setMeta(REFRESH_META, true).setMeta('addToHistory', false))
        }, 0)
      }
      const settleLater = (): void => {
        cancelSettle()
        settleTimer = setTimeout(() => {
          settleTimer = null
          refresh()
        }, options.settleMs ?? CURSOR_SETTLE_MS)
      }
      const publish = (): void => {
        const current = awareness.getLocalState()
        // Mid-render (a remote change is being shown) positions cannot be mapped yet; the
        // published relative positions stay valid meanwhile.
        if (current === null || view.state.doc !== binding.syncedDoc) return
        if (view.hasFocus()) {
          const { anchor, head } = view.state.selection
          const selection = binding.relativeSelection(anchor, head)
          const next = { anchor: Y.relativePositionToJSON(selection.anchor), head: Y.relativePositionToJSON(selection.head) }
          const previous = current[CURSOR_FIELD] as { anchor?: unknown; head?: unknown } | null | undefined
          if (previous?.anchor !== undefined && JSON.stringify(previous) === JSON.stringify(next)) return
          awareness.setLocalStateField(CURSOR_FIELD, next)
        } else if (current[CURSOR_FIELD] !== null && current[CURSOR_FIELD] !== undefined) {
          awareness.setLocalStateField(CURSOR_FIELD, null)
        }
      }
      // Whether a redraw could show anything: some remote state has a cursor, or one is drawn.
      // Without that, redrawing after each local keystroke is a whole extra transaction (and view
      // update) per keystroke that builds an empty set again.
      const mayDraw = (): boolean => {
        if (cursorPluginKey.getState(view.state) !== DecorationSet.empty) return true
        for (const [clientId, remote] of awareness.getStates()) {
          if (clientId === awareness.clientID) continue
          const cursor = (remote as Record<string, unknown>)[CURSOR_FIELD]
          if (typeof cursor === 'object' && cursor !== null) return true
        }
        return false
      }
      const onAwareness = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
        if ([...added, ...updated, ...removed].some((clientId) => clientId !== awareness.clientID)) refresh()
      }
      awareness.on('change', onAwareness)
      view.dom.addEventListener('focusin', publish)
      view.dom.addEventListener('focusout', publish)
      return {
        update(updated, previous) {
          // Edits moved the cursors by mapping; redraw from Yjs once the document is quiet.
          if (updated.state.doc !== previous.doc && mayDraw()) settleLater()
          if (updated.state.doc !== previous.doc || !updated.state.selection.eq(previous.selection)) publish()
        },
        destroy() {
          if (timer !== null) clearTimeout(timer)
          cancelSettle()
          awareness.off('change', onAwareness)
          view.dom.removeEventListener('focusin', publish)
          view.dom.removeEventListener('focusout', publish)
        },
      }
    },
  })
}
