import type { ToolbarItem } from '@collab/editor'
import type { EditorState } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { Fragment, memo, useMemo, useSyncExternalStore } from 'react'
import { redo as redoCommand, undo as undoCommand } from '@collab/yjs-binding'
import type { StateStore } from './state-store'
import { createThrottledStore, UI_REFRESH_INTERVAL_MS } from './throttled-store'
import { toolbarIcon } from './toolbar-icons'

/** What a button needs, whether it comes from the editor package or is undo/redo. */
interface ToolbarAction {
  id: string
  label: string
  title: string
  toggle: boolean
  isActive(state: EditorState): boolean
  isEnabled(state: EditorState): boolean
  run(state: EditorState, dispatch: EditorView['dispatch'], view: EditorView): boolean
}

const mod = typeof navigator !== 'undefined' && /Mac|iP(hone|[oa]d)/.test(navigator.platform) ? '⌘' : 'Ctrl+'

const HISTORY_ACTIONS: readonly ToolbarAction[] = [
  {
    id: 'undo',
    label: 'Undo',
    title: `Undo your last change (${mod}Z)`,
    toggle: false,
    isActive: () => false,
    isEnabled: (state) => undoCommand(state) === true,
    run: (state, dispatch) => undoCommand(state, dispatch),
  },
  {
    id: 'redo',
    label: 'Redo',
    title: `Redo (${mod}${mod === '⌘' ? '⇧Z' : 'Shift+Z'})`,
    toggle: false,
    isActive: () => false,
    isEnabled: (state) => redoCommand(state) === true,
    run: (state, dispatch) => redoCommand(state, dispatch),
  },
]

// Buttons are grouped by what they change; a group boundary draws a divider.
const GROUP_OF: Record<string, number> = {
  undo: 0,
  redo: 0,
  paragraph: 1,
  'heading-1': 1,
  'heading-2': 1,
  'heading-3': 1,
  bold: 2,
  italic: 2,
  strike: 2,
  code: 2,
  link: 2,
  'bullet-list': 3,
  'ordered-list': 3,
  blockquote: 3,
  'code-block': 3,
  'horizontal-rule': 3,
}

export interface ToolbarProps {
  view: EditorView
  /** The editor state to reflect (a new one with every transaction); null while there is no view. */
  state: StateStore<EditorState | null>
  items: readonly ToolbarItem[]
}

/** Whether each button (in toolbar order) is active and enabled. */
type ButtonStates = readonly { active: boolean; enabled: boolean }[]

function sameButtonStates(a: ButtonStates | null, b: ButtonStates | null): boolean {
  if (a === null || b === null) return a === b
  return a.length === b.length && a.every((button, index) => button.active === b[index]?.active && button.enabled === b[index]?.enabled)
}

/**
 * Formatting toolbar; active states follow the selection. It subscribes to the editor state
 * itself, not the whole editor page, and through a throttled store: the command checks behind
 * the buttons take time proportional to the document, and every React commit while the editor
 * has focus walks the editor's DOM (see throttled-store.ts). So the buttons are derived at most
 * once per UI_REFRESH_INTERVAL_MS while someone types, and the toolbar re-renders only when a
 * button changes.
 */
export const Toolbar = memo(function Toolbar({ view, state: store, items }: ToolbarProps) {
  const actions = useMemo(
    () => [...HISTORY_ACTIONS, ...items].sort((a, b) => (GROUP_OF[a.id] ?? 9) - (GROUP_OF[b.id] ?? 9)),
    [items],
  )
  const buttonStore = useMemo(
    () =>
      createThrottledStore(
        store,
        (state): ButtonStates | null =>
          state === null ? null : actions.map((action) => ({ active: action.isActive(state), enabled: action.isEnabled(state) })),
        { intervalMs: UI_REFRESH_INTERVAL_MS, equals: sameButtonStates },
      ),
    [store, actions],
  )
  const buttons = useSyncExternalStore(buttonStore.subscribe, buttonStore.get)
  if (buttons === null) return null
  return (
    <div className="toolbar" role="toolbar" aria-label="Formatting">
      {actions.map((action, index) => {
        const previous = actions[index - 1]
        const newGroup = previous !== undefined && GROUP_OF[previous.id] !== GROUP_OF[action.id]
        return (
          <Fragment key={action.id}>
            {newGroup && <span className="toolbar-divider" aria-hidden="true" />}
            <ToolbarButton action={action} view={view} active={buttons[index]?.active ?? false} enabled={buttons[index]?.enabled ?? false} />
          </Fragment>
        )
      })}
    </div>
  )
})

interface ToolbarButtonProps {
  action: ToolbarAction
  view: EditorView
  active: boolean
  enabled: boolean
}

// Memoised on what it shows: while typing, active and enabled rarely change.
const ToolbarButton = memo(function ToolbarButton({ action, view, active, enabled }: ToolbarButtonProps) {
  const icon = toolbarIcon(action.id)
  return (
    <button
      type="button"
      className={`tool tool-${action.id}`}
      data-testid={`toolbar-${action.id}`}
      aria-pressed={action.toggle ? active : undefined}
      aria-label={action.title}
      title={action.title}
      disabled={!enabled}
      // Keep the editor's focus and selection while clicking.
      onMouseDown={(event) => event.preventDefault()}
      onClick={() => {
        if (view.isDestroyed) return
        action.run(view.state, view.dispatch, view)
        // The link button opens a popover that takes focus itself.
        if (action.id !== 'link') view.focus()
      }}
    >
      {icon ?? <span className="tool-label">{action.label}</span>}
    </button>
  )
})
