// Small helpers for the DocStore contract suite: a fake clock and Yjs fixtures.
import * as Y from 'yjs'
import type { StoredDoc } from '../src/index'

export interface FakeClock {
  now: () => number
  advance: (ms: number) => void
}

/** A clock that only moves when told, so `updatedAtMs` ordering is deterministic. */
export function fakeClock(startMs = 1_700_000_000_000): FakeClock {
  let nowMs = startMs
  return {
    now: () => nowMs,
    advance: (ms) => {
      nowMs += ms
    },
  }
}

export const TEXT = 'text'

/** A Y.Doc that records one update per transaction. */
export class Writer {
  readonly doc = new Y.Doc()
  readonly text = this.doc.getText(TEXT)
  private pending: Uint8Array[] = []

  constructor() {
    this.doc.on('update', (update: Uint8Array) => this.pending.push(update))
  }

  /** Runs `edit` in one transaction and returns the update it produced. */
  edit(edit: (text: Y.Text) => void): Uint8Array {
    this.doc.transact(() => edit(this.text))
    const update = this.pending.pop()
    this.pending = []
    if (update === undefined) throw new Error('edit produced no update')
    return update
  }

  insert(index: number, content: string): Uint8Array {
    return this.edit((text) => text.insert(index, content))
  }

  /** Appends each character as its own transaction; returns one update per character. */
  type(content: string): Uint8Array[] {
    return [...content].map((char) => this.insert(this.text.length, char))
  }
}

/** Applies what `load` returned to a fresh Y.Doc and returns its text. */
export function textOf(stored: StoredDoc): string {
  const doc = new Y.Doc()
  if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot)
  for (const update of stored.updates) Y.applyUpdate(doc, update)
  const text = doc.getText(TEXT).toString()
  doc.destroy()
  return text
}

export function sumBytes(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)
}

/** Plain copies, so comparisons do not depend on the driver's Buffer/Uint8Array class. */
export function plain(chunks: readonly Uint8Array[]): number[][] {
  return chunks.map((chunk) => Array.from(chunk))
}

/** Deterministic bytes covering every byte value. */
export function patternBytes(length: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff
  return bytes
}
