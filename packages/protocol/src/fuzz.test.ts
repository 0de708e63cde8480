import * as prng from 'lib0/prng'
import * as awarenessProtocol from 'y-protocols/awareness'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { parseAwarenessEntries } from './awareness'
import {
  encodeAwareness,
  encodePermissionDenied,
  encodeSavedStateVector,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
} from './encode'
import { ProtocolError } from './errors'
import { decodeFrame } from './frame'
import { DEFAULT_LIMITS } from './limits'
import { validateUpdate } from './validate-update'

// Reproduce a failure with PROTOCOL_FUZZ_SEED=<seed printed in the test name>.
const randomSeed = Number(process.env.PROTOCOL_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
const pinnedSeeds = [1, 42, 1337]
const iterations = 4_000

function validFrames(): Uint8Array[] {
  const doc = new Y.Doc()
  const text = doc.getText('t')
  text.insert(0, 'hello fuzzy world')
  text.delete(2, 5)
  doc.getMap('m').set('k', { nested: [1, 'two', null] })
  const awareness = new awarenessProtocol.Awareness(doc)
  awareness.setLocalState({ user: { name: 'fuzz', color: '#123456' } })
  const frames = [
    encodeSyncStep1(Y.encodeStateVector(doc)),
    encodeSyncStep2(Y.encodeStateAsUpdate(doc)),
    encodeSyncUpdate(Y.encodeStateAsUpdate(doc)),
    encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])),
    encodePermissionDenied('denied'),
    encodeSavedStateVector(Y.encodeStateVector(doc)),
    Uint8Array.of(3),
    Uint8Array.of(100),
  ]
  awareness.destroy()
  return frames
}

function mutate(gen: prng.PRNG, frame: Uint8Array): Uint8Array {
  const bytes = Array.from(frame)
  const edits = prng.uint32(gen, 1, 4)
  for (let i = 0; i < edits; i++) {
    const position = prng.uint32(gen, 0, Math.max(0, bytes.length - 1))
    switch (prng.uint32(gen, 0, 4)) {
      case 0:
        bytes[position] = prng.uint32(gen, 0, 255)
        break
      case 1:
        bytes.splice(position, prng.uint32(gen, 1, 4))
        break
      case 2:
        bytes.splice(position, 0, prng.uint32(gen, 0, 255))
        break
      case 3:
        bytes.length = position
        break
      default:
        bytes.push(...prng.uint8Array(gen, prng.uint32(gen, 1, 8)))
    }
  }
  return Uint8Array.from(bytes)
}

function randomFrame(gen: prng.PRNG): Uint8Array {
  const length = prng.uint32(gen, 0, 48)
  const bytes = prng.uint8Array(gen, length)
  if (length > 0 && prng.bool(gen)) bytes[0] = prng.oneOf(gen, [0, 1, 2, 3, 100])
  if (length > 1 && bytes[0] === 0 && prng.bool(gen)) bytes[1] = prng.uint32(gen, 0, 2)
  return bytes
}

/** Decodes and validates like the relay does; returns the error if one was thrown. */
function decodeLikeTheRelay(frame: Uint8Array): unknown {
  try {
    const decoded = decodeFrame(frame)
    switch (decoded.type) {
      case 'sync-step2':
      case 'sync-update':
        validateUpdate(decoded.update, DEFAULT_LIMITS)
        break
      case 'awareness':
        parseAwarenessEntries(decoded.entries, DEFAULT_LIMITS)
        break
      case 'sync-step1':
      case 'saved-state-vector':
        // The relay hands a step 1's state vector straight to Yjs; it must never throw there.
        Y.encodeStateAsUpdate(new Y.Doc(), decoded.stateVector)
        break
      case 'auth-permission-denied':
      case 'query-awareness':
      case 'saved-state-vector-request':
        break
    }
    return null
  } catch (error) {
    return error
  }
}

function validUpdates(): Uint8Array[] {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, 'abcdefghij')
  doc.getText('t').delete(3, 4)
  doc.getArray('a').insert(0, [1, { x: [true, 'y'] }, new Uint8Array([1, 2])])
  doc.getXmlFragment('prosemirror').insert(0, [new Y.XmlElement('paragraph')])
  return [Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc)]
}

function fuzz(seed: number): void {
  const gen = prng.create(seed)
  const seeds = validFrames()
  const updates = validUpdates()
  for (let i = 0; i < iterations; i++) {
    const kind = prng.uint32(gen, 0, 2)
    const frame =
      kind === 0
        ? randomFrame(gen)
        : kind === 1
          ? mutate(gen, prng.oneOf(gen, seeds))
          : // a well-framed message around a corrupted update or state vector
            (prng.bool(gen) ? encodeSyncUpdate : encodeSyncStep1)(mutate(gen, prng.oneOf(gen, updates)))
    const error = decodeLikeTheRelay(frame)
    if (error !== null && !(error instanceof ProtocolError)) {
      throw new Error(
        `seed ${seed}, iteration ${i}: frame [${Array.from(frame).join(', ')}] threw ${String(error)}`,
      )
    }
  }
}

describe('decodeFrame + validation fuzz', () => {
  for (const seed of pinnedSeeds) {
    it(`throws nothing but ProtocolError (pinned seed ${seed})`, () => fuzz(seed))
  }
  it(`throws nothing but ProtocolError (seed ${randomSeed})`, () => fuzz(randomSeed))

  it('refuses every truncation of every valid frame or decodes it exactly', () => {
    for (const frame of validFrames()) {
      for (let length = 0; length < frame.length; length++) {
        const error = decodeLikeTheRelay(frame.slice(0, length))
        expect(error === null || error instanceof ProtocolError).toBe(true)
      }
    }
  })
})
