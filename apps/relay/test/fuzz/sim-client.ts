// A simulated editor: a Y.Doc behind a stock y-websocket 3 provider (over `ws`), making seeded
// random edits to a Y.Text and a Y.Map. Besides free edits it writes unique marker tokens into
// the text that are never deleted, so loss or duplication can be counted at the end.
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { Random } from './random'

export const TEXT_NAME = 'text'
export const MAP_NAME = 'map'

/** Free text never contains brackets, so a bracketed token can only be a marker. */
const TEXT_ALPHABET = 'abcdefghijklmnopqrstuvwxyz     \n'
const MARKER_PATTERN = /\[[^\]]*\]/g
const MAP_KEYS = ['title', 'a', 'b', 'c', 'd', 'e', 'f', 'g'] as const

// Every stock provider adds a process 'exit' listener (removed on destroy); a session keeps more
// providers alive than Node's warning threshold of 10, and the warning would be console noise.
process.setMaxListeners(Math.max(process.getMaxListeners(), 100))

/** Every `[...]` token in `text`, with how often it occurs. */
export function countMarkers(text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const match of text.matchAll(MARKER_PATTERN)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1)
  return counts
}

/** [start, end) ranges of the markers in `text`, in order. */
function markerRanges(text: string): Array<[number, number]> {
  return [...text.matchAll(MARKER_PATTERN)].map((match) => [match.index, match.index + match[0].length])
}

export interface SimClientOptions {
  /** Unique within the run; marker tokens carry it. */
  label: string
  /** `ws://host:port/sync` (the proxy's, or the relay's for a direct client). */
  serverUrl: string
  docId: string
  /** Local state to start from (what y-indexeddb would load before the socket connects). */
  initialState?: Uint8Array
  maxBackoffTimeMs?: number
  connect?: boolean
}

export type EditKind = 'insert' | 'paste' | 'delete' | 'map-set' | 'map-delete' | 'map-nested' | 'multi' | 'cursor'

/** One simulated editor and what it wrote. */
export class SimClient {
  readonly doc = new Y.Doc()
  readonly text: Y.Text = this.doc.getText(TEXT_NAME)
  readonly map: Y.Map<unknown> = this.doc.getMap(MAP_NAME)
  readonly provider: WebsocketProvider
  /** Markers this client inserted itself (not those it loaded or received). */
  readonly markers: string[] = []
  readonly label: string
  edits = 0
  /** Close codes the relay sent this client, oldest first (4xxx would mean a refusal). */
  readonly closeCodes: number[] = []
  private destroyed = false
  /** Where this user's caret is: right after what they typed last (sticks to that character). */
  private caret: Y.RelativePosition | null = null

  constructor(options: SimClientOptions) {
    this.label = options.label
    if (options.initialState !== undefined) Y.applyUpdate(this.doc, options.initialState, 'local-store')
    this.provider = new WebsocketProvider(options.serverUrl, options.docId, this.doc, {
      // y-websocket types this as the DOM WebSocket class; `ws` is API-compatible for its use.
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      maxBackoffTime: options.maxBackoffTimeMs ?? 300,
      disableBc: true,
      connect: options.connect ?? true,
    })
    this.provider.on('connection-close', (event) => {
      if (event !== null) this.closeCodes.push(event.code)
    })
  }

  get connected(): boolean {
    return this.provider.wsconnected
  }

  get synced(): boolean {
    return this.provider.synced
  }

  /** Whether the user wants to be online (false after `goOffline`). */
  get online(): boolean {
    return this.provider.shouldConnect
  }

  goOffline(): void {
    this.provider.disconnect()
  }

  goOnline(): void {
    this.provider.connect()
  }

  /** Inserts the next unique marker at a position between existing markers. */
  insertMarker(random: Random): string {
    const marker = `[${this.label}.${this.markers.length}]`
    this.text.insert(this.safeInsertPosition(random), marker)
    this.markers.push(marker)
    this.edits++
    return marker
  }

  /** One random edit; returns its kind (for the run's trace). */
  edit(random: Random): EditKind {
    const kind = random.weighted<EditKind>({
      insert: 40,
      paste: 3,
      delete: 25,
      'map-set': 12,
      'map-delete': 4,
      'map-nested': 3,
      multi: 6,
      cursor: 7,
    })
    this.edits++
    switch (kind) {
      case 'insert':
        this.insertText(random, random.int(1, 8))
        return kind
      case 'paste':
        this.insertText(random, random.int(40, 400))
        return kind
      case 'delete':
        this.deleteText(random, random.int(1, 12))
        return kind
      case 'map-set':
        this.map.set(random.pick(MAP_KEYS), randomValue(random))
        return kind
      case 'map-delete':
        this.map.delete(random.pick(MAP_KEYS))
        return kind
      case 'map-nested': {
        const list = new Y.Array<string>()
        list.push([random.string(random.int(1, 5)), random.string(random.int(1, 5))])
        this.map.set(random.pick(MAP_KEYS), list)
        return kind
      }
      case 'multi':
        // Several changes in one transaction: one update with structs and deletions together.
        this.doc.transact(() => {
          const count = random.int(2, 5)
          for (let i = 0; i < count; i++) {
            if (random.bool(0.5)) this.insertText(random, random.int(1, 6))
            else this.deleteText(random, random.int(1, 6))
          }
          this.map.set(random.pick(MAP_KEYS), randomValue(random))
        })
        return kind
      case 'cursor':
        this.provider.awareness.setLocalStateField('cursor', { index: random.int(0, this.text.length) })
        return kind
      default: {
        const unexpected: never = kind
        throw new Error(`Unknown edit kind ${String(unexpected)}`)
      }
    }
  }

  /** Disconnects for good and frees the doc; returns the final local state first. */
  destroy(): Uint8Array {
    const state = Y.encodeStateAsUpdate(this.doc)
    if (!this.destroyed) {
      this.destroyed = true
      this.provider.destroy()
      this.doc.destroy()
    }
    return state
  }

  private insertText(random: Random, length: number): void {
    // Mostly typing on at the caret, like a person: the next keystroke depends on the previous one
    // (after a relay crash that previous one may be exactly what the relay lost).
    const atCaret = random.bool(0.6) ? this.caretIndex() : null
    const position = atCaret ?? this.safeInsertPosition(random)
    this.text.insert(position, random.string(length, TEXT_ALPHABET))
    this.caret = Y.createRelativePositionFromTypeIndex(this.text, position + length, -1)
  }

  /** The caret's index, or null when it is unset, gone, or (after concurrent edits) inside a marker. */
  private caretIndex(): number | null {
    if (this.caret === null) return null
    const absolute = Y.createAbsolutePositionFromRelativePosition(this.caret, this.doc)
    if (absolute === null || absolute.type !== this.text) return null
    const index = absolute.index
    for (const [markerStart, markerEnd] of markerRanges(this.text.toString())) {
      if (index > markerStart && index < markerEnd) return null
    }
    return index
  }

  /** Deletes up to `maxLength` characters that lie between two markers (never a marker char). */
  private deleteText(random: Random, maxLength: number): void {
    const current = this.text.toString()
    const gaps: Array<[number, number]> = []
    let start = 0
    for (const [markerStart, markerEnd] of markerRanges(current)) {
      if (markerStart > start) gaps.push([start, markerStart])
      start = markerEnd
    }
    if (current.length > start) gaps.push([start, current.length])
    if (gaps.length === 0) return
    const [gapStart, gapEnd] = random.pick(gaps)
    const position = random.int(gapStart, gapEnd - 1)
    this.text.delete(position, Math.min(maxLength, gapEnd - position))
  }

  /** A position that is not inside a marker (inserting there would split the token). */
  private safeInsertPosition(random: Random): number {
    const current = this.text.toString()
    const position = random.int(0, current.length)
    for (const [markerStart, markerEnd] of markerRanges(current)) {
      if (position > markerStart && position < markerEnd) return random.bool(0.5) ? markerStart : markerEnd
    }
    return position
  }
}

function randomValue(random: Random): unknown {
  switch (random.int(0, 4)) {
    case 0:
      return random.int(-1_000, 1_000)
    case 1:
      return random.string(random.int(0, 12))
    case 2:
      return random.bool()
    case 3:
      return { n: random.int(0, 99), s: random.string(3), list: [random.int(0, 9), null] }
    default:
      return null
  }
}
