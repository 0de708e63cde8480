// Workloads derived from the traces with Yjs once, cached as files that the runner and the load
// workers share: a writer's update sequence (one update per trace transaction, fixed client id and
// root text) and full document states. Building automerge-paper takes seconds, its 10× state most
// of a minute, so both are cached under bench-results/cache.
import { fork } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import { CACHE_DIR, TSX_LOADER_URL } from '../paths'
import { installedVersion } from '../report/versions'
import { cumulativeProgress } from '../wire/update-meter'
import { loadTrace, type TraceName } from './trace'

/** Bump when the way workloads are derived changes (invalidates the cache). */
const WORKLOAD_VERSION = 1
const MAGIC = 0x314c5742 // 'BWL1'

export interface WorkloadHeader {
  trace: TraceName
  clientId: number
  rootName: string
  txns: number
}

export interface Workload {
  header: WorkloadHeader
  updates: Uint8Array[]
}

/** A writer's updates plus what a receiver must have seen to hold each prefix. */
export interface MeteredWorkload extends Workload {
  endClocks: Float64Array
  deleted: Float64Array
}

function writeWorkloadFile(path: string, workload: Workload): void {
  const header = Buffer.from(JSON.stringify(workload.header), 'utf8')
  const total = 12 + header.length + workload.updates.reduce((sum, u) => sum + 4 + u.byteLength, 0)
  const out = Buffer.alloc(total)
  let at = out.writeUInt32LE(MAGIC, 0)
  at = out.writeUInt32LE(header.length, at)
  at += header.copy(out, at)
  at = out.writeUInt32LE(workload.updates.length, at)
  for (const update of workload.updates) {
    at = out.writeUInt32LE(update.byteLength, at)
    out.set(update, at)
    at += update.byteLength
  }
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, out)
  renameSync(temporary, path)
}

/** Reads a workload file written by {@link writerWorkload}. */
export function readWorkloadFile(path: string): Workload {
  const data = readFileSync(path)
  if (data.readUInt32LE(0) !== MAGIC) throw new Error(`${path} is not a workload file`)
  const headerLength = data.readUInt32LE(4)
  const header = JSON.parse(data.subarray(8, 8 + headerLength).toString('utf8')) as WorkloadHeader
  let at = 8 + headerLength
  const count = data.readUInt32LE(at)
  at += 4
  const updates: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const length = data.readUInt32LE(at)
    at += 4
    updates.push(new Uint8Array(data.buffer, data.byteOffset + at, length))
    at += length
  }
  return { header, updates }
}

export function readMeteredWorkload(path: string): MeteredWorkload {
  const workload = readWorkloadFile(path)
  return { ...workload, ...cumulativeProgress(workload.updates, workload.header.clientId) }
}

function cachePath(name: string): string {
  mkdirSync(CACHE_DIR, { recursive: true })
  return join(CACHE_DIR, `v${WORKLOAD_VERSION}-yjs${installedVersion('yjs')}-${name}`)
}

/** Applies trace transactions `from..to` to `text`, one Yjs transaction each. */
function applyTxns(doc: Y.Doc, text: Y.Text, trace: ReturnType<typeof loadTrace>, to: number): void {
  for (let i = 0; i < to; i++) {
    doc.transact(() => {
      for (const [position, deleteCount, insert] of trace.txns[i]!.patches) {
        if (deleteCount > 0) text.delete(position, deleteCount)
        if (insert.length > 0) text.insert(position, insert)
      }
    })
  }
}

/**
 * The updates of a writer replaying the first `txns` transactions of `trace` into root text
 * `rootName` of a fresh document, as client `clientId`; returns the cached file's path.
 */
export function writerWorkload(header: WorkloadHeader): string {
  const path = cachePath(`${header.trace}-${header.clientId}-${header.rootName}-${header.txns}.bwl`)
  if (existsSync(path)) return path
  const trace = loadTrace(header.trace)
  const doc = new Y.Doc()
  doc.clientID = header.clientId
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  applyTxns(doc, doc.getText(header.rootName), trace, Math.min(header.txns, trace.txns.length))
  writeWorkloadFile(path, { header, updates })
  return path
}

export interface DocumentState {
  /** `Y.encodeStateAsUpdate` of the whole document. */
  state: Uint8Array
  stateVector: Uint8Array
  /** What a client holding the document answers a server that already has it all (delete set only). */
  upToDateDiff: Uint8Array
  /** Root text names and the text each must hold. */
  texts: { name: string; expected: TraceName }[]
}

function copyName(traceName: TraceName, i: number): string {
  return `${traceName}-${i}`
}

/** Builds copy `i` of a large document (its own client, its own root text) and caches it. */
export function buildCopy(traceName: TraceName, i: number): string {
  const path = cachePath(`${traceName}-copy-${i}.state`)
  if (existsSync(path)) return path
  const writer = new Y.Doc()
  writer.clientID = 10_000 + i
  const trace = loadTrace(traceName)
  applyTxns(writer, writer.getText(copyName(traceName, i)), trace, trace.txns.length)
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, Y.encodeStateAsUpdate(writer))
  renameSync(temporary, path)
  writer.destroy()
  return path
}

/**
 * Makes sure the `copies`× document is cached: missing copies are built in `parallel` child
 * processes (a replay of automerge-paper takes ~5 s), then merged through one Y.Doc.
 */
export async function ensureLargeDocument(traceName: TraceName, copies: number, parallel = 2): Promise<void> {
  const path = cachePath(`${traceName}-x${copies}.state`)
  if (existsSync(path)) return
  const missing = Array.from({ length: copies }, (_, i) => i).filter((i) => !existsSync(cachePath(`${traceName}-copy-${i}.state`)))
  const lanes = Array.from({ length: Math.min(parallel, missing.length) }, (_, lane) => missing.filter((_, k) => k % parallel === lane))
  await Promise.all(
    lanes.map(
      (indices) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(fileURLToPath(new URL('./build-copies.ts', import.meta.url)), [traceName, ...indices.map(String)], {
            execArgv: ['--import', TSX_LOADER_URL],
            stdio: 'inherit',
          })
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building ${traceName} copies ${indices.join(',')} exited with ${code}`))))
        }),
    ),
  )
  const doc = new Y.Doc()
  for (let i = 0; i < copies; i++) Y.applyUpdate(doc, new Uint8Array(readFileSync(buildCopy(traceName, i))))
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, Y.encodeStateAsUpdate(doc))
  renameSync(temporary, path)
  doc.destroy()
}

/**
 * A large document: `copies` independent replays of the whole trace, each in its own root text
 * (`<trace>-<i>`) by its own client — the trace's final state, `copies` times over. Call
 * {@link ensureLargeDocument} first.
 */
export function largeDocument(traceName: TraceName, copies: number): DocumentState {
  const state = new Uint8Array(readFileSync(cachePath(`${traceName}-x${copies}.state`)))
  const texts = Array.from({ length: copies }, (_, i) => ({ name: copyName(traceName, i), expected: traceName }))
  const doc = new Y.Doc()
  Y.applyUpdate(doc, state)
  const stateVector = Y.encodeStateVector(doc)
  const upToDateDiff = Y.encodeStateAsUpdate(doc, stateVector)
  doc.destroy()
  return { state, stateVector, upToDateDiff, texts }
}

/** Where a document state is cached (workers read states from files, not over IPC). */
export function largeDocumentPath(traceName: TraceName, copies: number): string {
  return cachePath(`${traceName}-x${copies}.state`)
}

/** The state after the first `txns` transactions of `trace` in root text `rootName` (cached file path). */
export function prefixStatePath(traceName: TraceName, txns: number, clientId: number, rootName: string): string {
  const path = cachePath(`${traceName}-${clientId}-${rootName}-${txns}.state`)
  if (existsSync(path)) return path
  const doc = new Y.Doc()
  doc.clientID = clientId
  applyTxns(doc, doc.getText(rootName), loadTrace(traceName), txns)
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, Y.encodeStateAsUpdate(doc))
  renameSync(temporary, path)
  doc.destroy()
  return path
}
