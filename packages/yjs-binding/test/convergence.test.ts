// @vitest-environment happy-dom
// Seeded random editing by several editors with random delivery and partitions: afterwards every
// editor shows the same document, Yjs renders to exactly that document, and every marker token
// (typed once, never deleted) appears exactly once. BINDING_SEEDS=n runs more seeds; SEED=s one.
import {
  insertHardBreak,
  insertHorizontalRule,
  schema,
  setCodeBlock,
  setHeading,
  setParagraph,
  toggleBlockquote,
  toggleBold,
  toggleBulletList,
  toggleItalic,
  toggleOrderedList,
} from '@collab/editor'
import { joinBackward, joinForward, splitBlock } from 'prosemirror-commands'
import { liftListItem, sinkListItem, splitListItem } from 'prosemirror-schema-list'
import { Fragment, Slice } from 'prosemirror-model'
import { TextSelection } from 'prosemirror-state'
import type { Command } from 'prosemirror-state'
import { afterEach, describe, expect, it } from 'vitest'
import type { Node } from 'prosemirror-model'
import { readLines, redo, renderDoc, undo } from '../src/index'
import type { Peer } from './peers'
import { deliver, destroyPeer, heal, makePeer, setOnline } from './peers'
import { prng } from './prng'

const live: Peer[] = []
afterEach(() => {
  for (const peer of live.splice(0)) destroyPeer(peer)
})

const STEPS = 160
const MARKER = /\[\[[a-z0-9-]+\]\]/g

function seeds(): number[] {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {}
  const one = env.SEED
  if (one !== undefined && one !== '') return [Number(one)]
  const count = Number(env.BINDING_SEEDS ?? 24)
  return Array.from({ length: count }, (_, index) => 1000 + index)
}

interface TextSpot {
  pos: number
  /** Positions to the end of the textblock or the next marker, whichever is closer. */
  room: number
}

/** A random position inside some textblock, never inside a marker (markers stay whole). */
function spot(peer: Peer, random: ReturnType<typeof prng>): TextSpot | null {
  const spots: TextSpot[] = []
  peer.view.state.doc.descendants((node, pos) => {
    if (!node.isTextblock) return true
    const text = node.textBetween(0, node.content.size, undefined, '#')
    const markers = [...text.matchAll(/\[\[[^\]]*\]\]/g)].map((match) => [match.index ?? 0, (match.index ?? 0) + match[0].length] as const)
    for (let offset = 0; offset <= text.length; offset++) {
      if (markers.some(([from, to]) => offset > from && offset < to)) continue
      const next = markers.find(([from]) => from >= offset)
      spots.push({ pos: pos + 1 + offset, room: (next === undefined ? text.length : next[0]) - offset })
    }
    return false
  })
  return spots.length === 0 ? null : random.pick(spots)
}

/** For each marker in the peer's Yjs text, the id of the item character it starts with. */
function markerIds(peer: Peer): Map<string, string> {
  let text = ''
  const ids: string[] = []
  for (let item = peer.binding.text._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue
    const content = item.content as { str?: string }
    if (typeof content.str === 'string') {
      for (let offset = 0; offset < content.str.length; offset++) ids.push(`${item.id.client}:${item.id.clock + offset}`)
      text += content.str
    } else {
      ids.push('embed')
      text += '|'
    }
  }
  const result = new Map<string, string>()
  for (const match of text.matchAll(MARKER)) result.set(match[0], ids[match.index ?? 0] as string)
  return result
}

function runAt(peer: Peer, command: Command, from: number, to = from): void {
  const { view } = peer
  view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, from, to)))
  command(view.state, view.dispatch)
}

const BLOCK_COMMANDS: readonly Command[] = [
  setHeading(1),
  setHeading(2),
  setParagraph,
  setCodeBlock,
  toggleBulletList,
  toggleOrderedList,
  toggleBlockquote,
  insertHorizontalRule,
  insertHardBreak,
]

function step(peer: Peer, random: ReturnType<typeof prng>, markers: string[], label: string): string {
  const yText = (): string => peer.binding.text.toDelta().map((op: { insert: unknown }) => (typeof op.insert === 'string' ? op.insert : '|')).join('')
  const markersBefore = yText().match(MARKER) ?? []
  const idsBefore = markerIds(peer)
  const docBefore = JSON.stringify(peer.view.state.doc.toJSON())
  const roll = random.next()
  const where = spot(peer, random)
  // Only rules left (no textblock to put a caret in): add a paragraph, as Enter after a rule would.
  if (where === null) {
    peer.view.dispatch(peer.view.state.tr.insert(peer.view.state.doc.content.size, schema.nodes.paragraph.create()))
    return 'append paragraph'
  }
  const { pos, room } = where
  const done = roll < 0.3 ? 'type' : roll < 0.4 ? 'marker' : roll < 0.5 ? 'delete' : roll < 0.6 ? 'split' : roll < 0.66 ? 'join' : roll < 0.7 ? 'block' : roll < 0.76 ? 'paste' : roll < 0.82 ? 'sink/lift' : roll < 0.9 ? 'mark' : roll < 0.95 ? 'undo' : 'redo'
  const { view } = peer
  if (roll < 0.3) {
    const words = ['a', 'bc', 'def ', ' ghij', 'k l', 'mn']
    view.dispatch(view.state.tr.insertText(random.pick(words), pos))
  } else if (roll < 0.4) {
    const marker = `[[${label}-${markers.length}]]`
    markers.push(marker)
    peer.undoManager.stopCapturing()
    view.dispatch(view.state.tr.insertText(` ${marker} `, pos))
    // Markers are never deleted: keep undo from reaching back over one.
    peer.undoManager.clear()
  } else if (roll < 0.5) {
    const length = Math.min(room, 1 + random.int(6))
    if (length > 0) view.dispatch(view.state.tr.delete(pos, pos + length))
  } else if (roll < 0.6) {
    runAt(peer, random.next() < 0.5 ? splitBlock : splitListItem(view.state.schema.nodes.list_item!), pos)
  } else if (roll < 0.66) {
    const $pos = view.state.doc.resolve(pos)
    runAt(peer, random.next() < 0.5 ? joinBackward : joinForward, random.next() < 0.5 ? $pos.start() : $pos.end())
  } else if (roll < 0.7) {
    runAt(peer, random.pick(BLOCK_COMMANDS), pos)
  } else if (roll < 0.76) {
    // Paste over a (marker-free) range: blocks split the text at both ends, like a real paste.
    const length = Math.min(room, random.int(4))
    const { paragraph, bullet_list: list, list_item: item } = schema.nodes
    const text = (value: string) => schema.text(value)
    const slices = [
      new Slice(Fragment.from([paragraph.create(null, text('pa')), paragraph.create(null, text('ste'))]), 1, 1),
      new Slice(Fragment.from([paragraph.create(null, text('one')), list.create(null, item.create(null, paragraph.create(null, text('two'))))]), 1, 3),
      new Slice(Fragment.from(text('inline')), 0, 0),
    ]
    try {
      view.dispatch(view.state.tr.replace(pos, pos + length, random.pick(slices)))
    } catch {
      // A slice that does not fit here (ReplaceError): nothing happens, like a refused paste.
    }
  } else if (roll < 0.82) {
    runAt(peer, random.next() < 0.5 ? sinkListItem(view.state.schema.nodes.list_item!) : liftListItem(view.state.schema.nodes.list_item!), pos)
  } else if (roll < 0.9) {
    const to = pos + Math.min(room, random.int(8))
    runAt(peer, random.next() < 0.5 ? toggleBold : toggleItalic, pos, to)
  } else if (roll < 0.95) {
    undo(view.state, view.dispatch)
  } else {
    redo(view.state, view.dispatch)
  }
  // The local write must leave Yjs describing exactly what the editor shows.
  const markersAfter = new Set(yText().match(MARKER) ?? [])
  const idsAfter = markerIds(peer)
  for (const [marker, id] of idsBefore) {
    expect(idsAfter.get(marker), `${label}: "${done}" at ${pos} copied ${marker}; before ${docBefore} after ${JSON.stringify(view.state.doc.toJSON())}`).toBe(id)
  }
  for (const marker of markersBefore) {
    expect(markersAfter.has(marker), `${label}: "${done}" at ${pos} removed ${marker} from Yjs; before ${docBefore} after ${JSON.stringify(view.state.doc.toJSON())}`).toBe(true)
  }
  const rendered = freshRender(peer)
  if (!view.state.doc.eq(rendered)) {
    expect(rendered.toJSON(), `${label}: after "${done}" Yjs no longer renders what the editor shows`).toEqual(view.state.doc.toJSON())
  }
  return done
}

/** What the peer's Yjs content renders to, from scratch (no nodes reused from earlier renders). */
function freshRender(peer: Peer): Node {
  return renderDoc(peer.view.state.schema, readLines(peer.binding.text))
}

/** Markers each peer has shown so far: once shown, a marker must stay, exactly once. */
function checkMarkers(peers: readonly Peer[], seen: Map<Peer, Set<string>>, after: string): void {
  for (const peer of peers) {
    const doc = peer.view.state.doc
    const counts = new Map<string, number>()
    for (const match of doc.textBetween(0, doc.content.size, '\n', '#').matchAll(MARKER)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1)
    const mine = seen.get(peer) ?? new Set<string>()
    seen.set(peer, mine)
    for (const marker of mine) {
      const inYjs = peer.binding.text.toDelta().map((op: { insert: unknown }) => (typeof op.insert === 'string' ? op.insert : '|')).join('')
      const everywhere = peers.map((other) => {
        const raw = other.binding.text.toDelta().map((op: { insert: unknown }) => (typeof op.insert === 'string' ? op.insert : '|')).join('')
        return `${other.name}:${raw.split(marker).length - 1}`
      })
      expect(counts.get(marker) ?? 0, `${peer.name}: ${marker} after ${after}; in Yjs ${inYjs.split(marker).length - 1}× (${everywhere.join(' ')}) ${inYjs}`).toBe(1)
    }
    for (const [marker, count] of counts) {
      expect(count, `${peer.name}: ${marker} after ${after}`).toBe(1)
      mine.add(marker)
    }
  }
}

/** A document of `blocks` top-level blocks: paragraphs, headings, nested lists and quotes. */
function longDocument(blocks: number, random: ReturnType<typeof prng>): Node {
  const { nodes } = schema
  const para = (text: string) => nodes.paragraph.create(null, schema.text(text))
  const children: Node[] = []
  for (let index = 0; index < blocks; index++) {
    const roll = random.next()
    const text = `block ${index} words here`
    if (roll < 0.55) children.push(para(text))
    else if (roll < 0.65) children.push(nodes.heading.create({ level: 1 + random.int(3) }, schema.text(text)))
    else if (roll < 0.8) {
      const inner = nodes.bullet_list.create(null, [nodes.list_item.create(null, para(`${text} inner`))])
      children.push(nodes.bullet_list.create(null, [nodes.list_item.create(null, [para(`${text} a`), inner]), nodes.list_item.create(null, para(`${text} b`))]))
    } else if (roll < 0.9) children.push(nodes.ordered_list.create(null, [nodes.list_item.create(null, para(`${text} one`)), nodes.list_item.create(null, para(`${text} two`))]))
    else children.push(nodes.blockquote.create(null, [para(`${text} quoted`), para(`${text} more`)]))
  }
  return nodes.doc.create(null, children)
}

function runSeed(seed: number, initialBlocks: number): void {
  const random = prng(seed)
  const peers = Array.from({ length: 3 }, (_, index) => makePeer(`p${index}`, 1 + random.int(0x7fff_fff0)))
  live.push(...peers)
  heal(peers)
  if (initialBlocks > 0) {
    const { view } = peers[0]!
    view.dispatch(view.state.tr.replaceWith(0, view.state.doc.content.size, longDocument(initialBlocks, random).content))
    heal(peers)
  }
  const markers: string[] = []
  const seen = new Map<Peer, Set<string>>()
  for (let index = 0; index < STEPS; index++) {
    const peer = random.pick(peers)
    const done = step(peer, random, markers, `s${seed}p${peers.indexOf(peer)}`)
    checkMarkers(peers, seen, `step ${index}: ${peer.name} ${done}`)
    const roll = random.next()
    if (roll < 0.3) {
      const from = random.pick(peers)
      deliver(from, peers)
      checkMarkers(peers, seen, `step ${index}: delivery from ${from.name}`)
    } else if (roll < 0.35) {
      const toggled = random.pick(peers)
      setOnline(toggled, !toggled.online)
    }
  }
  heal(peers)
  const first = peers[0]!
  const json = first.view.state.doc.toJSON()
  for (const peer of peers) {
    expect(peer.view.state.doc.toJSON(), `${peer.name} differs (seed ${seed})`).toEqual(json)
    const fromYjs = freshRender(peer)
    // The binding's own (incremental) render must agree with a render from scratch.
    expect(peer.binding.readYjs().doc.eq(fromYjs), `${peer.name}: incremental render differs (seed ${seed})`).toBe(true)
    if (!peer.view.state.doc.eq(fromYjs)) expect(fromYjs.toJSON(), `${peer.name}: Yjs renders something else (seed ${seed})`).toEqual(peer.view.state.doc.toJSON())
  }
  const text = first.view.state.doc.textBetween(0, first.view.state.doc.content.size, '\n', '#')
  const counts = new Map<string, number>()
  for (const match of text.matchAll(MARKER)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1)
  for (const marker of markers) expect(counts.get(marker) ?? 0, `${marker} (seed ${seed}) in ${text}`).toBe(1)
}

// The peers check every partial read of a remote change against a full read (peers.ts).
describe('random concurrent editing', () => {
  for (const seed of seeds()) {
    it(`seed ${seed}: editors converge and every marker is there exactly once`, { timeout: 60_000 }, () => runSeed(seed, 0))
  }
})

describe('random concurrent editing in a long document (mostly partial reads)', () => {
  for (const seed of seeds().slice(0, 12)) {
    it(`seed ${seed}: editors converge and every marker is there exactly once`, { timeout: 60_000 }, () => runSeed(seed, 40))
  }
})
