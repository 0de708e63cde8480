import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as authProtocol from 'y-protocols/auth'
import * as syncProtocol from 'y-protocols/sync'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode } from './close-code'
import {
  encodeAwareness,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSavedStateVector,
  encodeSavedStateVectorRequest,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
} from './encode'
import { MalformedFrameError, ProtocolError, UnknownMessageTypeError } from './errors'
import { decodeFrame } from './frame'

function docWithText(text: string): Y.Doc {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, text)
  return doc
}

function refusal(bytes: number[] | Uint8Array): ProtocolError {
  try {
    decodeFrame(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes))
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError)
    return error as ProtocolError
  }
  throw new Error(`expected a refusal for [${Array.from(bytes).join(', ')}]`)
}

describe('decodeFrame round-trips', () => {
  const doc = docWithText('hello')
  const sv = Y.encodeStateVector(doc)
  const update = Y.encodeStateAsUpdate(doc)

  it('sync step 1', () => {
    expect(decodeFrame(encodeSyncStep1(sv))).toEqual({ type: 'sync-step1', stateVector: sv })
  })
  it('sync step 1 with an empty state vector', () => {
    const empty = Y.encodeStateVector(new Y.Doc())
    expect(decodeFrame(encodeSyncStep1(empty))).toEqual({ type: 'sync-step1', stateVector: empty })
  })
  it('sync step 2', () => {
    expect(decodeFrame(encodeSyncStep2(update))).toEqual({ type: 'sync-step2', update })
  })
  it('sync update', () => {
    expect(decodeFrame(encodeSyncUpdate(update))).toEqual({ type: 'sync-update', update })
  })
  it('awareness', () => {
    const awareness = new awarenessProtocol.Awareness(doc)
    awareness.setLocalState({ user: { name: 'Ada', color: '#ff0000' } })
    const payload = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID])
    const frame = decodeFrame(encodeAwareness(payload))
    expect(frame).toEqual({
      type: 'awareness',
      update: payload,
      entries: [
        {
          clientId: doc.clientID,
          clock: 1,
          stateJson: '{"user":{"name":"Ada","color":"#ff0000"}}',
          stateBytes: 41,
        },
      ],
    })
    awareness.destroy()
  })
  it('query awareness', () => {
    expect(decodeFrame(encodeQueryAwareness())).toEqual({ type: 'query-awareness' })
  })
  it('permission denied', () => {
    expect(decodeFrame(encodePermissionDenied('read-only ✓'))).toEqual({
      type: 'auth-permission-denied',
      reason: 'read-only ✓',
    })
  })
  it('saved state vector request and answer', () => {
    expect(decodeFrame(encodeSavedStateVectorRequest())).toEqual({ type: 'saved-state-vector-request' })
    expect(Array.from(encodeSavedStateVectorRequest())).toEqual([100])
    expect(decodeFrame(encodeSavedStateVector(sv))).toEqual({ type: 'saved-state-vector', stateVector: sv })
  })
})

describe('compatibility with y-protocols', () => {
  it('decodes what y-protocols writes', () => {
    const doc = docWithText('abc')
    const step1 = encoding.createEncoder()
    encoding.writeVarUint(step1, 0)
    syncProtocol.writeSyncStep1(step1, doc)
    expect(decodeFrame(encoding.toUint8Array(step1))).toEqual({
      type: 'sync-step1',
      stateVector: Y.encodeStateVector(doc),
    })
    const denied = encoding.createEncoder()
    encoding.writeVarUint(denied, 2)
    authProtocol.writePermissionDenied(denied, 'nope')
    expect(decodeFrame(encoding.toUint8Array(denied))).toEqual({ type: 'auth-permission-denied', reason: 'nope' })
  })

  it('y-protocols reads what we write', () => {
    const source = docWithText('xyz')
    const target = new Y.Doc()
    const decoder = decoding.createDecoder(encodeSyncStep2(Y.encodeStateAsUpdate(source)))
    expect(decoding.readVarUint(decoder)).toBe(0)
    syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), target, null)
    expect(target.getText('t').toString()).toBe('xyz')

    let reason = ''
    const auth = decoding.createDecoder(encodePermissionDenied('because'))
    expect(decoding.readVarUint(auth)).toBe(2)
    authProtocol.readAuthMessage(auth, target, (_doc, why) => {
      reason = why
    })
    expect(reason).toBe('because')
  })
})

describe('decodeFrame refusals', () => {
  it('refuses an empty frame', () => {
    const error = refusal([])
    expect(error).toBeInstanceOf(MalformedFrameError)
    expect(error.closeCode).toBe(CloseCode.MalformedFrame)
    expect(error.message).toMatch(/empty frame/)
  })

  it('refuses a truncated varUint', () => {
    expect(refusal([0x80]).message).toMatch(/truncated varUint/)
    expect(refusal([0, 0x81]).message).toMatch(/truncated varUint/)
  })

  it('refuses varUints beyond 2^53 - 1', () => {
    // 2^56 - 1 in 8 bytes
    const error = refusal([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
    expect(error.closeCode).toBe(CloseCode.MalformedFrame)
    expect(error.message).toMatch(/exceeds 2\^53/)
    // lib0 alone would return 2^56 here: eight continuation bytes of zero then a one.
    expect(refusal([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).message).toMatch(/longer than 8 bytes/)
    // a length prefix beyond 2^53 inside a sync message
    expect(refusal([0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).message).toMatch(/exceeds 2\^53/)
  })

  it('accepts the largest safe varUint as a value', () => {
    // 2^53 - 1 as a state-vector clock
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint(encoder, 7)
    encoding.writeVarUint(encoder, Number.MAX_SAFE_INTEGER)
    const sv = encoding.toUint8Array(encoder)
    expect(decodeFrame(encodeSyncStep1(sv))).toEqual({ type: 'sync-step1', stateVector: sv })
  })

  it('refuses length prefixes past the end', () => {
    const error = refusal([0, 2, 10, 1, 2, 3])
    expect(error.message).toMatch(/length prefix 10 .* runs past the end \(3 bytes left\)/)
    expect(refusal([1, 5, 1]).message).toMatch(/runs past the end/)
  })

  it('refuses trailing garbage', () => {
    const frame = encodeSyncUpdate(Y.encodeStateAsUpdate(docWithText('a')))
    const error = refusal([...frame, 0])
    expect(error.message).toMatch(/1 trailing byte/)
    expect(refusal([3, 0]).message).toMatch(/trailing/)
    expect(refusal([...encodeSavedStateVector(new Uint8Array([0])), 9]).message).toMatch(/trailing/)
  })

  it('refuses unknown message types', () => {
    for (const type of [4, 5, 99, 101, 127, 128, 1_000_000]) {
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, type)
      const error = refusal(encoding.toUint8Array(encoder))
      expect(error).toBeInstanceOf(UnknownMessageTypeError)
      expect(error.closeCode).toBe(CloseCode.UnknownMessageType)
      expect(error.message).toBe(`Unknown message type ${type}`)
    }
  })

  it('refuses unknown sync and auth sub-types', () => {
    expect(refusal([0, 3, 0]).message).toBe('Unknown sync message type 3')
    expect(refusal([0]).message).toMatch(/sync message type: truncated/)
    expect(refusal([2, 1, 0]).message).toBe('Unknown auth message type 1')
  })

  it('refuses invalid UTF-8 in a permission-denied reason', () => {
    expect(refusal([2, 0, 2, 0xc3, 0x28]).message).toMatch(/invalid UTF-8/)
  })

  it('refuses malformed state vectors', () => {
    expect(refusal([0, 0, 0]).message).toMatch(/state vector entry count: truncated/)
    expect(refusal([0, 0, 2, 5, 1]).message).toMatch(/declares 5 entries/)
    expect(refusal([0, 0, 4, 1, 1, 1, 7]).message).toMatch(/state vector: 1 trailing/)
    expect(refusal([100, 3, 1, 1, 0x80]).message).toMatch(/truncated varUint/)
  })

  it('refuses malformed awareness updates', () => {
    expect(refusal([1, 0]).message).toMatch(/awareness entry count: truncated/)
    expect(refusal([1, 2, 9, 1]).message).toMatch(/declares 9 entries/)
    // one entry whose state string runs past the end
    expect(refusal([1, 6, 1, 1, 1, 5, 0x7b, 0x7d]).message).toMatch(/runs past the end/)
    // trailing byte inside the awareness payload
    expect(refusal([1, 6, 1, 1, 1, 1, 0x30, 0]).message).toMatch(/awareness update: 1 trailing/)
  })
})
