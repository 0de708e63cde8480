import type { Mark, Node } from 'prosemirror-model'
import { EditorState, NodeSelection, TextSelection } from 'prosemirror-state'
import type { Command, Plugin } from 'prosemirror-state'
import { schema } from '../src/schema'

type Child = Node | string

const { nodes, marks } = schema
const kids = (children: Child[]): Node[] => children.map((c) => (typeof c === 'string' ? schema.text(c) : c))

export const doc = (...c: Node[]): Node => nodes.doc.create(null, c)
export const p = (...c: Child[]): Node => nodes.paragraph.create(null, kids(c))
export const h = (level: number, ...c: Child[]): Node => nodes.heading.create({ level }, kids(c))
export const ul = (...items: Node[]): Node => nodes.bullet_list.create(null, items)
export const ol = (...items: Node[]): Node => nodes.ordered_list.create(null, items)
export const li = (...c: Node[]): Node => nodes.list_item.create(null, c)
export const bq = (...c: Node[]): Node => nodes.blockquote.create(null, c)
export const pre = (text: string): Node => nodes.code_block.create(null, text === '' ? [] : [schema.text(text)])
export const hr = (): Node => nodes.horizontal_rule.create()
export const br = (): Node => nodes.hard_break.create()
export const txt = (text: string, ...m: Mark[]): Node => schema.text(text, m)
export const strong = marks.strong.create()
export const em = marks.em.create()
export const code = marks.code.create()
export const strike = marks.strike.create()
export const link = (href: string): Mark => marks.link.create({ href })

/** Document position where the first occurrence of `text` starts (+ offset). Throws if absent. */
export function posOf(d: Node, text: string, offset = 0): number {
  let found = -1
  d.descendants((node, pos) => {
    if (found >= 0) return false
    if (!node.isTextblock) return true
    // Map each character of textContent to its document position (hard breaks have no text).
    const charPos: number[] = []
    node.forEach((child, childOffset) => {
      for (let i = 0; i < (child.text?.length ?? 0); i++) charPos.push(pos + 1 + childOffset + i)
    })
    const index = node.textContent.indexOf(text)
    if (index >= 0) found = (charPos[index] ?? pos + 1 + node.content.size) + offset
    return false
  })
  if (found < 0) throw new Error(`Text ${JSON.stringify(text)} not in document`)
  return found
}

/** State with a cursor at the start of `text` + offset (or at the doc start). */
export function cursorState(d: Node, text?: string, offset = 0, plugins: Plugin[] = []): EditorState {
  const state = EditorState.create({ doc: d, plugins })
  const pos = text === undefined ? 1 : posOf(d, text, offset)
  return state.apply(state.tr.setSelection(TextSelection.create(d, pos)))
}

/** State selecting exactly `text` (or from the start of `text` to the end of `toText`). */
export function selectState(d: Node, text: string, toText?: string): EditorState {
  const state = EditorState.create({ doc: d })
  const from = posOf(d, text)
  const to = toText === undefined ? from + text.length : posOf(d, toText) + toText.length
  return state.apply(state.tr.setSelection(TextSelection.create(d, from, to)))
}

export function nodeSelectState(d: Node, pos: number): EditorState {
  const state = EditorState.create({ doc: d })
  return state.apply(state.tr.setSelection(NodeSelection.create(d, pos)))
}

/** Run a command; returns the new state, or null when the command declined. */
export function run(state: EditorState, command: Command): EditorState | null {
  let next: EditorState | null = null
  const ok = command(state, (tr) => {
    next = state.apply(tr)
  })
  if (!ok) return null
  return next ?? state
}

/** Like `run`, but fails the test when the command declines. */
export function apply(state: EditorState, command: Command): EditorState {
  const next = run(state, command)
  if (next === null) throw new Error('command declined')
  return next
}
