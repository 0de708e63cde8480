// Seeded fuzz of the strict apply path: honest updates with a few bytes mutated, sent through a
// real Room. Whatever a mutation does, the room never keeps pending structs, never throws out of
// the handler (1011), and a refused update changes nothing. Reproduce with GATE_FUZZ_SEED=<seed>.
import { CloseCode, DEFAULT_LIMITS, encodeSyncUpdate, decodeFrame } from '@collab/protocol'
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import * as Y from 'yjs'
import { ManualTimers } from '../../test/manual-timers'
import { MemoryDocStore } from '../../test/memory-store'
import { recordingLogger } from '../../test/recording-logger'
import { Connection } from '../connection/connection'
import { Room } from './room'

const randomSeed = Number(process.env['GATE_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31))
const ITERATIONS = 1_500

function fakeSocket(): { socket: WebSocket; closedWith: () => number | null } {
  let closedWith: number | null = null
  const socket = {
    readyState: 1,
    OPEN: 1,
    CONNECTING: 0,
    extensions: '',
    bufferedAmount: 0,
    send() {},
    close(code: number) {
      closedWith = code
      this.readyState = 3
    },
    terminate() {
      this.readyState = 3
    },
  }
  return { socket: socket as unknown as WebSocket, closedWith: () => closedWith }
}

function baseState(): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 100
  doc.getText('t').insert(0, 'hello world base text')
  doc.getMap('m').set('a', 1)
  const other = new Y.Doc()
  other.clientID = 200
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
  other.getText('t').insert(5, ' there')
  other.getText('t').delete(0, 2)
  const paragraph = new Y.XmlElement('p')
  other.getXmlFragment('x').insert(0, [paragraph])
  paragraph.setAttribute('k', 'v')
  paragraph.insert(0, [new Y.XmlText('hi')])
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
  return Y.encodeStateAsUpdate(doc)
}

function honestUpdate(gen: prng.PRNG, base: Uint8Array): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = 300 + prng.uint32(gen, 0, 5)
  Y.applyUpdate(doc, base)
  const sv = Y.encodeStateVector(doc)
  const text = doc.getText('t')
  for (let i = prng.uint32(gen, 1, 4); i > 0; i--) {
    switch (prng.uint32(gen, 0, 3)) {
      case 0:
        text.insert(prng.uint32(gen, 0, text.length), prng.word(gen, 1, 6))
        break
      case 1:
        if (text.length > 2) text.delete(prng.uint32(gen, 0, text.length - 2), 1)
        break
      case 2:
        doc.getMap('m').set(prng.word(gen, 1, 2), prng.uint32(gen, 0, 9))
        break
      default: {
        const paragraph = doc.getXmlFragment('x').get(0) as Y.XmlElement
        paragraph.setAttribute('k', prng.word(gen))
        ;(paragraph.get(0) as Y.XmlText).insert(0, 'z')
      }
    }
  }
  return Y.encodeStateAsUpdate(doc, sv)
}

function mutate(gen: prng.PRNG, update: Uint8Array): Uint8Array {
  const bytes = Array.from(update)
  for (let i = prng.uint32(gen, 1, 3); i > 0; i--) {
    const at = prng.uint32(gen, 0, Math.max(0, bytes.length - 1))
    switch (prng.uint32(gen, 0, 3)) {
      case 0:
        bytes[at] = prng.uint32(gen, 0, 255)
        break
      case 1:
        bytes.splice(at, 1)
        break
      case 2:
        bytes.splice(at, 0, prng.uint32(gen, 0, 255))
        break
      default:
        bytes[at] = (bytes[at]! + prng.int32(gen, -3, 3)) & 0xff
    }
  }
  return Uint8Array.from(bytes)
}

async function fuzz(seed: number): Promise<Record<string, number>> {
  const gen = prng.create(seed)
  const store = new MemoryDocStore()
  const base = baseState()
  await store.append('doc', [base])
  const timers = new ManualTimers()
  const room = new Room(
    'doc',
    {
      store,
      timers,
      logger: recordingLogger(),
      limits: { ...DEFAULT_LIMITS },
      flushIntervalMs: 50,
      flushMaxBatchBytes: 1_000_000,
      storageRetryMs: 100,
      compaction: { maxLogEntries: 1_000_000, maxLogBytes: 1_000_000_000 },
      awarenessFlushMs: 50,
      awarenessMaxStatesPerSecond: 200,
      unloadDelayMs: 60_000,
    },
    () => {},
  )
  const observer = new Connection(fakeSocket().socket, 'doc', '127.0.0.1')
  room.join(observer)
  await timers.advance(0)
  const outcomes: Record<string, number> = {}
  for (let i = 0; i < ITERATIONS; i++) {
    const update = mutate(gen, honestUpdate(gen, base))
    const { socket, closedWith } = fakeSocket()
    const sender = new Connection(socket, 'doc', '127.0.0.1')
    room.join(sender)
    const before = Y.encodeStateAsUpdate(room.doc)
    room.receive(sender, decodeFrame(encodeSyncUpdate(update)))
    const code = closedWith()
    const key = code === null ? 'accepted-or-held' : String(code)
    outcomes[key] = (outcomes[key] ?? 0) + 1
    const where = `seed ${seed}, iteration ${i}, update [${Array.from(update).join(',')}]`
    expect(code, where).not.toBe(CloseCode.InternalError)
    expect(room.state, where).toBe('ready') // never reset: every failure was caught before applying
    expect(room.doc.store.pendingStructs, where).toBeNull()
    expect(room.doc.store.pendingDs, where).toBeNull()
    if (code !== null) expect(Y.encodeStateAsUpdate(room.doc), where).toEqual(before)
    room.leave(sender)
  }
  // What was accepted is sound: it encodes and loads back to the same state, nothing pending.
  const reloaded = new Y.Doc()
  Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(room.doc))
  expect(Y.encodeStateVector(reloaded)).toEqual(Y.encodeStateVector(room.doc))
  expect(reloaded.store.pendingStructs).toBeNull()
  return outcomes
}

describe('strict apply under mutated updates', () => {
  for (const seed of [1, 7, 2024]) {
    it(`never half-applies, never keeps pending structs (pinned seed ${seed})`, async () => {
      const outcomes = await fuzz(seed)
      expect(outcomes[String(CloseCode.InvalidUpdate)]).toBeGreaterThan(0)
    })
  }
  it(`never half-applies, never keeps pending structs (GATE_FUZZ_SEED=${randomSeed})`, async () => {
    await fuzz(randomSeed)
  })
})
