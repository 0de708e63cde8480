// Compaction against a real SQLite store, fed with a real editing trace.
import * as Y from 'yjs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { SqliteDocStore, compactDoc, type DocStore } from '../src/index'
import { Writer, sumBytes, textOf } from './contract-helpers'
import { makeTempDir, removeDir } from './temp-dir'
import { loadTrace, replayTrace, type Replay } from './trace'

const TRACE_TXNS = 5_000
const BATCH = 100

let dir: string
let store: SqliteDocStore

beforeEach(() => {
  dir = makeTempDir()
  store = SqliteDocStore.open({ dataDir: dir })
})

afterEach(async () => {
  await store.close()
  removeDir(dir)
})

async function appendInBatches(target: DocStore, docId: string, updates: readonly Uint8Array[]): Promise<number> {
  let lastSeq = 0
  for (let start = 0; start < updates.length; start += BATCH) {
    lastSeq = await target.append(docId, updates.slice(start, start + BATCH))
  }
  return lastSeq
}

/** Delegates to `inner`, running `beforeReplace` just before a compaction writes its snapshot. */
function withHookBeforeReplace(inner: DocStore, beforeReplace: () => Promise<void>): DocStore {
  return {
    load: (docId) => inner.load(docId),
    append: (docId, updates) => inner.append(docId, updates),
    replaceSnapshot: async (docId, snapshot, upToSeq) => {
      await beforeReplace()
      return inner.replaceSnapshot(docId, snapshot, upToSeq)
    },
    stats: (docId) => inner.stats(docId),
    list: (options) => inner.list(options),
    delete: (docId) => inner.delete(docId),
    close: () => inner.close(),
  }
}

describe(`automerge-paper trace, first ${TRACE_TXNS.toLocaleString('en-US')} transactions`, () => {
  let replay: Replay

  beforeAll(() => {
    replay = replayTrace(loadTrace('automerge-paper'), TRACE_TXNS)
  })

  afterAll(() => replay.doc.destroy())

  it('compacts one-update-per-txn logs to a much smaller snapshot with the exact text', async () => {
    expect(replay.updates).toHaveLength(TRACE_TXNS)
    const lastSeq = await appendInBatches(store, 'paper', replay.updates)
    expect(lastSeq).toBe(TRACE_TXNS)
    const before = await store.stats('paper')
    expect(before).toEqual({ snapshotBytes: 0, logEntries: TRACE_TXNS, logBytes: sumBytes(replay.updates) })
    expect(textOf(await store.load('paper'))).toBe(replay.expectedText)

    let clockMs = 0
    const result = await compactDoc(store, 'paper', { now: () => (clockMs += 7) })
    expect(result).toMatchObject({
      docId: 'paper',
      outcome: 'compacted',
      bytesBefore: before.logBytes,
      foldedEntries: TRACE_TXNS,
      upToSeq: TRACE_TXNS,
      durationMs: 7,
    })
    const after = await store.stats('paper')
    expect(after).toEqual({ snapshotBytes: result.bytesAfter, logEntries: 0, logBytes: 0 })
    // ~30 bytes per keystroke update vs a few bytes per character in a merged snapshot.
    expect(result.bytesAfter).toBeLessThan(before.logBytes / 4)

    const loaded = await store.load('paper')
    expect(loaded.updates).toEqual([])
    expect(loaded.lastSeq).toBe(TRACE_TXNS)
    expect(textOf(loaded)).toBe(replay.expectedText)
    // Loading the compacted snapshot into the live doc adds nothing it does not already have.
    const live = new Y.Doc()
    Y.applyUpdate(live, Y.encodeStateAsUpdate(replay.doc))
    Y.applyUpdate(live, loaded.snapshot ?? new Uint8Array())
    expect(Y.encodeStateVector(live)).toEqual(Y.encodeStateVector(replay.doc))
  })

  it('compacts again after more appends, on top of the previous snapshot', async () => {
    const half = TRACE_TXNS / 2
    await appendInBatches(store, 'paper', replay.updates.slice(0, half))
    await compactDoc(store, 'paper')
    await appendInBatches(store, 'paper', replay.updates.slice(half))
    const result = await compactDoc(store, 'paper')
    expect(result).toMatchObject({ outcome: 'compacted', foldedEntries: TRACE_TXNS - half, upToSeq: TRACE_TXNS })
    expect(textOf(await store.load('paper'))).toBe(replay.expectedText)
  })
})

describe('tombstones', () => {
  it('a document with heavy deletes shrinks to about its remaining text', async () => {
    const writer = new Writer()
    const sentence = 'Lorem ipsum dolor sit amet, '
    const typed = writer.type(sentence.repeat(60) + 'the end.')
    const deletes = Array.from({ length: 60 }, () => writer.edit((text) => text.delete(0, sentence.length)))
    await appendInBatches(store, 'shrink', [...typed, ...deletes])
    const remaining = writer.text.toString()
    expect(remaining).toBe('the end.')
    const before = await store.stats('shrink')
    const result = await compactDoc(store, 'shrink')
    expect(result.outcome).toBe('compacted')
    // Deleted text is gone; only struct skeletons (client id, clock ranges) stay.
    expect(result.bytesAfter).toBeLessThan(before.logBytes / 20)
    expect(result.bytesAfter).toBeLessThan(remaining.length + 200)
    const loaded = await store.load('shrink')
    expect(textOf(loaded)).toBe(remaining)
    expect(Buffer.from(loaded.snapshot ?? []).includes('Lorem')).toBe(false)
  })
})

describe('appends racing a compaction', () => {
  it('keeps an update appended between the compactor reading and writing', async () => {
    const writer = new Writer()
    await appendInBatches(store, 'race', writer.type('before compaction'))
    const late = writer.type(' + during')
    const racing = withHookBeforeReplace(store, async () => {
      await store.append('race', late)
    })
    const result = await compactDoc(racing, 'race')
    expect(result).toMatchObject({ outcome: 'compacted', foldedEntries: 17, upToSeq: 17 })
    const loaded = await store.load('race')
    expect(loaded.updates).toHaveLength(late.length)
    expect(loaded.lastSeq).toBe(17 + late.length)
    expect(textOf(loaded)).toBe('before compaction + during')
  })

  it('keeps an append issued while compactDoc is in flight (real interleaving)', async () => {
    const writer = new Writer()
    await appendInBatches(store, 'race', writer.type('abc'))
    const compaction = compactDoc(store, 'race')
    const appended = store.append('race', writer.type('def'))
    const [result, lastSeq] = await Promise.all([compaction, appended])
    expect(lastSeq).toBe(6)
    expect(result.outcome).toBe('compacted')
    expect(textOf(await store.load('race'))).toBe('abcdef')
  })

  it('reports a compaction overtaken by a newer one as superseded and loses nothing', async () => {
    const writer = new Writer()
    await appendInBatches(store, 'race', writer.type('one'))
    const overtaking = withHookBeforeReplace(store, async () => {
      const seq = await store.append('race', writer.type('two'))
      await store.replaceSnapshot('race', Y.encodeStateAsUpdate(writer.doc), seq)
    })
    const result = await compactDoc(overtaking, 'race')
    expect(result).toMatchObject({ outcome: 'superseded', foldedEntries: 0 })
    expect(result.bytesAfter).toBe(result.bytesBefore)
    expect(textOf(await store.load('race'))).toBe('onetwo')
    expect(await store.stats('race')).toMatchObject({ logEntries: 0 })
  })

  it('does nothing for an empty log', async () => {
    expect(await compactDoc(store, 'unknown')).toMatchObject({ outcome: 'nothing-to-fold', bytesBefore: 0, bytesAfter: 0 })
    expect(await store.list()).toEqual([])
  })
})
