// Micro-benchmark: what one keystroke costs the editor's Yjs binding in a long document, without
// a browser. A writer binding types into the middle of automerge-paper's final text (one
// paragraph per line), `--copies` times over; a reader binding on a second Y.Doc receives each
// update and renders it as the sync plugin does (partial read inside the Yjs observer, then
// adoption). Measured: the writer's `writeDoc` of the whole text into the empty document (a
// paste), then per keystroke the writer's `writeDoc` (ProseMirror → Yjs, the Yjs
// transaction included) and the reader's read + adopt (Yjs → ProseMirror document, Yjs' event
// delta included). The view (DOM) is not part of it; scenario 7 measures that in Chromium.
//
//   cd bench && node --import tsx src/micro/binding-keystroke.ts [--copies 1,10]
//     [--keystrokes 400] [--warmup 100] [--out <file>]
//
// Prints p50/p99 per document size and writes them (default
// <repo>/bench-results/micro-binding-keystroke.json). Ends by checking that both bindings hold
// the writer's text.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { schema } from '@collab/editor'
import { bindDoc } from '@collab/yjs-binding'
import { EditorState } from 'prosemirror-state'
import * as Y from 'yjs'
import { RESULTS_DIR } from '../paths'
import { loadTrace } from '../traces/trace'
import { argument } from '../util/cli'
import { percentile } from '../util/stats'

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name}: expected a positive integer, got ${JSON.stringify(raw)}`)
  return value
}

const copiesList = argument('copies', '1,10')
  .split(',')
  .map((raw) => positiveInteger('copies', raw))
const keystrokes = positiveInteger('keystrokes', argument('keystrokes', '400'))
const warmup = positiveInteger('warmup', argument('warmup', '100'))
const outFile = argument('out', join(RESULTS_DIR, 'micro-binding-keystroke.json'))

interface Percentiles {
  p50: number
  p99: number
}

interface SizeResult {
  copies: number
  characters: number
  paragraphs: number
  /** Writer: `writeDoc` of the whole document into an empty one (a paste), ms. */
  paste: number
  /** Writer: `writeDoc` of one keystroke, ms. */
  write: Percentiles
  /** Reader: partial read + adoption of one remote keystroke, ms. */
  read: Percentiles
  /** Remote keystrokes the reader had to read in full (the partial read gave up). */
  fullReads: number
}

function percentiles(samples: readonly number[]): Percentiles {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

function measure(copies: number, paperText: string): SizeResult {
  const text = Array.from({ length: copies }, () => paperText).join('\n')
  const lines = text.split('\n')
  const doc = schema.node(
    'doc',
    null,
    lines.map((line) => schema.node('paragraph', null, line === '' ? [] : [schema.text(line)])),
  )
  const writerDoc = new Y.Doc()
  const readerDoc = new Y.Doc()
  const writer = bindDoc(writerDoc, schema)
  const reader = bindDoc(readerDoc, schema)
  const pasteStarted = performance.now()
  writer.writeDoc(doc, { from: 0, to: doc.content.size })
  const paste = performance.now() - pasteStarted
  Y.applyUpdate(readerDoc, Y.encodeStateAsUpdate(writerDoc))
  const initial = reader.readYjs()
  reader.adoptReading(initial, initial.doc)

  let readMs = 0
  let fullReads = 0
  reader.text.observeDeep((events) => {
    const started = performance.now()
    const reading = reader.readYjs(events)
    if (reading.patch === null) fullReads++
    reader.adoptReading(reading, reading.doc)
    readMs = performance.now() - started
  })
  const updates: Uint8Array[] = []
  writerDoc.on('update', (update: Uint8Array) => updates.push(update))

  // Type at the end of the middle paragraph, one character per transaction, like a person.
  let state = EditorState.create({ schema, doc: writer.syncedDoc })
  const middle = Math.floor(lines.length / 2)
  let at = 0
  state.doc.forEach((node, offset, index) => {
    if (index === middle) at = offset + node.nodeSize - 1
  })
  const writes: number[] = []
  const reads: number[] = []
  for (let index = 0; index < warmup + keystrokes; index++) {
    state = state.apply(state.tr.insertText('x', at))
    const started = performance.now()
    writer.writeDoc(state.doc, { from: at, to: at + 1 })
    const writeMs = performance.now() - started
    for (const update of updates.splice(0)) Y.applyUpdate(readerDoc, update)
    if (index >= warmup) {
      writes.push(writeMs)
      reads.push(readMs)
    }
    at++
  }
  if (!reader.syncedDoc.eq(state.doc) || !writer.syncedDoc.eq(state.doc)) {
    throw new Error(`copies ${copies}: the bindings do not hold the writer's document after ${warmup + keystrokes} keystrokes`)
  }
  return { copies, characters: text.length, paragraphs: lines.length, paste, write: percentiles(writes), read: percentiles(reads), fullReads }
}

const paperText = loadTrace('automerge-paper').endContent
const results = copiesList.map((copies) => measure(copies, paperText))
const ms = (value: number) => value.toFixed(3)
for (const result of results) {
  console.log(
    `${result.characters} characters, ${result.paragraphs} paragraphs: paste ${result.paste.toFixed(1)} ms; keystroke write p50 ${ms(result.write.p50)} ms, p99 ${ms(result.write.p99)} ms; ` +
      `remote read + adopt p50 ${ms(result.read.p50)} ms, p99 ${ms(result.read.p99)} ms (${result.fullReads} full reads)`,
  )
}
mkdirSync(dirname(outFile), { recursive: true })
writeFileSync(outFile, `${JSON.stringify({ keystrokes, warmup, node: process.version, results }, null, 2)}\n`)
console.log(`wrote ${outFile}`)
