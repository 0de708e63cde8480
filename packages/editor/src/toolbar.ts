import type { Command, EditorState, Transaction } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import {
  insertHorizontalRule,
  setCodeBlock,
  setHeading,
  setParagraph,
  toggleBlockquote,
  toggleBold,
  toggleBulletList,
  toggleCode,
  toggleItalic,
  toggleOrderedList,
  toggleStrike,
} from './commands'
import { sanitizeHref, UnsafeHrefError } from './href'
import { currentLinkHref, removeLink, setLink } from './link-commands'
import { schema } from './schema'
import type { HeadingLevel } from './schema'
import { isBlockActive, isInList, isMarkActive } from './state-queries'

/** Toolbar ids, matching `data-testid="toolbar-<id>"` in the UI contract (undo/redo are the web app's). */
export const toolbarItemIds = [
  'bold',
  'italic',
  'strike',
  'code',
  'link',
  'paragraph',
  'heading-1',
  'heading-2',
  'heading-3',
  'bullet-list',
  'ordered-list',
  'blockquote',
  'code-block',
  'horizontal-rule',
] as const

export type ToolbarItemId = (typeof toolbarItemIds)[number]

/** One toolbar button, described as data; the web app renders it. */
export interface ToolbarItem {
  id: ToolbarItemId
  /** Short visible text, e.g. "B" or "H1". */
  label: string
  /** Tooltip with the shortcut, e.g. "Bold (Ctrl+B)". */
  title: string
  /** Whether this item is a toggle (render `aria-pressed`) rather than a plain action. */
  toggle: boolean
  isActive(state: EditorState): boolean
  isEnabled(state: EditorState): boolean
  /** Runs the item; returns whether it did (or will, for an asynchronous link prompt) apply. */
  run(state: EditorState, dispatch?: (tr: Transaction) => void, view?: EditorView): boolean
}

/**
 * Asks the user for a link target. Gets the current link's href (or null); returns the new href,
 * `''` to remove the link, or null to cancel. May return a promise (a modal dialog); then `run`
 * needs the view and applies the result to the state current at that time.
 */
export type PromptHref = (currentHref: string | null) => string | null | Promise<string | null>

export interface ToolbarOptions {
  promptHref?: PromptHref
  /** Told when the user entered a refused href (javascript:, data:…); nothing changes. */
  onRefusedHref?: (error: UnsafeHrefError) => void
  /** Shows ⌘/⌥ instead of Ctrl/Alt in titles. Defaults to detecting from `navigator`. */
  mac?: boolean
}

function detectMac(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iP(hone|[oa]d)/.test(navigator.platform)
}

function shortcutText(keys: string, mac: boolean): string {
  return keys
    .split('-')
    .map((part) => {
      if (part === 'Mod') return mac ? '⌘' : 'Ctrl'
      if (part === 'Alt') return mac ? '⌥' : 'Alt'
      if (part === 'Shift') return mac ? '⇧' : 'Shift'
      return part.length === 1 ? part.toUpperCase() : part
    })
    .join(mac ? '' : '+')
}

/**
 * Link `href` over the selection (see `setLink`); `''` removes the link. Throws
 * `UnsafeHrefError` for a refused href so the UI can tell the user why; returns false where a
 * link is not possible (e.g. in a code block).
 */
export function applyLink(state: EditorState, dispatch: ((tr: Transaction) => void) | undefined, href: string): boolean {
  if (href.trim() === '') return removeLink(state, dispatch)
  if (sanitizeHref(href) === null) throw new UnsafeHrefError(href)
  return setLink(href)(state, dispatch)
}

/** A command that never dispatches reports whether it can apply to this state. */
function can(command: Command, state: EditorState): boolean {
  return command(state, undefined)
}

function markItem(id: ToolbarItemId, label: string, name: string, keys: string, command: Command, mac: boolean, markActive: (s: EditorState) => boolean): ToolbarItem {
  return {
    id,
    label,
    title: `${name} (${shortcutText(keys, mac)})`,
    toggle: true,
    isActive: markActive,
    isEnabled: (state) => can(command, state),
    run: (state, dispatch) => command(state, dispatch),
  }
}

// Setting a block type the selection already has is a no-op that reports success, so a button
// for the current type stays enabled (clicking it does nothing) instead of turning disabled.
function blockTypeItem(id: ToolbarItemId, label: string, title: string, command: Command, active: (s: EditorState) => boolean): ToolbarItem {
  return {
    id,
    label,
    title,
    toggle: true,
    isActive: active,
    isEnabled: (state) => active(state) || can(command, state),
    run: (state, dispatch) => active(state) || command(state, dispatch),
  }
}

function linkItem(options: ToolbarOptions): ToolbarItem {
  const { promptHref, onRefusedHref } = options
  const isEnabled = (state: EditorState): boolean =>
    can(removeLink, state) || (promptHref !== undefined && can(setLink('https://example.invalid'), state))
  const apply = (state: EditorState, dispatch: (tr: Transaction) => void, href: string): boolean => {
    try {
      return applyLink(state, dispatch, href)
    } catch (error) {
      if (!(error instanceof UnsafeHrefError)) throw error
      onRefusedHref?.(error)
      return false
    }
  }
  return {
    id: 'link',
    label: 'Link',
    title: 'Link',
    toggle: true,
    isActive: (state) => isMarkActive(state, schema.marks.link),
    isEnabled,
    run: (state, dispatch, view) => {
      if (!isEnabled(state)) return false
      if (promptHref === undefined) return removeLink(state, dispatch)
      if (dispatch === undefined) return true
      const answer = promptHref(currentLinkHref(state))
      if (answer === null) return false
      if (typeof answer === 'string') return apply(state, dispatch, answer)
      if (view === undefined) return false
      void answer.then(
        (href) => {
          if (href !== null && !view.isDestroyed) apply(view.state, view.dispatch, href)
        },
        () => undefined,
      )
      return true
    },
  }
}

/**
 * The toolbar, in display order. Marks and lists/blockquote toggle; paragraph, headings and
 * code block set the block type; horizontal rule inserts. Without `promptHref`, the link button
 * only removes links.
 */
export function buildToolbarItems(options: ToolbarOptions = {}): ToolbarItem[] {
  const mac = options.mac ?? detectMac()
  const { marks, nodes } = schema
  const heading = (level: HeadingLevel): ToolbarItem =>
    blockTypeItem(
      `heading-${level}`,
      `H${level}`,
      `Heading ${level} (${shortcutText(`Mod-Alt-${level}`, mac)})`,
      setHeading(level),
      (state) => isBlockActive(state, nodes.heading, { level }),
    )
  return [
    markItem('bold', 'B', 'Bold', 'Mod-b', toggleBold, mac, (s) => isMarkActive(s, marks.strong)),
    markItem('italic', 'I', 'Italic', 'Mod-i', toggleItalic, mac, (s) => isMarkActive(s, marks.em)),
    markItem('strike', 'S', 'Strikethrough', 'Mod-Shift-s', toggleStrike, mac, (s) => isMarkActive(s, marks.strike)),
    markItem('code', '</>', 'Inline code', 'Mod-e', toggleCode, mac, (s) => isMarkActive(s, marks.code)),
    linkItem(options),
    blockTypeItem('paragraph', '¶', `Paragraph (${shortcutText('Mod-Alt-0', mac)})`, setParagraph, (s) =>
      isBlockActive(s, nodes.paragraph),
    ),
    heading(1),
    heading(2),
    heading(3),
    {
      id: 'bullet-list',
      label: '•',
      title: 'Bullet list (type "- ")',
      toggle: true,
      isActive: (s) => isInList(s, nodes.bullet_list),
      isEnabled: (s) => can(toggleBulletList, s),
      run: (s, d) => toggleBulletList(s, d),
    },
    {
      id: 'ordered-list',
      label: '1.',
      title: 'Numbered list (type "1. ")',
      toggle: true,
      isActive: (s) => isInList(s, nodes.ordered_list),
      isEnabled: (s) => can(toggleOrderedList, s),
      run: (s, d) => toggleOrderedList(s, d),
    },
    {
      id: 'blockquote',
      label: '❝',
      title: 'Quote (type "> ")',
      toggle: true,
      isActive: (s) => isBlockActive(s, nodes.blockquote),
      isEnabled: (s) => can(toggleBlockquote, s),
      run: (s, d) => toggleBlockquote(s, d),
    },
    blockTypeItem('code-block', '{ }', 'Code block (type ```)', setCodeBlock, (s) => isBlockActive(s, nodes.code_block)),
    {
      id: 'horizontal-rule',
      label: '―',
      title: 'Divider (type ---)',
      toggle: false,
      isActive: () => false,
      isEnabled: (s) => can(insertHorizontalRule, s),
      run: (s, d) => insertHorizontalRule(s, d),
    },
  ]
}
