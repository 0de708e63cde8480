// @vitest-environment happy-dom
import { schema, setHeading, toggleBlockquote, toggleBold, toggleBulletList } from '@collab/editor'
import { joinBackward, splitBlock } from 'prosemirror-commands'
import { TextSelection } from 'prosemirror-state'
import type { Node as PMNode } from 'prosemirror-model'
import type { Command } from 'prosemirror-state'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { contentText, FRAGMENT_NAME, redo, undo } from '../src/index'
import type { Peer } from './peers'
import { deliver, destroyPeer, heal, makePeer } from './peers'

const live: Peer[] = []
function peers(count: number): Peer[] {
  const made = Array.from({ length: count }, (_, index) => makePeer(`p${index}`))
  live.push(...made)
  heal(made)
  return made
}
afterEach(() => {
  for (const peer of live.splice(0)) destroyPeer(peer)
})

/** Position of the character `offset` places after the start of `text`'s first occurrence. */
function posOf(peer: Peer, text: string, offset = 0): number {
  let found = -1
  peer.view.state.doc.descendants((node, pos) => {
    if (found >= 0 || !node.isText) return found < 0
    const at = (node.text ?? '').indexOf(text)
    if (at >= 0) found = pos + at + offset
    return false
  })
  if (found < 0) throw new Error(`"${text}" not in ${peer.view.state.doc.textContent}`)
  return found
}

function type(peer: Peer, text: string, pos?: number): void {
  const { view } = peer
  const at = pos ?? view.state.selection.from
  view.dispatch(view.state.tr.insertText(text, at))
}

function run(peer: Peer, command: Command, from: number, to = from): void {
  const { view } = peer
  view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, from, to)))
  command(view.state, view.dispatch)
}

function blocks(peer: Peer): string[] {
  const result: string[] = []
  peer.view.state.doc.descendants((node) => {
    if (!node.isTextblock) return true
    result.push(`${node.type.name}:${node.textContent}`)
    return false
  })
  return result
}

/** Every textblock with the containers it sits in: `blockquote>paragraph:text`. */
function outline(peer: Peer): string[] {
  const result: string[] = []
  const visit = (node: PMNode, path: string[]): void => {
    if (node.isTextblock) result.push(`${[...path, node.type.name].join('>')}:${node.textContent}`)
    else node.forEach((child) => visit(child, node.type.name === 'doc' ? path : [...path, node.type.name]))
  }
  visit(peer.view.state.doc, [])
  return result
}

function expectConverged(all: readonly Peer[]): void {
  heal(all)
  const first = all[0] as Peer
  for (const peer of all) {
    expect(peer.view.state.doc.toJSON()).toEqual(first.view.state.doc.toJSON())
    // What the view shows is exactly what Yjs holds.
    expect(peer.view.state.doc.eq(peer.binding.readYjs().doc)).toBe(true)
  }
}

describe('a long document', () => {
  // Every write and read below is checked against a binding built from scratch (`verify`):
  // the binding flattens only the top-level blocks a change touched and moves the rest.
  function longDocument(peer: Peer): void {
    const { view } = peer
    const paragraph = (text: string) => schema.node('paragraph', null, [schema.text(text)])
    const item = (text: string) => schema.node('list_item', null, [paragraph(text)])
    const children = []
    for (let index = 0; index < 8; index++) {
      children.push(paragraph(`para${index}`))
      children.push(schema.node('bullet_list', null, [item(`item${index}a`), item(`item${index}b`), item(`item${index}c`)]))
      children.push(schema.node('blockquote', null, [paragraph(`quote${index}a`), paragraph(`quote${index}b`)]))
    }
    view.dispatch(view.state.tr.replaceWith(0, view.state.doc.content.size, children))
  }

  it('writes edits anywhere (inside lists and quotes, across blocks) and others see the same', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    longDocument(a)
    deliver(a, [a, b])
    type(a, 'X', posOf(a, 'para0'))
    type(a, 'Y', posOf(a, 'item3b', 6))
    type(a, 'Z', posOf(a, 'quote7b', 7))
    run(a, splitBlock, posOf(a, 'item5a', 3))
    run(a, splitBlock, posOf(a, 'quote2a', 2))
    run(a, joinBackward, posOf(a, 'para4'))
    run(a, toggleBulletList, posOf(a, 'para6'))
    run(a, toggleBlockquote, posOf(a, 'para2'))
    run(a, setHeading(2), posOf(a, 'quote1b'))
    run(a, toggleBold, posOf(a, 'item6c', 1), posOf(a, 'item6c', 4))
    // A deletion from inside a list to inside a quote two top-level blocks further on.
    const { view } = a
    view.dispatch(view.state.tr.delete(posOf(a, 'item1b', 2), posOf(a, 'quote1a', 3)))
    deliver(a, [a, b])
    type(b, 'W', posOf(b, 'para7', 5))
    run(b, splitBlock, posOf(b, 'item0c', 2))
    deliver(b, [a, b])
    expectConverged([a, b])
    const shown = outline(b)
    // Typing at the start, inside a list item, at the end of a quote, by both users.
    expect(shown).toContain('paragraph:Xpara0')
    expect(shown).toContain('bullet_list>list_item>paragraph:item3bY')
    expect(shown).toContain('blockquote>paragraph:quote7bZ')
    expect(shown).toContain('paragraph:para7W')
    // Splits inside a list item and inside a quote.
    expect(shown).toContain('bullet_list>list_item>paragraph:ite')
    expect(shown).toContain('bullet_list>list_item>paragraph:m5a')
    expect(shown).toContain('blockquote>paragraph:qu')
    expect(shown).toContain('blockquote>paragraph:ote2a')
    expect(shown).toContain('bullet_list>list_item>paragraph:it')
    expect(shown).toContain('bullet_list>list_item>paragraph:em0c')
    // Wrapped, re-typed, and joined into the quote before it.
    expect(shown).toContain('bullet_list>list_item>paragraph:para6')
    expect(shown).toContain('blockquote>paragraph:para2')
    expect(shown).toContain('blockquote>heading:quote1b')
    expect(shown).toContain('blockquote>paragraph:para4')
    // The deletion joined what was left of both ends.
    expect(shown).toContain('bullet_list>list_item>paragraph:itte1a')
    expect(shown.join()).not.toContain('item1c')
    // Bold over part of a list item.
    const bold: string[] = []
    b.view.state.doc.descendants((node) => {
      if (node.isText && node.marks.some((mark) => mark.type.name === 'strong')) bold.push(node.text ?? '')
    })
    expect(bold).toEqual(['tem'])
    expect(shown).toHaveLength(49)
  })
})

describe('the content text', () => {
  it('is one Y.XmlText in the prosemirror fragment, shared by replicas that created it apart', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    contentText(a).insert(0, 'from a')
    contentText(b).insert(0, 'from b ')
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b))
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    expect(a.getXmlFragment(FRAGMENT_NAME).length).toBe(1)
    expect(contentText(a).toString()).toBe(contentText(b).toString())
    expect(contentText(a).toString()).toContain('from a')
    expect(contentText(a).toString()).toContain('from b')
  })

  it('ends each block with one boundary map holding type, attributes and container path', () => {
    const [a] = peers(1) as [Peer]
    type(a, 'hello', 1)
    run(a, setHeading(2), 2)
    const delta = a.binding.text.toDelta() as { insert: unknown }[]
    expect(delta.map((op) => (op.insert instanceof Y.Map ? op.insert.toJSON() : op.insert))).toEqual([
      'hello',
      { type: 'heading', attrs: { level: 2 }, path: [] },
    ])
  })
})

describe('concurrent edits keep every character exactly once', () => {
  it('two users splitting the same paragraph at different places', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    type(a, 'abcdefgh', 1)
    expectConverged([a, b])
    run(a, splitBlock, posOf(a, 'abc', 2))
    run(b, splitBlock, posOf(b, 'abcdef', 5))
    expectConverged([a, b])
    expect(blocks(a)).toEqual(['paragraph:ab', 'paragraph:cde', 'paragraph:fgh'])
  })

  it('a split while someone types into the moved half', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    type(a, 'hello world', 1)
    expectConverged([a, b])
    run(a, splitBlock, posOf(a, ' world'))
    type(b, 'XY', posOf(b, 'world', 2))
    expectConverged([a, b])
    expect(blocks(a)).toEqual(['paragraph:hello', 'paragraph: woXYrld'])
  })

  it('a block type change while someone types into the block', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    type(a, 'title', 1)
    expectConverged([a, b])
    run(a, setHeading(1), 2)
    type(b, '!!', posOf(b, 'title', 5))
    expectConverged([a, b])
    expect(blocks(a)).toEqual(['heading:title!!'])
  })

  it('wrapping in a list and a blockquote while someone types', () => {
    const [a, b, c] = peers(3) as [Peer, Peer, Peer]
    type(a, 'item', 1)
    expectConverged([a, b, c])
    run(a, toggleBulletList, 2)
    run(c, toggleBlockquote, 2)
    type(b, 'ed', posOf(b, 'item', 4))
    expectConverged([a, b, c])
    expect(a.view.state.doc.textContent).toBe('itemed')
  })

  it('joining two paragraphs while someone types at the start of the second', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    type(a, 'one', 1)
    run(a, splitBlock, posOf(a, 'one', 3))
    type(a, 'two')
    expectConverged([a, b])
    run(a, joinBackward, posOf(a, 'two'))
    type(b, '2:', posOf(b, 'two'))
    expectConverged([a, b])
    expect(blocks(a)).toEqual(['paragraph:one2:two'])
  })

  it('bold over a range while someone types inside it', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    type(a, 'abcdef', 1)
    expectConverged([a, b])
    run(a, toggleBold, posOf(a, 'abcdef'), posOf(a, 'abcdef', 6))
    type(b, '123', posOf(b, 'abc', 3))
    expectConverged([a, b])
    expect(a.view.state.doc.textContent).toBe('abc123def')
  })
})

describe('undo', () => {
  it('undoes only this user’s edits, and redo brings them back', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    type(a, 'mine ', 1)
    a.undoManager.stopCapturing()
    deliver(a, [a, b])
    type(b, 'theirs', posOf(b, 'mine ', 5))
    deliver(b, [a, b])
    expect(a.view.state.doc.textContent).toBe('mine theirs')
    undo(a.view.state, a.view.dispatch)
    expect(a.view.state.doc.textContent).toBe('theirs')
    redo(a.view.state, a.view.dispatch)
    expectConverged([a, b])
    expect(a.view.state.doc.textContent).toBe('mine theirs')
  })

  it('undoing a split keeps text another user typed into the new paragraph', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    type(a, 'abcdef', 1)
    a.undoManager.stopCapturing()
    expectConverged([a, b])
    run(a, splitBlock, posOf(a, 'abc', 3))
    expectConverged([a, b])
    type(b, 'XY', posOf(b, 'def'))
    deliver(b, [a, b])
    undo(a.view.state, a.view.dispatch)
    expectConverged([a, b])
    expect(blocks(a)).toEqual(['paragraph:abcXYdef'])
  })
})

describe('content written by others', () => {
  it('renders whatever a peer stored without losing text', () => {
    const [a] = peers(1) as [Peer]
    const other = new Y.Doc()
    const text = contentText(other)
    text.insert(0, 'plain ')
    text.insert(6, 'bold', { strong: true, bogus: 3 })
    const odd = new Y.Map<unknown>()
    odd.set('type', 'no_such_block')
    odd.set('path', [{ type: 'bullet_list', attrs: {}, start: true }])
    text.insertEmbed(text.length, odd)
    text.insertEmbed(text.length, { type: 'hard_break' })
    text.insert(text.length, 'code')
    const code = new Y.Map<unknown>()
    code.set('type', 'code_block')
    text.insertEmbed(text.length, code)
    const rule = new Y.Map<unknown>()
    rule.set('type', 'horizontal_rule')
    text.insert(text.length, 'text before a rule')
    text.insertEmbed(text.length, rule)
    text.insert(text.length, 'trailing')
    Y.applyUpdate(a.ydoc, Y.encodeStateAsUpdate(other))
    expect(blocks(a)).toEqual(['paragraph:plain bold', 'code_block:\ncode', 'paragraph:text before a rule', 'paragraph:trailing'])
    // Editing next to such content writes a consistent document back.
    type(a, '!', posOf(a, 'trailing', 8))
    expect(a.view.state.doc.eq(a.binding.readYjs().doc)).toBe(true)
    expect(a.view.state.doc.textContent).toBe('plain bold\ncodetext before a ruletrailing!')
  })
})

describe('the local caret', () => {
  it('stays before text another user inserts right at it, so two people typing at one spot do not interleave', () => {
    const [a, b] = peers(2) as [Peer, Peer]
    type(a, 'hello', 1)
    deliver(a, [a, b])
    expect(a.view.state.selection.head).toBe(6)
    type(b, ' world', 6)
    deliver(b, [a, b])
    expect(a.view.state.doc.textContent).toBe('hello world')
    expect(a.view.state.selection.head).toBe(6)
    type(a, '!')
    expectConverged([a, b])
    expect(a.view.state.doc.textContent).toBe('hello! world')
  })
})

describe('positions', () => {
  it('map between ProseMirror and Yjs offsets through lists and quotes', () => {
    const [a] = peers(1) as [Peer]
    type(a, 'first', 1)
    run(a, splitBlock, posOf(a, 'first', 5))
    type(a, 'second')
    run(a, toggleBulletList, posOf(a, 'second'))
    for (const word of ['first', 'second']) {
      for (let offset = 0; offset <= word.length; offset++) {
        const pos = posOf(a, word, offset)
        expect(a.binding.posOf(a.binding.indexOf(pos))).toBe(pos)
      }
    }
    expect(schema.nodes.bullet_list).toBeDefined()
  })
})
