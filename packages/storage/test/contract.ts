// The DocStore contract: every adapter runs this suite unchanged (SQLite, PostgreSQL).
import { InvalidDocIdError } from '@collab/protocol'
import * as Y from 'yjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  InvalidPayloadError,
  InvalidSeqError,
  PayloadTooLargeError,
  StaleSnapshotError,
  StoreClosedError,
  StorageUnavailableError,
  compactDoc,
  foldToSnapshot,
  type DocStore,
} from '../src/index'
import { Writer, fakeClock, patternBytes, plain, sumBytes, textOf, type FakeClock } from './contract-helpers'

/** Options the suite opens every store with; adapters must honour them. */
export interface ContractStoreOptions {
  /** Clock for `updatedAtMs`. */
  now: () => number
  maxUpdateBytes: number
  maxSnapshotBytes: number
}

export interface ContractFixture {
  store: DocStore
  /** Opens a new store on the same data (the suite closes the old one first). */
  reopen?: () => Promise<DocStore>
  /** Removes the data; called after the suite closed every store it got. */
  cleanup: () => Promise<void>
}

export const CONTRACT_MAX_UPDATE_BYTES = 64 * 1024
export const CONTRACT_MAX_SNAPSHOT_BYTES = 256 * 1024

const INVALID_DOC_IDS = ['', 'a/b', '../etc', 'a b', 'x'.repeat(129), 'é', 'a\u0000b', 'doc.1', '%2e%2e']

/** Registers the contract suite for one adapter. `makeStore` opens a fresh, empty store. */
export function runDocStoreContract(
  adapterName: string,
  makeStore: (options: ContractStoreOptions) => Promise<ContractFixture>,
): void {
  describe(`DocStore contract: ${adapterName}`, () => {
    let clock: FakeClock
    let fixture: ContractFixture
    let store: DocStore
    const opened: DocStore[] = []

    beforeEach(async () => {
      clock = fakeClock()
      fixture = await makeStore({
        now: clock.now,
        maxUpdateBytes: CONTRACT_MAX_UPDATE_BYTES,
        maxSnapshotBytes: CONTRACT_MAX_SNAPSHOT_BYTES,
      })
      store = fixture.store
      opened.push(store)
    })

    afterEach(async () => {
      for (const each of opened.splice(0)) await each.close()
      await fixture.cleanup()
    })

    /** Closes the current store and opens the same data again; skips when unsupported. */
    async function reopen(skip: () => void): Promise<DocStore> {
      if (fixture.reopen === undefined) {
        skip()
        throw new Error('unreachable: reopen not supported')
      }
      await store.close()
      store = await fixture.reopen()
      opened.push(store)
      return store
    }

    it('loads an unknown document as empty', async () => {
      expect(await store.load('missing')).toEqual({ snapshot: null, updates: [], lastSeq: 0 })
      expect(await store.stats('missing')).toEqual({ snapshotBytes: 0, logEntries: 0, logBytes: 0 })
      expect(await store.list()).toEqual([])
    })

    it('returns appended updates in append order with growing seqs starting at 1', async () => {
      const a = patternBytes(10, 1)
      const b = patternBytes(20, 2)
      const c = patternBytes(256, 3)
      expect(await store.append('doc', [a, b])).toBe(2)
      expect(await store.append('doc', [c])).toBe(3)
      const loaded = await store.load('doc')
      expect(loaded.snapshot).toBeNull()
      expect(plain(loaded.updates)).toEqual(plain([a, b, c]))
      expect(loaded.lastSeq).toBe(3)
      for (const update of loaded.updates) expect(update).toBeInstanceOf(Uint8Array)
    })

    it('stores exactly the bytes of a Uint8Array view, not its whole buffer', async () => {
      const backing = patternBytes(100, 7)
      const view = backing.subarray(10, 30)
      await store.append('doc', [view])
      expect(plain((await store.load('doc')).updates)).toEqual([Array.from(backing.slice(10, 30))])
    })

    it('keeps sequence numbers per document and growing across compaction and reopen', async (ctx) => {
      expect(await store.append('one', [patternBytes(3)])).toBe(1)
      expect(await store.append('two', [patternBytes(3), patternBytes(4)])).toBe(2)
      expect(await store.append('one', [patternBytes(5)])).toBe(2)
      await store.replaceSnapshot('one', patternBytes(8), 2)
      expect(await store.append('one', [patternBytes(6)])).toBe(3)
      expect((await store.load('one')).lastSeq).toBe(3)
      await store.replaceSnapshot('one', patternBytes(9), 3)
      expect((await store.load('one')).lastSeq).toBe(3)
      const reopened = await reopen(() => ctx.skip())
      expect((await reopened.load('one')).lastSeq).toBe(3)
      expect(await reopened.append('one', [patternBytes(7)])).toBe(4)
      expect(await reopened.append('two', [patternBytes(7)])).toBe(3)
    })

    it('returns the current last seq for an empty batch and creates nothing', async () => {
      expect(await store.append('doc', [])).toBe(0)
      expect(await store.list()).toEqual([])
      await store.append('doc', [patternBytes(3)])
      expect(await store.append('doc', [])).toBe(1)
    })

    it('keeps entries appended after upToSeq when the snapshot is replaced (concurrent append)', async () => {
      const writer = new Writer()
      await store.append('doc', writer.type('abc'))
      const read = await store.load('doc')
      expect(read.lastSeq).toBe(3)
      // Appended after the compactor read, before it writes:
      await store.append('doc', writer.type('de'))
      await store.replaceSnapshot('doc', foldToSnapshot(read), read.lastSeq)
      const after = await store.load('doc')
      expect(after.snapshot).not.toBeNull()
      expect(after.updates).toHaveLength(2)
      expect(after.lastSeq).toBe(5)
      expect(textOf(after)).toBe('abcde')
      expect(await store.stats('doc')).toMatchObject({ logEntries: 2, logBytes: sumBytes(after.updates) })
    })

    it('accepts a live-doc snapshot that already contains later entries (re-applying is a no-op)', async () => {
      const writer = new Writer()
      const early = writer.type('hello')
      const appendedSeq = await store.append('doc', early)
      const late = writer.type(' world')
      await store.append('doc', late)
      // The relay snapshots its live doc (which has " world") but only knows seq 5 was appended.
      const live = Y.encodeStateAsUpdate(writer.doc)
      await store.replaceSnapshot('doc', live, appendedSeq)
      const loaded = await store.load('doc')
      expect(loaded.updates).toHaveLength(late.length)
      expect(textOf(loaded)).toBe('hello world')
    })

    it('refuses stale and out-of-range upToSeq and changes nothing', async () => {
      await store.append('doc', [patternBytes(4), patternBytes(5), patternBytes(6)])
      await store.replaceSnapshot('doc', patternBytes(10, 1), 2)
      const before = await store.load('doc')
      await expect(store.replaceSnapshot('doc', patternBytes(10, 2), 1)).rejects.toBeInstanceOf(StaleSnapshotError)
      for (const bad of [4, -1, 1.5, Number.NaN]) {
        await expect(store.replaceSnapshot('doc', patternBytes(10, 3), bad)).rejects.toBeInstanceOf(InvalidSeqError)
      }
      await expect(store.replaceSnapshot('fresh', patternBytes(10, 3), 1)).rejects.toBeInstanceOf(InvalidSeqError)
      expect(plain([(await store.load('doc')).snapshot ?? new Uint8Array()])).toEqual(plain([before.snapshot ?? new Uint8Array()]))
      expect((await store.list()).map((doc) => doc.docId)).toEqual(['doc'])
    })

    it('stores a snapshot-only document with upToSeq 0', async () => {
      const writer = new Writer()
      writer.type('imported')
      await store.replaceSnapshot('imported', Y.encodeStateAsUpdate(writer.doc), 0)
      const loaded = await store.load('imported')
      expect(loaded.lastSeq).toBe(0)
      expect(textOf(loaded)).toBe('imported')
      expect(await store.append('imported', [patternBytes(3)])).toBe(1)
    })

    it('keeps snapshot and log across reopen', async (ctx) => {
      const writer = new Writer()
      const first = writer.type('persist')
      await store.append('doc', first)
      await store.replaceSnapshot('doc', Y.encodeStateAsUpdate(writer.doc), first.length)
      await store.append('doc', writer.type('ed'))
      const before = await store.load('doc')
      const reopened = await reopen(() => ctx.skip())
      const after = await reopened.load('doc')
      expect(plain(after.updates)).toEqual(plain(before.updates))
      expect(Array.from(after.snapshot ?? [])).toEqual(Array.from(before.snapshot ?? []))
      expect(after.lastSeq).toBe(before.lastSeq)
      expect(textOf(after)).toBe('persisted')
    })

    it('reports stats for log and snapshot', async () => {
      const updates = [patternBytes(10), patternBytes(20), patternBytes(30)]
      await store.append('doc', updates)
      expect(await store.stats('doc')).toEqual({ snapshotBytes: 0, logEntries: 3, logBytes: 60 })
      await store.replaceSnapshot('doc', patternBytes(42), 2)
      expect(await store.stats('doc')).toEqual({ snapshotBytes: 42, logEntries: 1, logBytes: 30 })
      await store.replaceSnapshot('doc', patternBytes(7), 3)
      expect(await store.stats('doc')).toEqual({ snapshotBytes: 7, logEntries: 0, logBytes: 0 })
    })

    it('lists documents most recently updated first, with limit and offset', async () => {
      await store.append('b-doc', [patternBytes(10)])
      clock.advance(1_000)
      await store.append('c-doc', [patternBytes(20)])
      clock.advance(1_000)
      await store.append('a-doc', [patternBytes(30)])
      clock.advance(1_000)
      await store.replaceSnapshot('b-doc', patternBytes(15), 1)
      const t0 = clock.now() - 3_000
      expect(await store.list()).toEqual([
        { docId: 'b-doc', updatedAtMs: t0 + 3_000, storedBytes: 15 },
        { docId: 'a-doc', updatedAtMs: t0 + 2_000, storedBytes: 30 },
        { docId: 'c-doc', updatedAtMs: t0 + 1_000, storedBytes: 20 },
      ])
      expect((await store.list({ limit: 2 })).map((doc) => doc.docId)).toEqual(['b-doc', 'a-doc'])
      expect((await store.list({ limit: 1, offset: 1 })).map((doc) => doc.docId)).toEqual(['a-doc'])
      expect(await store.list({ offset: 3 })).toEqual([])
      expect(await store.list({ limit: 0 })).toEqual([])
      for (const options of [{ limit: -1 }, { limit: 1.5 }, { offset: -1 }, { limit: 10_001 }]) {
        await expect(store.list(options)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
    })

    it('breaks updatedAtMs ties by doc id', async () => {
      for (const docId of ['m', 'z', 'a']) await store.append(docId, [patternBytes(2)])
      expect((await store.list()).map((doc) => doc.docId)).toEqual(['a', 'm', 'z'])
    })

    it('deletes one document and nothing else', async () => {
      await store.append('gone', [patternBytes(5)])
      await store.replaceSnapshot('gone', patternBytes(6), 1)
      await store.append('gone', [patternBytes(7)])
      await store.append('kept', [patternBytes(8)])
      await store.delete('gone')
      await store.delete('never-existed')
      expect(await store.load('gone')).toEqual({ snapshot: null, updates: [], lastSeq: 0 })
      expect(await store.stats('gone')).toEqual({ snapshotBytes: 0, logEntries: 0, logBytes: 0 })
      expect((await store.list()).map((doc) => doc.docId)).toEqual(['kept'])
      expect(plain((await store.load('kept')).updates)).toEqual(plain([patternBytes(8)]))
      await store.append('gone', [patternBytes(9)])
      expect(plain((await store.load('gone')).updates)).toEqual(plain([patternBytes(9)]))
    })

    it('refuses invalid doc ids in every method and creates nothing', async () => {
      for (const docId of INVALID_DOC_IDS) {
        await expect(store.load(docId)).rejects.toBeInstanceOf(InvalidDocIdError)
        await expect(store.append(docId, [patternBytes(3)])).rejects.toBeInstanceOf(InvalidDocIdError)
        await expect(store.replaceSnapshot(docId, patternBytes(3), 0)).rejects.toBeInstanceOf(InvalidDocIdError)
        await expect(store.stats(docId)).rejects.toBeInstanceOf(InvalidDocIdError)
        await expect(store.delete(docId)).rejects.toBeInstanceOf(InvalidDocIdError)
      }
      // Non-strings from untyped callers too.
      for (const notAString of [42, null, undefined, { id: 'x' }]) {
        await expect(store.append(notAString as unknown as string, [patternBytes(3)])).rejects.toBeInstanceOf(InvalidDocIdError)
        await expect(store.load(notAString as unknown as string)).rejects.toBeInstanceOf(InvalidDocIdError)
      }
      expect(await store.list()).toEqual([])
      const longest = 'L'.repeat(128)
      await store.append(longest, [patternBytes(3)])
      expect((await store.list()).map((doc) => doc.docId)).toEqual([longest])
    })

    it('refuses empty, oversized and non-binary input as a whole batch', async () => {
      const good = patternBytes(5)
      const bad: unknown[] = [new Uint8Array(0), 'text', [1, 2, 3], new ArrayBuffer(4), null, undefined, 7, { length: 1 }]
      for (const value of bad) {
        await expect(store.append('doc', [good, value as Uint8Array])).rejects.toBeInstanceOf(InvalidPayloadError)
        await expect(store.replaceSnapshot('doc', value as Uint8Array, 0)).rejects.toBeInstanceOf(InvalidPayloadError)
      }
      for (const batch of [good, 'text', null, undefined, { 0: good, length: 1 }]) {
        await expect(store.append('doc', batch as unknown as Uint8Array[])).rejects.toBeInstanceOf(InvalidPayloadError)
      }
      const tooBig = new Uint8Array(CONTRACT_MAX_UPDATE_BYTES + 1)
      const error = await store.append('doc', [good, tooBig]).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(PayloadTooLargeError)
      expect(String((error as Error).message)).toContain('65,537')
      const bigSnapshot = new Uint8Array(CONTRACT_MAX_SNAPSHOT_BYTES + 1)
      await expect(store.replaceSnapshot('doc', bigSnapshot, 0)).rejects.toBeInstanceOf(PayloadTooLargeError)
      expect(await store.load('doc')).toEqual({ snapshot: null, updates: [], lastSeq: 0 })
      expect(await store.list()).toEqual([])
      // Exactly at the limit is fine.
      expect(await store.append('doc', [new Uint8Array(CONTRACT_MAX_UPDATE_BYTES).fill(1)])).toBe(1)
    })

    it('keeps many documents isolated', async () => {
      const docIds = Array.from({ length: 25 }, (_, index) => `doc-${index}`)
      const writers = new Map(docIds.map((docId) => [docId, new Writer()]))
      for (let round = 0; round < 4; round++) {
        for (const docId of docIds) {
          const writer = writers.get(docId) as Writer
          await store.append(docId, writer.type(`${docId}:${round};`))
        }
      }
      await compactDoc(store, 'doc-3')
      await store.delete('doc-7')
      for (const docId of docIds) {
        const expected = docId === 'doc-7' ? '' : (writers.get(docId) as Writer).text.toString()
        expect(textOf(await store.load(docId))).toBe(expected)
      }
      expect(await store.list({ limit: 100 })).toHaveLength(24)
    })

    it('fails every call after close with StoreClosedError', async () => {
      await store.append('doc', [patternBytes(3)])
      await store.close()
      await store.close()
      const calls: (() => Promise<unknown>)[] = [
        () => store.load('doc'),
        () => store.append('doc', [patternBytes(3)]),
        () => store.replaceSnapshot('doc', patternBytes(3), 1),
        () => store.stats('doc'),
        () => store.list(),
        () => store.delete('doc'),
      ]
      for (const call of calls) {
        const error = await call().catch((caught: unknown) => caught)
        expect(error).toBeInstanceOf(StoreClosedError)
        expect(error).toBeInstanceOf(StorageUnavailableError)
      }
    })

    it('holds a document’s compaction lock for one caller at a time (optional method)', async (ctx) => {
      if (store.tryWithCompactionLock === undefined) {
        ctx.skip('this adapter has no tryWithCompactionLock')
        return
      }
      const tryLock = store.tryWithCompactionLock.bind(store)
      let enter = () => undefined as void
      let release = () => undefined as void
      const entered = new Promise<void>((resolve) => (enter = resolve))
      const released = new Promise<void>((resolve) => (release = resolve))
      const holder = tryLock('doc', async () => {
        enter()
        await released
        return 7
      })
      await entered
      let ranWithoutLock = false
      expect(
        await tryLock('doc', async () => {
          ranWithoutLock = true
        }),
      ).toEqual({ acquired: false })
      expect(ranWithoutLock).toBe(false)
      expect(await tryLock('other', async () => 'other')).toEqual({ acquired: true, value: 'other' })
      release()
      expect(await holder).toEqual({ acquired: true, value: 7 })
      // Released when fn rejects, whose error propagates unchanged.
      const failure = new Error('compaction failed')
      await expect(tryLock('doc', () => Promise.reject(failure))).rejects.toBe(failure)
      await store.append('doc', new Writer().type('ab'))
      const compacted = await tryLock('doc', () => compactDoc(store, 'doc'))
      expect(compacted).toMatchObject({ acquired: true, value: { outcome: 'compacted', foldedEntries: 2 } })
      await expect(tryLock('a/b', async () => 1)).rejects.toBeInstanceOf(InvalidDocIdError)
      await store.close()
      await expect(tryLock('doc', async () => 1)).rejects.toBeInstanceOf(StoreClosedError)
    })

    it('round-trips a Yjs document with inserts and deletes, before and after compaction', async () => {
      const writer = new Writer()
      const updates = [
        ...writer.type('The quick brown fox'),
        writer.edit((text) => text.delete(4, 6)),
        writer.insert(4, 'slow '),
        writer.edit((text) => text.format(0, 3, { bold: true })),
        ...writer.type(' jumps ✓'),
      ]
      for (let start = 0; start < updates.length; start += 7) {
        await store.append('yjs', updates.slice(start, start + 7))
      }
      const expected = writer.text.toString()
      expect(expected).toBe('The slow brown fox jumps ✓')
      expect(textOf(await store.load('yjs'))).toBe(expected)
      const result = await compactDoc(store, 'yjs')
      expect(result).toMatchObject({ outcome: 'compacted', foldedEntries: updates.length, upToSeq: updates.length })
      const compacted = await store.load('yjs')
      expect(compacted.updates).toEqual([])
      expect(textOf(compacted)).toBe(expected)
      const check = new Y.Doc()
      Y.applyUpdate(check, compacted.snapshot ?? new Uint8Array())
      expect(check.getText('text').toDelta()).toEqual(writer.text.toDelta())
    })
  })
}
