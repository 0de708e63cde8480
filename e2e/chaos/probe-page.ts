// The in-page half of the chaos probe, installed after every load of a chaos page:
//
// - a guard that refuses, atomically inside the page's event handling, any key or input that
//   would delete or split a marker (the "user" never deletes a marker, even when a remote change
//   moved one into their selection a millisecond before the key press);
// - a Yjs observer that records every marker count change and its cause (this page's own edit,
//   its undo or redo, or a remote update), so the end check can tell a marker the page itself
//   undid from a lost one, and explain any loss or duplicate;
// - small read helpers (caret, safe deletion span, click coordinates, paste).
//
// `installProbe` is serialised into the page: no imports at run time, no outside references.
import type {
  CaretInfo,
  ChaosProbe,
  ClickPoint,
  GuardRefusal,
  MarkerEvent,
  ProbeConfig,
  TransactionCause,
} from './probe-types'

// Structural types of the ProseMirror / Yjs objects the probe touches (the page has the real ones).
interface PmNode {
  isText: boolean
  isTextblock: boolean
  text?: string
  nodeSize: number
  content: { size: number }
  forEach(callback: (child: PmNode, offset: number) => void): void
  nodesBetween(from: number, to: number, callback: (node: PmNode, pos: number) => boolean | void): void
  textBetween(from: number, to: number, blockSeparator?: string, leafText?: string): string
  resolve(pos: number): { parent: PmNode; parentOffset: number; start(): number; depth: number }
}
interface PmState {
  doc: PmNode
  selection: { from: number; to: number; empty: boolean; $from: { parent: PmNode; parentOffset: number } }
  plugins: Array<{ key: string; getState(state: PmState): unknown }>
}
interface PmView {
  state: PmState
  dom: HTMLElement
  coordsAtPos(pos: number): { left: number; right: number; top: number; bottom: number }
  domAtPos(pos: number): { node: Node; offset: number }
  hasFocus(): boolean
}
interface YTransaction {
  origin: unknown
  local: boolean
  /** Items this transaction deleted: client id → [clock, length) ranges. */
  deleteSet: { clients: Map<number, Array<{ clock: number; len: number }>> }
  /** Client id → clock before and after the transaction. */
  beforeState: Map<number, number>
  afterState: Map<number, number>
}
/** Yjs internals: an item (or GC struct) in the document's struct store. */
interface YStruct {
  id: { client: number; clock: number }
  length: number
  deleted: boolean
  content?: { str?: unknown }
  parent?: unknown
}
interface YType {
  toArray(): YType[]
  toDelta?(): Array<{ insert: unknown }>
  nodeName?: string
  /** Yjs internals: the item that holds this type in its parent. */
  _item?: { deleted: boolean; parent: YType | null } | null
}
interface YDoc {
  store: { clients: Map<number, YStruct[]> }
  on(event: 'afterTransaction', callback: (tr: YTransaction) => void): void
  off(event: 'afterTransaction', callback: (tr: YTransaction) => void): void
  getXmlFragment(name: string): YType
}
interface UndoManagerLike {
  undoing: boolean
  redoing: boolean
  canUndo(): boolean
  canRedo(): boolean
}

/** Installs the probe on the page's mounted editor (runs in the browser). */
export function installProbe(config: ProbeConfig): void {
  const handle = (window as unknown as { __collab?: { view: PmView; ydoc: YDoc } }).__collab
  if (handle === undefined) throw new Error('window.__collab is not set: the editor is not mounted')
  const { view, ydoc } = handle
  // Installed already for this editor (by the init script, as soon as the app published it).
  if (window.__chaos?.view === view && window.__chaos.writer === config.writer) return
  // The app re-created its editor: keep what the old probe recorded and has not handed over yet.
  const carried = window.__chaos?.drain()
  window.__chaos?.uninstall()
  const markerRe = (): RegExp => new RegExp(config.markerPattern, 'g')
  const events: MarkerEvent[] = carried?.events ?? []
  const refusals: GuardRefusal[] = carried?.refusals ?? []
  if (carried !== undefined) refusals.push({ atMs: Date.now(), what: 'the editor was re-created (probe reinstalled)' })
  const localSeen = new Set<string>()

  const undoManager = (): UndoManagerLike | null => {
    const plugin = view.state.plugins.find((candidate) => candidate.key === 'collab-undo$')
    const state = plugin?.getState(view.state) as { undoManager?: UndoManagerLike } | undefined
    return state?.undoManager ?? null
  }

  /** Origin of the transactions the editor's binding writes (the sync plugin's state). */
  const bindingOrigin = (): unknown => {
    const plugin = view.state.plugins.find((candidate) => candidate.key === 'collab-sync$')
    const state = plugin?.getState(view.state) as { binding?: { origin?: unknown } } | undefined
    return state?.binding?.origin ?? null
  }

  // Marker counts straight from the Yjs document (the truth the binding renders from), and the
  // Y.XmlText each marker was last seen in, to tell afterwards how it disappeared.
  const fragment = ydoc.getXmlFragment('prosemirror')
  interface Scan {
    counts: Map<string, number>
    homes: Map<string, YType>
    /** Text around the (last) copy of each marker, for removal reports. */
    contexts: Map<string, string>
  }
  const CONTEXT_CHARS = 24
  const scan = (): Scan => {
    const result: Scan = { counts: new Map(), homes: new Map(), contexts: new Map() }
    const visit = (type: YType): void => {
      if (typeof type.toDelta === 'function') {
        const text = type.toDelta().map((op) => (typeof op.insert === 'string' ? op.insert : '\uFFFC')).join('')
        for (const match of text.matchAll(markerRe())) {
          result.counts.set(match[0], (result.counts.get(match[0]) ?? 0) + 1)
          result.homes.set(match[0], type)
          const at = match.index ?? 0
          result.contexts.set(match[0], text.slice(Math.max(0, at - CONTEXT_CHARS), at + match[0].length + CONTEXT_CHARS))
        }
        return
      }
      for (const child of type.toArray()) visit(child)
    }
    visit(fragment)
    return result
  }
  /** "heading(deleted) < bullet_list" — the chain of elements above a text, innermost first. */
  const describeHome = (home: YType | undefined): string => {
    if (home === undefined) return 'unknown'
    const parts: string[] = [home._item?.deleted === true ? 'text(deleted)' : 'text']
    let parent = home._item?.parent ?? null
    while (parent !== null && parent !== fragment && parts.length < 6) {
      parts.push(`${parent.nodeName ?? '?'}${parent._item?.deleted === true ? '(deleted)' : ''}`)
      parent = parent._item?.parent ?? null
    }
    return parts.join(' < ')
  }
  let last = scan()

  const causeOf = (tr: YTransaction): TransactionCause => {
    const manager = undoManager()
    if (manager !== null && tr.origin === manager) return manager.redoing ? 'redo' : 'undo'
    if (tr.origin !== null && tr.origin === bindingOrigin()) return 'local'
    return tr.local ? 'other' : 'remote'
  }
  // Text that arrives inside a block this page already saw deleted never shows up in a scan;
  // find it among the structs the update added, before Yjs garbage-collects their content.
  const arrivedDeleted = (tr: YTransaction, atMs: number, cause: TransactionCause): void => {
    for (const [client, clock] of tr.afterState) {
      const from = tr.beforeState.get(client) ?? 0
      if (clock <= from) continue
      const structs = ydoc.store.clients.get(client) ?? []
      for (let index = structs.length - 1; index >= 0; index--) {
        const struct = structs[index] as YStruct
        if (struct.id.clock + struct.length <= from) break
        const text = struct.content?.str
        if (!struct.deleted || typeof text !== 'string' || !text.includes('[[')) continue
        for (const match of text.matchAll(markerRe())) {
          const where = describeHome(struct.parent as YType | undefined)
          events.push({ atMs, marker: match[0], before: 0, after: 0, cause, arrivedDeleted: true, where })
        }
      }
    }
  }
  // Which marker texts a transaction of this page deleted, whether or not the page could see
  // them: a page can only delete items it has, so this names the page that removed a marker even
  // when the marker was invisible to it (inside a block it had already replaced).
  const structAt = (structs: YStruct[], clock: number): number => {
    let low = 0
    let high = structs.length - 1
    while (low <= high) {
      const middle = (low + high) >> 1
      const struct = structs[middle] as YStruct
      if (clock < struct.id.clock) high = middle - 1
      else if (clock >= struct.id.clock + struct.length) low = middle + 1
      else return middle
    }
    return -1
  }
  const deletedMarkers = (tr: YTransaction, atMs: number, cause: TransactionCause): void => {
    for (const [client, ranges] of tr.deleteSet.clients) {
      const structs = ydoc.store.clients.get(client) ?? []
      for (const range of ranges) {
        for (let index = structAt(structs, range.clock); index >= 0 && index < structs.length; index++) {
          const struct = structs[index] as YStruct
          if (struct.id.clock >= range.clock + range.len) break
          const text = struct.content?.str
          if (typeof text !== 'string' || !text.includes('[[')) continue
          for (const match of text.matchAll(markerRe())) {
            events.push({ atMs, marker: match[0], before: 0, after: 0, cause, deletedHere: true, where: describeHome(struct.parent as YType | undefined) })
          }
        }
      }
    }
  }
  const onTransaction = (tr: YTransaction): void => {
    const next = scan()
    const cause = causeOf(tr)
    const atMs = Date.now()
    for (const marker of new Set([...last.counts.keys(), ...next.counts.keys()])) {
      const before = last.counts.get(marker) ?? 0
      const after = next.counts.get(marker) ?? 0
      if (after === before) continue
      if (after > before && cause === 'local') localSeen.add(marker)
      if (after < before || after >= 2 || cause === 'local' || cause === 'redo') {
        const event: MarkerEvent = { atMs, marker, before, after, cause }
        if (after < before) {
          event.where = describeHome(last.homes.get(marker))
          event.context = last.contexts.get(marker) ?? ''
        }
        events.push(event)
      }
    }
    if (cause === 'remote') arrivedDeleted(tr, atMs, cause)
    else deletedMarkers(tr, atMs, cause)
    last = next
  }
  ydoc.on('afterTransaction', onTransaction)

  // Absolute [start, end) of every marker in the textblocks touching [from, to].
  const markerSpans = (from: number, to: number): Array<[number, number]> => {
    const doc = view.state.doc
    const spans: Array<[number, number]> = []
    doc.nodesBetween(Math.max(0, from - 1), Math.min(doc.content.size, to + 1), (node, pos) => {
      if (!node.isTextblock) return true
      let text = ''
      node.forEach((child) => {
        text += child.isText ? (child.text ?? '') : '\uFFFC'.repeat(child.nodeSize)
      })
      for (const match of text.matchAll(markerRe())) {
        const start = pos + 1 + (match.index ?? 0)
        spans.push([start, start + match[0].length])
      }
      return false
    })
    return spans
  }
  const overlaps = (from: number, to: number): boolean => markerSpans(from, to).some(([start, end]) => start < to && end > from)
  const splits = (pos: number): boolean => markerSpans(pos, pos).some(([start, end]) => start < pos && pos < end)

  /** True when the edit the event would make touches a marker. */
  const touchesMarker = (kind: 'insert' | 'backward' | 'forward' | 'other-delete'): boolean => {
    const { from, to, empty, $from } = view.state.selection
    if (!empty) return overlaps(from, to)
    switch (kind) {
      case 'insert':
        return splits(from)
      case 'backward':
        return $from.parentOffset > 0 && overlaps(from - 1, from)
      case 'forward':
        return $from.parentOffset < $from.parent.content.size && overlaps(from, from + 1)
      case 'other-delete':
        return markerSpans(from, from).length > 0
    }
  }
  const refuse = (event: Event, what: string): void => {
    event.preventDefault()
    event.stopImmediatePropagation()
    refusals.push({ atMs: Date.now(), what })
    probe.refusalTotal += 1
  }
  const inEditor = (event: Event): boolean => event.target instanceof Node && view.dom.contains(event.target)
  const onKeyDown = (event: KeyboardEvent): void => {
    if (!inEditor(event)) return
    const kind = event.key === 'Backspace' ? 'backward' : event.key === 'Delete' ? 'forward' : event.key === 'Enter' ? 'insert' : null
    if (kind !== null && touchesMarker(kind)) refuse(event, `${event.key} would touch a marker`)
  }
  const onBeforeInput = (event: InputEvent): void => {
    if (!inEditor(event)) return
    const type = event.inputType
    const kind = type.startsWith('insert')
      ? 'insert'
      : type === 'deleteContentBackward'
        ? 'backward'
        : type === 'deleteContentForward'
          ? 'forward'
          : type.startsWith('delete')
            ? 'other-delete'
            : null
    if (kind !== null && touchesMarker(kind)) refuse(event, `${type} would touch a marker`)
  }
  window.addEventListener('keydown', onKeyDown, true)
  window.addEventListener('beforeinput', onBeforeInput, true)

  const probe: ChaosProbe = {
    writer: config.writer,
    view,
    refusalTotal: 0,
    localSeen,
    drain: () => ({ events: events.splice(0), refusals: refusals.splice(0) }),
    countOf: (marker) => last.counts.get(marker) ?? 0,
    counts: () => Object.fromEntries(last.counts),
    caret: () => {
      const { from, empty, $from } = view.state.selection
      const inTextblock = $from.parent.isTextblock
      const inside = markerSpans(from, from).find(([start, end]) => start < from && from < end)
      return {
        focused: view.hasFocus(),
        collapsed: empty,
        inTextblock,
        offset: $from.parentOffset,
        blockLength: $from.parent.content.size,
        insideMarkerBy: inside === undefined ? 0 : inside[1] - from,
      }
    },
    safeSpan: (direction, wanted) => {
      const { from, empty, $from } = view.state.selection
      if (!empty || !$from.parent.isTextblock) return 0
      const room = direction === 'backward' ? $from.parentOffset : $from.parent.content.size - $from.parentOffset
      let length = Math.min(wanted, room)
      while (length > 0) {
        const [a, b] = direction === 'backward' ? [from - length, from] : [from, from + length]
        if (!overlaps(a, b) && !view.state.doc.textBetween(a, b, '\n', '\uFFFC').includes('\uFFFC')) break
        length -= 1
      }
      return length
    },
    clickPoint: (fraction) => {
      const blocks: Array<{ pos: number; size: number }> = []
      view.state.doc.nodesBetween(0, view.state.doc.content.size, (node, pos) => {
        if (!node.isTextblock) return true
        blocks.push({ pos, size: node.content.size })
        return false
      })
      if (blocks.length === 0) return null
      const scaled = fraction * blocks.length
      const block = blocks[Math.min(blocks.length - 1, Math.floor(scaled))] as { pos: number; size: number }
      const pos = block.pos + 1 + Math.round((scaled % 1) * block.size)
      const target = view.domAtPos(pos).node
      const element = target instanceof Element ? target : target.parentElement
      element?.scrollIntoView({ block: 'center' })
      const rect = view.coordsAtPos(pos)
      return { x: rect.left + 1, y: (rect.top + rect.bottom) / 2 }
    },
    paste: (html, text) => {
      view.dom.focus()
      if (touchesMarker('insert')) {
        refusals.push({ atMs: Date.now(), what: 'paste would touch a marker' })
        probe.refusalTotal += 1
        return false
      }
      const data = new DataTransfer()
      data.setData('text/html', html)
      data.setData('text/plain', text)
      view.dom.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
      return true
    },
    canUndo: () => undoManager()?.canUndo() ?? false,
    canRedo: () => undoManager()?.canRedo() ?? false,
    uninstall: () => {
      ydoc.off('afterTransaction', onTransaction)
      window.removeEventListener('keydown', onKeyDown, true)
      window.removeEventListener('beforeinput', onBeforeInput, true)
      if (window.__chaos === probe) delete window.__chaos
    },
  }
  window.__chaos = probe
}
