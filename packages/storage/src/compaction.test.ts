import * as Y from 'yjs'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_COMPACTION_POLICY,
  foldToSnapshot,
  resolveCompactionPolicy,
  shouldCompact,
} from './compaction'
import { CorruptRecordError, InvalidArgumentError } from './errors'

function textUpdates(edits: ((text: Y.Text) => void)[]): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  for (const edit of edits) doc.transact(() => edit(doc.getText('t')))
  return { doc, updates }
}

function textOf(update: Uint8Array): string {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return doc.getText('t').toString()
}

describe('shouldCompact', () => {
  const policy = { maxLogEntries: 10, maxLogBytes: 1_000 }

  it('fires at either threshold, not below both', () => {
    expect(shouldCompact({ snapshotBytes: 0, logEntries: 9, logBytes: 999 }, policy)).toBe(false)
    expect(shouldCompact({ snapshotBytes: 0, logEntries: 10, logBytes: 0 }, policy)).toBe(true)
    expect(shouldCompact({ snapshotBytes: 0, logEntries: 1, logBytes: 1_000 }, policy)).toBe(true)
  })

  it('uses the default policy when none is given', () => {
    const atEntries = { snapshotBytes: 0, logEntries: DEFAULT_COMPACTION_POLICY.maxLogEntries, logBytes: 0 }
    expect(shouldCompact(atEntries)).toBe(true)
    expect(shouldCompact({ ...atEntries, logEntries: atEntries.logEntries - 1 })).toBe(false)
  })
})

describe('resolveCompactionPolicy', () => {
  it('fills defaults and keeps overrides', () => {
    expect(resolveCompactionPolicy()).toEqual(DEFAULT_COMPACTION_POLICY)
    expect(resolveCompactionPolicy({ maxLogEntries: 5 })).toEqual({ ...DEFAULT_COMPACTION_POLICY, maxLogEntries: 5 })
  })

  it('refuses non-positive or fractional thresholds, naming them', () => {
    expect(() => resolveCompactionPolicy({ maxLogEntries: 0 })).toThrow(InvalidArgumentError)
    expect(() => resolveCompactionPolicy({ maxLogBytes: 1.5 })).toThrow(/maxLogBytes 1\.5/)
    expect(() => resolveCompactionPolicy({ maxLogEntries: Number.NaN })).toThrow(InvalidArgumentError)
  })
})

describe('foldToSnapshot', () => {
  it('folds snapshot + log into one update with the same content', () => {
    const { doc, updates } = textUpdates([(t) => t.insert(0, 'hello'), (t) => t.insert(5, ' world'), (t) => t.delete(0, 1)])
    const snapshot = foldToSnapshot({ snapshot: updates[0] ?? null, updates: updates.slice(1), lastSeq: 3 })
    expect(textOf(snapshot)).toBe('ello world')
    expect(textOf(snapshot)).toBe(doc.getText('t').toString())
  })

  it('returns an empty document update for an empty record', () => {
    expect(textOf(foldToSnapshot({ snapshot: null, updates: [], lastSeq: 0 }))).toBe('')
  })

  it('drops deleted content, unlike Y.mergeUpdates', () => {
    const secret = 'SECRET-DELETED-CONTENT'
    const { updates } = textUpdates([(t) => t.insert(0, `keep ${secret}`), (t) => t.delete(5, secret.length)])
    const folded = foldToSnapshot({ snapshot: null, updates, lastSeq: updates.length })
    expect(textOf(folded)).toBe('keep ')
    expect(Buffer.from(folded).includes(secret)).toBe(false)
    expect(Buffer.from(Y.mergeUpdates(updates)).includes(secret)).toBe(true)
  })

  it('keeps updates whose dependencies are missing (pending) instead of losing them', () => {
    const { updates } = textUpdates([(t) => t.insert(0, 'abc'), (t) => t.insert(3, 'def')])
    const [first, second] = updates as [Uint8Array, Uint8Array]
    const folded = foldToSnapshot({ snapshot: null, updates: [second], lastSeq: 1 })
    const doc = new Y.Doc()
    Y.applyUpdate(doc, folded)
    Y.applyUpdate(doc, first)
    expect(doc.getText('t').toString()).toBe('abcdef')
  })

  it('names the corrupt entry', () => {
    const { updates } = textUpdates([(t) => t.insert(0, 'ok')])
    const stored = { snapshot: null, updates: [...updates, new Uint8Array([1, 2, 3])], lastSeq: 2 }
    expect(() => foldToSnapshot(stored, 'my-doc')).toThrow(CorruptRecordError)
    expect(() => foldToSnapshot(stored, 'my-doc')).toThrow(/"my-doc".*log entry 1 of 2 \(3 bytes\)/)
    expect(() => foldToSnapshot({ snapshot: new Uint8Array([255, 255]), updates: [], lastSeq: 0 }, 'd')).toThrow(
      /the snapshot \(2 bytes\)/,
    )
  })
})
