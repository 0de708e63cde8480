// Storage benchmark: the full automerge-paper trace as one update per transaction, appended in
// batches (the relay's group commit), then compacted.
//
//   pnpm exec tsx packages/storage/bench/compaction.ts [--batch 100] [--out <file>]
//
// Prints a summary and writes JSON (default /work/main/bench-results/storage-compaction.json,
// i.e. <repo>/bench-results/).
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import { SqliteDocStore, compactDoc, type StoredDoc } from '../src/index'
import { makeTempDir, removeDir } from '../test/temp-dir'
import { TEXT_NAME, loadTrace, replayTrace } from '../test/trace'
import { argument } from './cli'

const DOC_ID = 'automerge-paper'

const batchSize = Number(argument('batch', '100'))
const outFile = argument('out', fileURLToPath(new URL('../../../bench-results/storage-compaction.json', import.meta.url)))

function time<T>(run: () => T): { value: T; ms: number } {
  const started = performance.now()
  const value = run()
  return { value, ms: performance.now() - started }
}

async function timeAsync<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await run()
  return { value, ms: performance.now() - started }
}

function applyToDoc(stored: StoredDoc): string {
  const doc = new Y.Doc()
  doc.transact(() => {
    if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot)
    for (const update of stored.updates) Y.applyUpdate(doc, update)
  })
  const text = doc.getText(TEXT_NAME).toString()
  doc.destroy()
  return text
}

/** Median of a few runs of store.load and of load + apply into a fresh Y.Doc. */
async function measureLoad(store: SqliteDocStore, expected: string, runs: number) {
  const loadMs: number[] = []
  const loadAndApplyMs: number[] = []
  for (let run = 0; run < runs; run++) {
    const loaded = await timeAsync(() => store.load(DOC_ID))
    const applied = time(() => applyToDoc(loaded.value))
    if (applied.value !== expected) throw new Error('loaded text differs from the trace’s endContent')
    loadMs.push(loaded.ms)
    loadAndApplyMs.push(loaded.ms + applied.ms)
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
  return { loadMs: round(median(loadMs)), loadAndApplyMs: round(median(loadAndApplyMs)) }
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

async function main(): Promise<void> {
  const trace = loadTrace('automerge-paper')
  const replay = time(() => replayTrace(trace))
  const { updates, expectedText } = replay.value
  if (expectedText !== trace.endContent) throw new Error('replay does not reproduce endContent')
  const updateBytes = updates.reduce((sum, update) => sum + update.byteLength, 0)

  const dir = makeTempDir('collab-storage-bench-')
  const store = SqliteDocStore.open({ dataDir: join(dir, 'data') })
  try {
    const appended = await timeAsync(async () => {
      for (let start = 0; start < updates.length; start += batchSize) {
        await store.append(DOC_ID, updates.slice(start, start + batchSize))
      }
    })
    const batches = Math.ceil(updates.length / batchSize)
    const statsBefore = await store.stats(DOC_ID)
    const fileBytesBefore = fileBytes(store.path) + fileBytes(`${store.path}-wal`)
    const loadBefore = await measureLoad(store, expectedText, 3)

    const compaction = await compactDoc(store, DOC_ID)
    const statsAfter = await store.stats(DOC_ID)
    const loadAfter = await measureLoad(store, expectedText, 5)
    await store.close()
    const fileBytesAfterClose = fileBytes(store.path)

    const result = {
      benchmark: 'storage-compaction',
      date: new Date().toISOString(),
      environment: {
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        cpuCount: cpus().length,
        yjs: '13.6.33',
        sqlite: 'better-sqlite3 12, WAL, synchronous=FULL',
      },
      trace: {
        name: 'automerge-paper',
        txns: trace.txns.length,
        finalChars: expectedText.length,
        replayIntoYjsMs: round(replay.ms),
        updateBytes,
      },
      append: {
        batchSize,
        batches,
        totalMs: round(appended.ms),
        updatesPerSecond: Math.round(updates.length / (appended.ms / 1000)),
        batchesPerSecond: Math.round(batches / (appended.ms / 1000)),
        meanBatchMs: round(appended.ms / batches, 2),
      },
      before: {
        logEntries: statsBefore.logEntries,
        storedBytes: statsBefore.snapshotBytes + statsBefore.logBytes,
        databaseFileBytes: fileBytesBefore,
        ...loadBefore,
      },
      compaction: {
        durationMs: round(compaction.durationMs),
        foldedEntries: compaction.foldedEntries,
        bytesBefore: compaction.bytesBefore,
        bytesAfter: compaction.bytesAfter,
        ratio: round(compaction.bytesBefore / compaction.bytesAfter, 1),
      },
      after: {
        logEntries: statsAfter.logEntries,
        storedBytes: statsAfter.snapshotBytes + statsAfter.logBytes,
        // SQLite keeps freed pages for reuse; the file only shrinks on VACUUM.
        databaseFileBytesAfterClose: fileBytesAfterClose,
        ...loadAfter,
      },
    }
    mkdirSync(dirname(outFile), { recursive: true })
    writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n')
    console.log(JSON.stringify(result, null, 2))
    console.log(`written to ${outFile}`)
  } finally {
    await store.close()
    removeDir(dir)
  }
}

await main()
