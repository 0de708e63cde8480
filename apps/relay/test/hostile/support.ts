// What every hostile-client test shares: an honest pair of stock clients that must keep syncing
// through the attack, a hash of the room's document to prove the attack changed nothing, raw
// sockets that speak WebSocket by hand (fragments, silence, slow reading), crafted Yjs updates,
// and the per-case measurements (worst event-loop block, peak RSS) written to
// bench-results/hostile.json.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as encoding from 'lib0/encoding'
import { expect } from 'vitest'
import * as Y from 'yjs'
import { connectClient, getJson, textOf, waitFor, waitForSync, type ConnectOptions, type StartedRelay, type TestClient } from '../helpers'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')

/** SHA-256 of a document's full state and state vector: equal hashes, equal documents. */
export function docHash(doc: Y.Doc): string {
  return createHash('sha256').update(Y.encodeStateAsUpdate(doc)).update(Y.encodeStateVector(doc)).digest('hex')
}

/** The relay's live document for `docId` (in-process relays). */
export function roomDoc(relay: StartedRelay, docId: string): Y.Doc {
  const room = relay.app.relay.rooms.get(docId)
  if (room === undefined) throw new Error(`no open room ${docId}`)
  return room.doc
}

export function roomHash(relay: StartedRelay, docId: string): string {
  return docHash(roomDoc(relay, docId))
}

/** `GET /healthz` answers 200: the process (and its event loop) is alive. */
export async function expectAlive(relay: StartedRelay): Promise<{ rooms: number; connections: number }> {
  const { status, body } = await getJson<{ status: string; rooms: number; connections: number }>(relay, '/healthz')
  expect(status).toBe(200)
  expect(body.status).toBe('ok')
  return body
}

/** Two stock y-websocket clients on one document, synced, with a first edit exchanged. */
export class HonestPair {
  private edits = 0

  private constructor(
    readonly a: TestClient,
    readonly b: TestClient,
    readonly docId: string,
  ) {}

  static async connect(syncUrl: string, docId: string, options: ConnectOptions = {}, optionsB: ConnectOptions = options): Promise<HonestPair> {
    const a = connectClient(syncUrl, docId, { awarenessState: { user: 'a' }, ...options })
    const b = connectClient(syncUrl, docId, { awarenessState: { user: 'b' }, ...optionsB })
    const pair = new HonestPair(a, b, docId)
    await Promise.all([waitForSync(a.provider, 10_000), waitForSync(b.provider, 10_000)])
    await pair.keepsSyncing('before the attack')
    return pair
  }

  /** Two clients that are already connected and synced. */
  static adopt(a: TestClient, b: TestClient, docId: string): HonestPair {
    return new HonestPair(a, b, docId)
  }

  /**
   * One edit each way arrives at the other client (waited with a deadline, not timed). Edits
   * append to the text so concurrent ones never interleave.
   */
  async keepsSyncing(label: string, timeoutMs = 15_000): Promise<void> {
    for (const [from, to] of [
      [this.a, this.b],
      [this.b, this.a],
    ] as const) {
      const token = `<${label}#${++this.edits}>`
      const text = from.doc.getText('text')
      text.insert(text.length, token)
      await waitFor(() => textOf(to.doc).includes(token), { timeoutMs, message: `honest edit ${token} to reach the other client` })
    }
    expect(this.a.provider.wsconnected && this.b.provider.wsconnected).toBe(true)
  }

  destroy(): void {
    this.a.destroy()
    this.b.destroy()
  }
}

// ---------------------------------------------------------------------------------------------
// Raw WebSocket by hand: frames, fragments, a peer that never reads or never answers pings.

export interface RawSocket {
  socket: net.Socket
  /** Bytes received after the 101 response. */
  received(): Buffer
  /** Close code from the first close frame the relay sent, once it did. */
  closeCode(): number | null
  /** Resolves when the TCP connection is gone. */
  ended: Promise<void>
}

/** One client frame (masked, as RFC 6455 requires of clients). */
export function wsFrame(opcode: number, payload: Uint8Array, fin = true): Buffer {
  const length = payload.length
  const header: number[] = [(fin ? 0x80 : 0) | opcode]
  if (length < 126) header.push(0x80 | length)
  else if (length < 65_536) header.push(0x80 | 126, length >> 8, length & 0xff)
  else {
    header.push(0x80 | 127, 0, 0, 0, 0)
    header.push((length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff)
  }
  const mask = randomBytes(4)
  const masked = Buffer.alloc(length)
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i & 3]!
  return Buffer.concat([Buffer.from(header), mask, masked])
}

/** Opens a TCP connection and sends `request` as is (for slow or malformed upgrades). */
export function rawTcp(port: number): Promise<net.Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolveSocket(socket))
    socket.once('error', reject)
  })
}

/** Completes a WebSocket upgrade by hand; the returned socket is raw TCP from then on. */
export async function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  const socket = await rawTcp(port)
  socket.on('error', () => {})
  const key = randomBytes(16).toString('base64')
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ]
  socket.write(lines.join('\r\n'))
  let buffer = Buffer.alloc(0)
  let upgraded = false
  let closeCode: number | null = null
  const ended = new Promise<void>((resolveEnded) => socket.once('close', () => resolveEnded()))
  await new Promise<void>((resolveUpgrade, reject) => {
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk])
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buffer.subarray(0, end).toString('latin1')
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy()
          reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
          return
        }
        upgraded = true
        buffer = buffer.subarray(end + 4)
        resolveUpgrade()
      }
      closeCode ??= findCloseCode(buffer)
    }
    socket.on('data', onData)
    socket.once('close', () => reject(new Error('connection closed during the upgrade')))
  })
  return { socket, received: () => buffer, closeCode: () => (closeCode ??= findCloseCode(buffer)), ended }
}

/** Walks server frames (unmasked) and returns the code of the first close frame. */
function findCloseCode(bytes: Buffer): number | null {
  let offset = 0
  while (offset + 2 <= bytes.length) {
    const opcode = bytes[offset]! & 0x0f
    let length = bytes[offset + 1]! & 0x7f
    let headerBytes = 2
    if (length === 126) {
      if (offset + 4 > bytes.length) return null
      length = bytes.readUInt16BE(offset + 2)
      headerBytes = 4
    } else if (length === 127) {
      if (offset + 10 > bytes.length) return null
      length = Number(bytes.readBigUInt64BE(offset + 2))
      headerBytes = 10
    }
    if (offset + headerBytes + length > bytes.length) return null
    if (opcode === 0x8) return length >= 2 ? bytes.readUInt16BE(offset + headerBytes) : 1005
    offset += headerBytes + length
  }
  return null
}

// ---------------------------------------------------------------------------------------------
// Crafted updates (Yjs update encoding v1, written by hand).

export interface CraftedItem {
  origin?: readonly [number, number]
  right?: readonly [number, number]
  /** Root type name, when neither origin nor right is given. */
  parentKey?: string
  /** Map key (with parentKey). */
  parentSub?: string
  text: string
}

/** A v1 update with string items per client section, and an optional delete set. */
export function craftUpdate(
  sections: ReadonlyArray<{ client: number; clock: number; items: readonly CraftedItem[] }>,
  deletes: ReadonlyArray<{ client: number; clock: number; len: number }> = [],
): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, sections.length)
  for (const section of sections) {
    encoding.writeVarUint(encoder, section.items.length)
    encoding.writeVarUint(encoder, section.client)
    encoding.writeVarUint(encoder, section.clock)
    for (const item of section.items) {
      let info = 4 // ContentString
      if (item.origin) info |= 0x80
      if (item.right) info |= 0x40
      if (!item.origin && !item.right && item.parentSub !== undefined) info |= 0x20
      encoding.writeUint8(encoder, info)
      if (item.origin) {
        encoding.writeVarUint(encoder, item.origin[0])
        encoding.writeVarUint(encoder, item.origin[1])
      }
      if (item.right) {
        encoding.writeVarUint(encoder, item.right[0])
        encoding.writeVarUint(encoder, item.right[1])
      }
      if (!item.origin && !item.right) {
        encoding.writeVarUint(encoder, 1) // parent is a root type, by name
        encoding.writeVarString(encoder, item.parentKey ?? 'text')
        if (item.parentSub !== undefined) encoding.writeVarString(encoder, item.parentSub)
      }
      encoding.writeVarString(encoder, item.text)
    }
  }
  const byClient = new Map<number, Array<{ clock: number; len: number }>>()
  for (const range of deletes) byClient.set(range.client, [...(byClient.get(range.client) ?? []), range])
  encoding.writeVarUint(encoder, byClient.size)
  for (const [client, ranges] of byClient) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, ranges.length)
    for (const range of ranges) {
      encoding.writeVarUint(encoder, range.clock)
      encoding.writeVarUint(encoder, range.len)
    }
  }
  return encoding.toUint8Array(encoder)
}

/** `count` fresh clients (ids from `firstClient`) each setting map key `key` of root `map` once. */
export function conflictBomb(firstClient: number, count: number, map = 'bomb', key = 'k'): Uint8Array {
  return craftUpdate(
    Array.from({ length: count }, (_, i) => ({
      client: firstClient + i,
      clock: 0,
      items: [{ parentKey: map, parentSub: key, text: 'x' }],
    })),
  )
}

// ---------------------------------------------------------------------------------------------
// Measurements: worst event-loop block and peak RSS per case, written to bench-results/hostile.json.

export interface CaseMeasurement {
  case: number
  title: string
  /** Longest event-loop block during the attack, in ms (monitorEventLoopDelay max). */
  worstBlockMs: number
  /** Highest resident set size sampled during the attack, in MiB. */
  peakRssMiB: number
  /** Where the relay ran: in the test process, or as its own process. */
  relay: 'in-process' | 'child-process'
  outcome: string
}

/** Samples the event loop and RSS of this process (the relay runs in it) while an attack runs. */
export class InProcessProbe {
  private readonly histogram = monitorEventLoopDelay({ resolution: 5 })
  private peakRss = process.memoryUsage.rss()
  private readonly sampler: NodeJS.Timeout

  constructor() {
    this.histogram.enable()
    this.sampler = setInterval(() => this.sample(), 10)
  }

  private sample(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss())
  }

  stop(): { worstBlockMs: number; peakRssMiB: number } {
    this.sample()
    clearInterval(this.sampler)
    this.histogram.disable()
    return { worstBlockMs: round(this.histogram.max / 1e6), peakRssMiB: round(this.peakRss / 2 ** 20) }
  }
}

export function round(value: number): number {
  return Math.round(value * 10) / 10
}

/** Per test file: measurements collected while it runs, written by {@link writeMeasurements}. */
export class MeasurementLog {
  private readonly cases: CaseMeasurement[] = []

  constructor(private readonly group: string) {}

  /** Runs `attack` under an in-process probe and records the case. Returns what `attack` returned. */
  async measure<T>(caseNumber: number, title: string, attack: () => Promise<T>, outcome: (value: T) => string = () => 'refused as documented'): Promise<T> {
    const probe = new InProcessProbe()
    let value: T
    try {
      value = await attack()
    } finally {
      const measured = probe.stop()
      this.cases.push({ case: caseNumber, title, ...measured, relay: 'in-process', outcome: 'failed' })
    }
    this.cases[this.cases.length - 1]!.outcome = outcome(value)
    return value
  }

  record(measurement: CaseMeasurement): void {
    this.cases.push(measurement)
  }

  /** Writes this file's part and merges every part into bench-results/hostile.json. */
  write(): void {
    if (this.cases.length === 0) return
    const partsDir = join(repoRoot, 'bench-results', 'hostile-parts')
    mkdirSync(partsDir, { recursive: true })
    atomicWrite(join(partsDir, `${this.group}.json`), JSON.stringify(this.cases, null, 2))
    const all: CaseMeasurement[] = []
    for (const name of readdirSync(partsDir).filter((file) => file.endsWith('.json')).sort()) {
      try {
        all.push(...(JSON.parse(readFileSync(join(partsDir, name), 'utf8')) as CaseMeasurement[]))
      } catch {
        // a part being rewritten by another worker right now; its own merge includes it
      }
    }
    all.sort((x, y) => x.case - y.case || x.title.localeCompare(y.title))
    const result = {
      name: 'hostile',
      note: 'Per attack case: the worst event-loop block (ms) and peak RSS (MiB) observed while it ran. ' +
        'In-process cases measure the test process, which hosts the relay and the attacking clients; ' +
        'child-process cases measure the relay process alone (block = relay_event_loop_delay_max_seconds).',
      node: process.version,
      writtenAt: new Date().toISOString(),
      cases: all,
    }
    atomicWrite(join(repoRoot, 'bench-results', 'hostile.json'), `${JSON.stringify(result, null, 2)}\n`)
  }
}

function atomicWrite(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`
  writeFileSync(temporary, text)
  renameSync(temporary, path)
}

/** Waits for a relay-side condition with the standard deadline. */
export async function eventually<T>(check: () => T | Promise<T>, message: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  return await waitFor(check, { timeoutMs, message })
}

export interface CaseOptions {
  log: MeasurementLog
  relay: StartedRelay
  caseNumber: number
  title: string
  docId: string
  /** Performs the attack and asserts its documented refusal; returns what happened, for the log. */
  attack(pair: HonestPair): Promise<string>
  /** The attack may legitimately change the document (e.g. accepted rounds before the refused one). */
  documentMayChange?: boolean
  pairOptions?: ConnectOptions
}

/**
 * The four assertions every case makes: the attack's documented refusal (inside `attack`), the
 * relay alive (`/healthz`), the document unchanged (hash of the room's state before and after),
 * and the honest pair, connected throughout, still syncing afterwards.
 */
export async function runCase(options: CaseOptions): Promise<void> {
  const { relay, docId } = options
  const pair = await HonestPair.connect(relay.syncUrl, docId, options.pairOptions)
  try {
    const before = roomHash(relay, docId)
    await options.log.measure(options.caseNumber, options.title, () => options.attack(pair), (outcome) => outcome)
    await expectAlive(relay)
    if (!options.documentMayChange) expect(roomHash(relay, docId), 'the attack changed the document').toBe(before)
    await pair.keepsSyncing(`after case ${options.caseNumber}`)
  } finally {
    pair.destroy()
  }
}

/** The HTTP status a WebSocket upgrade gets: 101 when it opened (the socket is closed again). */
export async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { default: WebSocket } = await import('ws')
  return await new Promise((resolveStatus, reject) => {
    const socket = new WebSocket(url, { headers })
    socket.once('open', () => {
      socket.close()
      resolveStatus({ status: 101, body: '' })
    })
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        resolveStatus({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })
        socket.terminate()
      })
    })
    socket.once('error', (error) => {
      if (socket.readyState !== socket.CLOSED) reject(error)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Child-process relays (test/process): RSS from /proc, event-loop block from /metrics.

/** What the probe needs of a relay process (test/process/relay-process.ts). */
export interface ProbedProcess {
  readonly pid: number | null
  readonly httpUrl: string
}

/** `VmRSS` of a process in bytes, or 0 when it is gone. */
export function processRssBytes(pid: number | null): number {
  if (pid === null) return 0
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status)
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

/** Open file descriptors of a process (Linux). */
export function processFdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** Reads one metric value from the relay's `/metrics`. */
export async function scrapeMetric(httpUrl: string, name: string): Promise<number | null> {
  try {
    const response = await fetch(`${httpUrl}/metrics`)
    const text = await response.text()
    const match = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)
    return match ? Number(match[1]) : null
  } catch {
    return null
  }
}

/**
 * Measures a relay child process during an attack: peak RSS sampled every 20 ms (across restarts:
 * the pid is read each time) and the worst event-loop block its /metrics reported at each
 * checkpoint (`relay_event_loop_delay_max_seconds` resets at every scrape).
 */
export class ChildProbe {
  private peakRss = 0
  private worstBlockSeconds = 0
  private readonly sampler: NodeJS.Timeout

  private constructor(private readonly relay: ProbedProcess) {
    this.sampler = setInterval(() => {
      this.peakRss = Math.max(this.peakRss, processRssBytes(this.relay.pid))
    }, 20)
  }

  static async start(relay: ProbedProcess): Promise<ChildProbe> {
    await scrapeMetric(relay.httpUrl, 'relay_event_loop_delay_max_seconds') // resets the max
    return new ChildProbe(relay)
  }

  /** Reads (and resets) the relay's max block so far; call before killing it. */
  async checkpoint(): Promise<void> {
    const seconds = await scrapeMetric(this.relay.httpUrl, 'relay_event_loop_delay_max_seconds')
    if (seconds !== null) this.worstBlockSeconds = Math.max(this.worstBlockSeconds, seconds)
  }

  async stop(): Promise<{ worstBlockMs: number; peakRssMiB: number }> {
    await this.checkpoint()
    clearInterval(this.sampler)
    this.peakRss = Math.max(this.peakRss, processRssBytes(this.relay.pid))
    return { worstBlockMs: round(this.worstBlockSeconds * 1000), peakRssMiB: round(this.peakRss / 2 ** 20) }
  }
}
