// Shared helpers for relay integration tests (also used by test/process/ and bench/): start a
// relay on port 0 over real SQLite in a temp dir, connect stock y-websocket providers or raw
// sockets, and wait for conditions with a deadline instead of sleeping.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { openDocStore, type DocStore } from '@collab/storage'
import type { FastifyInstance } from 'fastify'
import { afterEach } from 'vitest'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { buildApp, type BuildAppOptions, type ConfigOverrides } from '../src/app'
import type { Timers } from '../src/timers'

/** A fresh temporary directory (for DATA_DIR). Remove it with {@link removeDir}. */
export function tempDir(prefix = 'relay-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/** A pino destination keeping the relay's JSON log lines (pass `{ level, stream }` as `logger`). */
export interface CapturedLog {
  stream: Writable
  /** Every line written so far, parsed. */
  records(): Array<Record<string, unknown> & { msg: string }>
}

export function captureLog(): CapturedLog {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''))
      done()
    },
  })
  return { stream, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown> & { msg: string }) }
}

export interface StartedRelay {
  app: FastifyInstance
  store: DocStore
  dataDir: string
  port: number
  /** `http://127.0.0.1:<port>` */
  httpUrl: string
  /** `ws://127.0.0.1:<port>/sync`: pass to `new WebsocketProvider(syncUrl, docId, doc)`. */
  syncUrl: string
  /** Closes the app (flush, 1012 to sockets) and then the store; the data dir stays. */
  close(): Promise<void>
}

export interface StartRelayOptions {
  /** Existing data dir (e.g. to restart on the same data); default: a new temp dir. */
  dataDir?: string
  /** Use this store instead of opening SQLite under dataDir (e.g. a slow or failing wrapper). */
  store?: DocStore
  /** Wraps the opened SQLite store (e.g. to delay loads); ignored when `store` is given. */
  wrapStore?: (store: DocStore) => DocStore
  config?: ConfigOverrides
  timers?: Timers
  /** Fastify logger option; default false (silent). */
  logger?: BuildAppOptions['logger']
}

/** Test-friendly config: short flush and unload delays, no web app. */
export const TEST_CONFIG: ConfigOverrides = {
  flushIntervalMs: 10,
  roomUnloadDelayMs: 20,
  awarenessFlushMs: 20,
  storageRetryMs: 20,
  webDistDir: '/nonexistent-web-dist',
}

/** Builds the relay over real SQLite (unless `store` is given) and listens on 127.0.0.1:0. */
export async function startRelay(options: StartRelayOptions = {}): Promise<StartedRelay> {
  const dataDir = options.dataDir ?? tempDir()
  let store = options.store
  if (store === undefined) {
    const sqlite = await openDocStore({ dataDir })
    store = options.wrapStore ? options.wrapStore(sqlite) : sqlite
  }
  const app = await buildApp({
    store,
    config: { ...TEST_CONFIG, ...options.config },
    logger: options.logger ?? false,
    ...(options.timers ? { timers: options.timers } : {}),
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('relay did not bind a TCP port')
  const port = address.port
  const openStore = store
  let closed = false
  return {
    app,
    store: openStore,
    dataDir,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    syncUrl: `ws://127.0.0.1:${port}/sync`,
    async close() {
      if (closed) return
      closed = true
      await app.close()
      await openStore.close()
    },
  }
}

export interface TestClient {
  doc: Y.Doc
  provider: WebsocketProvider
  /** Disconnects and destroys provider and doc. */
  destroy(): void
}

export interface ConnectOptions {
  doc?: Y.Doc
  /** Initial awareness state; null leaves the client without presence. */
  awarenessState?: Record<string, unknown> | null
  /** Max reconnect backoff; default 100 ms so reconnect tests stay fast. */
  maxBackoffTimeMs?: number
  connect?: boolean
  params?: Record<string, string>
}

/**
 * A stock y-websocket 3 provider in Node (`ws` as WebSocket, BroadcastChannel disabled so two
 * providers in one process can only sync through the relay).
 */
export function connectClient(syncUrl: string, docId: string, options: ConnectOptions = {}): TestClient {
  const doc = options.doc ?? new Y.Doc()
  const provider = new WebsocketProvider(syncUrl, docId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: options.maxBackoffTimeMs ?? 100,
    connect: options.connect ?? true,
    params: options.params ?? {},
  })
  let destroyed = false
  if (options.awarenessState === null) provider.awareness.setLocalState(null)
  else if (options.awarenessState !== undefined) provider.awareness.setLocalState(options.awarenessState)
  return {
    doc,
    provider,
    destroy() {
      // Idempotent: a test may destroy a client that useRelayPerTest destroys again afterwards.
      if (destroyed) return
      destroyed = true
      provider.destroy()
      doc.destroy()
    },
  }
}

export interface WaitOptions {
  timeoutMs?: number
  intervalMs?: number
  /** Describes what was awaited, for the timeout error. */
  message?: string
}

/** Polls `check` until it returns a truthy value (returned) or the deadline passes (throws). */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5_000
  const intervalMs = options.intervalMs ?? 5
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${options.message ?? 'condition'}${detail}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Resolves once the provider has completed its first sync with the relay. */
export async function waitForSync(provider: WebsocketProvider, timeoutMs = 5_000): Promise<void> {
  await waitFor(() => provider.synced, { timeoutMs, message: `provider ${provider.roomname} to sync` })
}

/** Text of `ydoc.getText(name)`. */
export function textOf(doc: Y.Doc, name = 'text'): string {
  return doc.getText(name).toString()
}

/** A raw WebSocket (no Yjs) that records frames and its close event. */
export interface RawClient {
  socket: WebSocket
  /** Binary frames received so far. */
  frames: Uint8Array[]
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>
  send(frame: Uint8Array | number[]): void
}

/** Opens a raw socket to `${syncUrl}/${docId}`; rejects if the upgrade is refused. */
export function openRawClient(syncUrl: string, docId: string): Promise<RawClient> {
  const socket = new WebSocket(`${syncUrl}/${docId}`)
  const frames: Uint8Array[] = []
  socket.binaryType = 'nodebuffer'
  socket.on('message', (data: Buffer) => frames.push(new Uint8Array(data)))
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      // Later errors (e.g. a reset after the relay terminated us) show up in `closed`.
      socket.on('error', () => {})
      resolve({
        socket,
        frames,
        closed,
        send: (frame) => socket.send(frame instanceof Uint8Array ? frame : Uint8Array.from(frame)),
      })
    })
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        reject(new Error(`upgrade refused with HTTP ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8')}`))
        socket.terminate()
      })
    })
    socket.once('error', reject)
  })
}

/** Fetches JSON from the relay's HTTP API. */
export async function getJson<T = unknown>(relay: StartedRelay, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${relay.httpUrl}${path}`)
  return { status: response.status, body: (await response.json()) as T }
}

/** A gate that async code can wait at; open lets everyone through until closed again. */
export class Gate {
  private opened = true
  private waiters: Array<() => void> = []
  /** Calls currently waiting. */
  get waiting(): number {
    return this.waiters.length
  }
  close(): void {
    this.opened = false
  }
  open(): void {
    this.opened = true
    for (const resolve of this.waiters.splice(0)) resolve()
  }
  async pass(): Promise<void> {
    if (this.opened) return
    await new Promise<void>((resolve) => this.waiters.push(resolve))
  }
}

/**
 * Wraps a real store so tests can hold loads/appends at a gate, make appends fail, and count
 * calls. Everything else goes straight to the inner store.
 */
export class ControllableStore implements DocStore {
  readonly loadGate = new Gate()
  readonly appendGate = new Gate()
  loadCalls = 0
  appendCalls = 0
  /** When set, append rejects with this error (after passing the gate). */
  appendError: Error | null = null

  constructor(readonly inner: DocStore) {}

  async load(docId: string) {
    this.loadCalls++
    await this.loadGate.pass()
    return this.inner.load(docId)
  }
  async append(docId: string, updates: readonly Uint8Array[]) {
    this.appendCalls++
    await this.appendGate.pass()
    if (this.appendError) throw this.appendError
    return this.inner.append(docId, updates)
  }
  replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number) {
    return this.inner.replaceSnapshot(docId, snapshot, upToSeq)
  }
  stats(docId: string) {
    return this.inner.stats(docId)
  }
  list(options?: { limit?: number; offset?: number }) {
    return this.inner.list(options)
  }
  delete(docId: string) {
    return this.inner.delete(docId)
  }
  close() {
    return this.inner.close()
  }
}

/** What a fresh load from the store yields, as a Y.Doc. */
export async function loadStoredDoc(store: DocStore, docId: string): Promise<Y.Doc> {
  const stored = await store.load(docId)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const update of stored.updates) Y.applyUpdate(doc, update)
  return doc
}

/** A relay per test with its clients, torn down after each test of the calling suite. */
export interface RelayPerTest {
  /** The running relay; throws when `start` has not been called in this test. */
  readonly relay: StartedRelay
  start(options?: StartRelayOptions): Promise<StartedRelay>
  /** A stock provider on the relay, destroyed after the test. */
  client(docId: string, options?: ConnectOptions): TestClient
  /** Anything else to stop after the test (raw sockets …). */
  onCleanup(cleanup: () => void): void
}

/** Call inside `describe`: registers the afterEach that closes the relay, clients and data dir. */
export function useRelayPerTest(): RelayPerTest {
  let current: StartedRelay | undefined
  const cleanups: (() => void)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup()
    await current?.close()
    if (current) removeDir(current.dataDir)
    current = undefined
  })
  return {
    get relay() {
      if (current === undefined) throw new Error('useRelayPerTest: start() the relay first')
      return current
    },
    async start(options) {
      current = await startRelay(options)
      return current
    },
    client(docId, options) {
      const created = connectClient(this.relay.syncUrl, docId, options)
      cleanups.push(() => created.destroy())
      return created
    },
    onCleanup(cleanup) {
      cleanups.push(cleanup)
    },
  }
}
